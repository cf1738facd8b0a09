#include "spiral/model/policy.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/model/precision.h"
#include "spiral/render/scene.h"

namespace spiral::model {
namespace {

namespace nn = torch::nn;

void require(bool ok, const std::string& field, int value, const std::string& expected) {
  if (!ok) {
    throw UserError("policy setting '" + field + "' is " + std::to_string(value) + ", expected " +
                    expected);
  }
}

nn::Sequential mlp(int in, int hidden, int mid, int out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::ReLU(), nn::Linear(hidden, mid), nn::ReLU(),
                        nn::Linear(mid, out));
}

// Inverse-CDF sampling of one value per row of probs [N, K], with uniforms drawn on the CPU.
torch::Tensor sample(const torch::Tensor& probs, at::Generator* generator) {
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor u = generator != nullptr ? torch::rand({probs.size(0), 1}, *generator, cpu)
                                         : torch::rand({probs.size(0), 1}, cpu);
  u = u.to(probs.device());
  const torch::Tensor cdf = probs.detach().to(torch::kFloat32).cumsum(1);
  return (cdf <= u).sum(1).clamp_max(probs.size(1) - 1).to(torch::kInt64);
}

// `values` [N] with each row replaced, with probability `share`, by a uniform draw of 0..n-1.
torch::Tensor with_random_rows(const torch::Tensor& values, int64_t n, double share,
                               at::Generator* generator) {
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  const int64_t rows = values.size(0);
  torch::Tensor u =
      generator != nullptr ? torch::rand({2, rows}, *generator, cpu) : torch::rand({2, rows}, cpu);
  u = u.to(values.device());
  const torch::Tensor uniform = (u[1] * static_cast<double>(n)).to(torch::kInt64).clamp_max(n - 1);
  return torch::where(u[0] < share, uniform, values);
}

// Bilinear resize of maps [N, C, h, w] to side x side.
torch::Tensor resized(const torch::Tensor& maps, int64_t side) {
  if (maps.size(2) == side && maps.size(3) == side) return maps;
  namespace F = torch::nn::functional;
  return F::interpolate(maps, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{side, side})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
}

// The side of a location part's square grid.
int location_grid(const render::ActionPart& part) {
  return static_cast<int>(std::lround(std::sqrt(static_cast<double>(part.size))));
}

}  // namespace

int PolicyConfig::resolved_noise_dim() const {
  if (noise_dim >= 0) return noise_dim;
  return conditional ? 0 : 10;
}

int PolicyConfig::input_channels() const {
  return channels * (conditional ? 2 : 1) + 2 + (pen_planes ? 3 : 0);
}

namespace {

// A convolution's (or transposed one's) FLOPs: 2 per multiply-add, `positions` the input's pixels
// for a transposed one (each scatters into k x k outputs), the output's for a plain one.
int64_t conv_flops(int64_t positions, int64_t in, int64_t out, int64_t kernel) {
  return 2 * positions * in * out * kernel * kernel;
}

int64_t linear_flops(int64_t in, int64_t out) { return 2 * in * out; }

}  // namespace

int64_t policy_forward_flops(const PolicyConfig& config, const render::ActionSpec& spec) {
  const int64_t w = config.torso_width, l = config.lstm_size, e = config.embedding_size;
  const int64_t side = config.canvas;
  const int64_t parts = static_cast<int64_t>(spec.size());
  const int64_t first_side = side / config.first_stride;
  int64_t flops = conv_flops(first_side * first_side, config.input_channels(), w, 5);
  flops += linear_flops(parts * e, 64) + linear_flops(64, 32) + linear_flops(32, w);
  const int noise = config.resolved_noise_dim();
  if (noise > 0) flops += linear_flops(noise, 64) + linear_flops(64, 32) + linear_flops(32, w);
  for (int64_t s = first_side / 2; s >= side / 8; s /= 2) flops += conv_flops(s * s, w, w, 4);
  const int64_t low = (side / 8) * (side / 8);
  flops += conv_flops(low, w, w, 3);
  flops += config.residual_blocks * (conv_flops(low, w, w, 3) + conv_flops(low, w, w, 1));
  flops += linear_flops(w * low, l) + linear_flops(2 * l, 4 * l) + linear_flops(l, 1);
  for (int64_t i = 0; i < parts; ++i) {
    const render::ActionPart& part = spec.parts()[i];
    if (i + 1 < parts) flops += linear_flops(l + e, l);
    if (!is_location_part(part)) {
      flops += linear_flops(l, part.size);
      continue;
    }
    const int64_t grid = location_grid(part);
    flops += conv_flops(16, l / 16, w, 3);
    flops += config.decoder_residual_blocks * (conv_flops(16, w, w, 3) + conv_flops(16, w, w, 1));
    for (int64_t s = 4; s * 2 <= grid; s *= 2) flops += conv_flops(s * s, w, w, 4);
    if (config.spatial_heads) flops += conv_flops(grid * grid, 2 * w, w, 1);
    if (config.point_features && i + 1 < parts) flops += linear_flops(2 * w, l);
    flops += conv_flops(grid * grid, w, 1, 3);
  }
  return flops;
}

void PolicyConfig::check() const {
  require(canvas >= 8 && canvas % 8 == 0, "canvas", canvas, "a multiple of 8");
  require(channels >= 1, "channels", channels, "at least 1");
  require(noise_dim >= -1, "noise_dim", noise_dim, "-1 (auto) or >= 0");
  require(torso_width >= 1, "torso_width", torso_width, "at least 1");
  require(first_stride == 1 || first_stride == 2 || first_stride == 4, "first_stride", first_stride,
          "1, 2 or 4");
  require(residual_blocks >= 0, "residual_blocks", residual_blocks, ">= 0");
  require(lstm_size >= 16 && lstm_size % 16 == 0, "lstm_size", lstm_size, "a multiple of 16");
  require(embedding_size >= 1, "embedding_size", embedding_size, "at least 1");
  require(decoder_residual_blocks >= 0, "decoder_residual_blocks", decoder_residual_blocks, ">= 0");
  if (point_features && !spatial_heads) {
    throw UserError("policy: point features (--point-features) need spatial heads");
  }
}

torch::Tensor grid_point_means(const torch::Tensor& maps, int64_t grid) {
  namespace F = torch::nn::functional;
  const int64_t side = maps.size(2);
  if (side % grid != 0) {
    return F::adaptive_avg_pool2d(maps, F::AdaptiveAvgPool2dFuncOptions({grid, grid}));
  }
  const int64_t step = side / grid;
  const int64_t half = step / 2;
  const torch::Tensor shifted = F::pad(maps, F::PadFuncOptions({half, 0, half, 0}));
  return F::avg_pool2d(shifted, F::AvgPool2dFuncOptions(step).stride(step))
      .slice(2, 0, grid)
      .slice(3, 0, grid);
}

torch::Tensor view_point_means(const torch::Tensor& maps, const torch::Tensor& points,
                               int64_t window) {
  namespace F = torch::nn::functional;
  torch::Tensor x = maps.to(torch::kFloat);
  if (window > 1) {
    x = F::avg_pool2d(
        x, F::AvgPool2dFuncOptions(window).stride(1).padding(window / 2).count_include_pad(false));
  }
  const int64_t n = x.size(0);
  const int64_t count = points.size(0);
  const int64_t grid = static_cast<int64_t>(std::lround(std::sqrt(double(count))));
  TORCH_CHECK(grid * grid == count && points.size(1) == 2, "view points: ", points.sizes(),
              " is not a square grid of (x, y)");
  // grid_sample's coordinates: -1 and 1 are the outer edges of the first and last pixels.
  const torch::Tensor at =
      (points.to(x.device()) * 2 - 1).view({1, count, 1, 2}).expand({n, -1, -1, -1});
  return F::grid_sample(x, at,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kBorder)
                            .align_corners(false))
      .view({n, x.size(1), grid, grid});
}

torch::Tensor pen_planes(const torch::Tensor& pen, int64_t grid, int64_t side,
                         const torch::TensorOptions& options) {
  const int64_t n = pen.size(0);
  // Pixel p sits at -1 + 2 p / (side - 1) in the coordinate planes.
  const double unit = 2.0 / static_cast<double>(side - 1);
  const torch::Tensor cell = pen.to(options.device()).to(torch::kInt64);
  const torch::Tensor at_x = (cell.remainder(grid) * side).div(grid, "floor").to(options.dtype());
  const torch::Tensor at_y =
      (cell.div(grid, "floor") * side).div(grid, "floor").to(options.dtype());
  const torch::Tensor line = torch::linspace(-1, 1, side, options);
  const torch::Tensor dx = line.view({1, 1, 1, side}) - (at_x * unit - 1).view({n, 1, 1, 1});
  const torch::Tensor dy = line.view({1, 1, side, 1}) - (at_y * unit - 1).view({n, 1, 1, 1});
  const double sigma = unit * static_cast<double>(side) / static_cast<double>(grid) / 2.0;
  const torch::Tensor spot = torch::exp(-(dx.pow(2) + dy.pow(2)) / (2 * sigma * sigma));
  return torch::cat({spot, dx.expand({n, 1, side, side}), dy.expand({n, 1, side, side})}, 1);
}

bool is_location_part(const render::ActionPart& part) {
  if (part.name != "end" && part.name != "control" && part.name != "position") return false;
  const int side = location_grid(part);
  return part.size >= 16 && side * side == part.size;
}

torch::Tensor command_mask(const render::ActionSpec& spec, const torch::Tensor& first_values) {
  const int64_t parts = static_cast<int64_t>(spec.size());
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(first_values.device());
  torch::Tensor mask = torch::ones({first_values.size(0), parts}, options);
  if (parts == 0) return mask;
  const std::string& first = spec.parts()[0].name;
  torch::Tensor reduced;  // rows whose command keeps only a few parts
  std::vector<int> kept;
  if (first == "flag") {
    reduced = first_values == 0;
    kept = {0, spec.index("end")};
  } else if (first == "mode") {
    reduced = first_values == render::kSceneSkip;
    kept = {0};
  } else {
    return mask;
  }
  torch::Tensor column_kept = torch::zeros({parts}, options);
  for (int index : kept) {
    if (index >= 0) column_kept[index] = 1;
  }
  const torch::Tensor r = reduced.to(torch::kFloat32).unsqueeze(1);
  return mask * (1 - r) + column_kept.unsqueeze(0) * r;
}

render::PartMask command_mask(const render::ActionSpec& spec, int first_value) {
  const torch::Tensor mask = command_mask(spec, torch::full({1}, first_value, torch::kInt64));
  render::PartMask result(spec.size());
  for (size_t i = 0; i < spec.size(); ++i) {
    result[i] = mask[0][static_cast<int64_t>(i)].item<float>() > 0.5f ? 1 : 0;
  }
  return result;
}

at::Generator make_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

ResidualBlockImpl::ResidualBlockImpl(int channels)
    : conv3_(register_module("conv3",
                             nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)))),
      conv1_(register_module("conv1", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)))) {}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  return x + conv1_(torch::relu(conv3_(torch::relu(x))));
}

LocationHeadImpl::LocationHeadImpl(int lstm_size, int width, int residual_blocks, int grid,
                                   int spatial_width)
    : grid_(grid) {
  conv_in_ = register_module("conv_in",
                             nn::Conv2d(nn::Conv2dOptions(lstm_size / 16, width, 3).padding(1)));
  for (int i = 0; i < residual_blocks; ++i) blocks_->push_back(ResidualBlock(width));
  register_module("blocks", blocks_);
  for (int side = 4; side * 2 <= grid; side *= 2) {
    upsample_->push_back(
        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(width, width, 4).stride(2).padding(1)));
    upsample_->push_back(nn::ReLU());
  }
  register_module("upsample", upsample_);
  if (spatial_width > 0) {
    spatial_in_ =
        register_module("spatial_in", nn::Conv2d(nn::Conv2dOptions(spatial_width, width, 1)));
  }
  conv_out_ = register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(width, 1, 3).padding(1)));
}

torch::Tensor LocationHeadImpl::forward(const torch::Tensor& z, const torch::Tensor& spatial) {
  torch::Tensor x = conv_in_(z.reshape({z.size(0), -1, 4, 4}));
  if (!blocks_->is_empty()) x = blocks_->forward(x);
  x = torch::relu(x);
  if (!upsample_->is_empty()) x = upsample_->forward(x);
  x = resized(x, grid_);
  if (spatial_in_) {
    TORCH_CHECK(spatial.defined(), "location head: the torso's maps are missing");
    x = torch::relu(x + spatial_in_(spatial));
  }
  return conv_out_(x).flatten(1);
}

namespace {

// The order in which a policy chooses `spec`'s parts: the command's or, with `location_first`, its
// single location part right after the first part when it is not already there.
std::vector<int> choice_order(const render::ActionSpec& spec, bool location_first) {
  const int parts = static_cast<int>(spec.size());
  std::vector<int> locations;
  for (int i = 0; i < parts; ++i) {
    if (is_location_part(spec.parts()[i])) locations.push_back(i);
  }
  const int moved = location_first && locations.size() == 1 && locations[0] > 1 ? locations[0] : -1;
  std::vector<int> order = {0};
  if (moved > 0) order.push_back(moved);
  for (int i = 1; i < parts; ++i) {
    if (i != moved) order.push_back(i);
  }
  return order;
}

}  // namespace

PolicyImpl::PolicyImpl(const PolicyConfig& config, const render::ActionSpec& spec)
    : config_(config), spec_(spec) {
  config_.check();
  if (spec_.size() == 0) throw UserError("policy: the action spec has no parts");
  noise_dim_ = config_.resolved_noise_dim();
  if (config_.pen_planes) {
    pen_part_ = spec_.index("end");
    if (pen_part_ < 0 || !is_location_part(spec_.parts()[pen_part_])) {
      throw UserError("policy: pen planes need a painter's commands (a location part 'end')");
    }
    pen_grid_ = location_grid(spec_.parts()[pen_part_]);
  }
  const int w = config_.torso_width;
  const int e = config_.embedding_size;
  const int l = config_.lstm_size;
  conv_in_ = register_module(
      "conv_in",
      nn::Conv2d(
          nn::Conv2dOptions(input_channels(), w, 5).stride(config_.first_stride).padding(2)));
  const int parts = static_cast<int>(spec_.size());
  order_ = choice_order(spec_, config_.location_first);
  // Set only where it changes the network, as view_points below.
  config_.location_first = !std::is_sorted(order_.begin(), order_.end());
  for (int i = 0; i < parts; ++i) {
    embeddings_.push_back(
        register_module("embedding" + std::to_string(i), nn::Embedding(spec_.parts()[i].size, e)));
  }
  action_mlp_ = register_module("action_mlp", mlp(parts * e, 64, 32, w));
  if (noise_dim_ > 0) noise_mlp_ = register_module("noise_mlp", mlp(noise_dim_, 64, 32, w));
  for (int side = config_.canvas / config_.first_stride; side > config_.canvas / 8; side /= 2) {
    torso_->push_back(nn::Conv2d(nn::Conv2dOptions(w, w, 4).stride(2).padding(1)));
    torso_->push_back(nn::ReLU());
  }
  torso_->push_back(nn::Conv2d(nn::Conv2dOptions(w, w, 3).padding(1)));
  for (int i = 0; i < config_.residual_blocks; ++i) torso_->push_back(ResidualBlock(w));
  torso_->push_back(nn::ReLU());
  register_module("torso", torso_);
  flat_size_ = w * (config_.canvas / 8) * (config_.canvas / 8);
  fc_ = register_module("fc", nn::Linear(flat_size_, l));
  lstm_ = register_module("lstm", nn::LSTMCell(l, l));
  value_ = register_module("value", nn::Linear(l, 1));
  for (int i = 0; i < parts; ++i) {
    const render::ActionPart& part = spec_.parts()[i];
    nn::AnyModule head;
    if (is_location_part(part)) {
      const int grid = location_grid(part);
      if (config_.spatial_heads) {
        if (grid_ != 0 && grid_ != grid) {
          throw UserError("policy: spatial location heads need one grid for every location part");
        }
        grid_ = grid;
        if (config_.view_points && !part.points.empty()) {
          if (view_points_.defined()) {
            throw UserError("policy: view points need a single location part");
          }
          std::vector<float> flat;
          for (const auto& point : part.points) flat.insert(flat.end(), point.begin(), point.end());
          view_points_ = torch::tensor(flat).view({grid * grid, 2});
        }
      }
      head = nn::AnyModule(LocationHead(l, w, config_.decoder_residual_blocks, grid,
                                        config_.spatial_heads ? 2 * w : 0));
    } else {
      head = nn::AnyModule(nn::Linear(l, part.size));
    }
    register_module("head" + std::to_string(i), head.ptr());
    heads_.push_back(std::move(head));
    location_heads_.push_back(is_location_part(part));
    if (i + 1 < parts) {
      // The update after the i-th part chosen, which is part order_[i].
      updates_.push_back(register_module("update" + std::to_string(i), nn::Linear(l + e, l)));
      point_updates_.push_back(
          config_.point_features && is_location_part(spec_.parts()[order_[i]])
              ? register_module("point_update" + std::to_string(i), nn::Linear(2 * w, l))
              : nn::Linear(nullptr));
    }
  }
  // Set only where it changes the network, so that a painter's sizes stay as they were.
  config_.view_points = view_points_.defined();
}

torch::Device PolicyImpl::device() const { return value_->weight.device(); }

PolicyState PolicyImpl::initial_state(int64_t batch) const {
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device());
  return {torch::zeros({batch, config_.lstm_size}, options),
          torch::zeros({batch, config_.lstm_size}, options)};
}

PolicyImpl::Features PolicyImpl::torso(const PolicyInput& input) {
  const torch::Tensor& canvas = input.canvas;
  TORCH_CHECK(canvas.dim() == 4 && canvas.size(1) == config_.channels &&
                  canvas.size(2) == config_.canvas && canvas.size(3) == config_.canvas,
              "policy: canvas must be [B, ", config_.channels, ", ", config_.canvas, ", ",
              config_.canvas, "], got ", canvas.sizes());
  TORCH_CHECK(config_.conditional == input.target.defined(),
              "policy: a target is needed exactly when the policy is conditional");
  TORCH_CHECK(noise_dim_ == 0 || input.noise.defined(), "policy: noise input missing");
  const int64_t n = canvas.size(0);
  const int64_t side = config_.canvas;
  auto options = canvas.options();
  const torch::Tensor line = torch::linspace(-1, 1, side, options);
  const torch::Tensor xs = line.view({1, 1, 1, side}).expand({n, 1, side, side});
  const torch::Tensor ys = line.view({1, 1, side, 1}).expand({n, 1, side, side});
  std::vector<torch::Tensor> planes = {canvas};
  if (config_.conditional) planes.push_back(input.target.to(options.dtype()));
  planes.push_back(xs);
  planes.push_back(ys);
  if (pen_part_ >= 0) {
    planes.push_back(
        pen_planes(input.prev_commands.select(1, pen_part_), pen_grid_, side, options));
  }
  torch::Tensor x = torch::cat(planes, 1);
  if (config_.channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);

  std::vector<torch::Tensor> embedded;
  const torch::Tensor masks = input.prev_masks.to(options.dtype());
  for (size_t i = 0; i < embeddings_.size(); ++i) {
    const int64_t k = static_cast<int64_t>(i);
    embedded.push_back(embeddings_[i](input.prev_commands.select(1, k)) *
                       masks.select(1, k).unsqueeze(1));
  }
  torch::Tensor condition = action_mlp_->forward(torch::cat(embedded, 1));
  if (noise_dim_ > 0) condition = condition + noise_mlp_->forward(input.noise.to(options.dtype()));
  Features features;
  {
    // The convolutions, in bf16 when asked for; what leaves them is fp32.
    const Bf16Autocast autocast(canvas.device().type(), config_.bf16);
    x = conv_in_(x);
    x = torch::relu(x + condition.to(x.scalar_type()).unsqueeze(2).unsqueeze(3));
    const torch::Tensor first = x;  // canvas / first_stride
    x = torso_->forward(x);         // canvas / 8
    if (view_points_.defined()) {
      // The first maps averaged over about a grid step, the torso's as they are.
      const int64_t window = (first.size(2) / grid_) | 1;
      features.spatial = torch::cat(
          {view_point_means(first, view_points_, window), view_point_means(x, view_points_, 1)}, 1);
    } else if (grid_ > 0) {
      features.spatial =
          torch::cat({grid_point_means(first, grid_), resized(x, grid_)}, 1).to(torch::kFloat);
    }
  }
  features.flat = torch::relu(fc_(x.to(torch::kFloat).reshape({n, flat_size_})));
  return features;
}

PolicyStep PolicyImpl::decode(torch::Tensor z, const torch::Tensor& spatial,
                              const torch::Tensor& given, at::Generator* generator, bool greedy,
                              double random_parts) {
  const size_t parts = spec_.size();
  // Indexed by part, in the command's order; chosen in order_ (its first is part 0).
  std::vector<torch::Tensor> values(parts);
  std::vector<torch::Tensor> log_probs(parts);
  std::vector<torch::Tensor> entropies(parts);
  torch::Tensor masks;
  for (size_t step = 0; step < parts; ++step) {
    const int i = order_[step];
    const torch::Tensor logits = location_heads_[i] ? heads_[i].forward<torch::Tensor>(z, spatial)
                                                    : heads_[i].forward<torch::Tensor>(z);
    const torch::Tensor log_p = torch::log_softmax(logits, 1);
    // Sampled with some parts drawn uniformly: (1 - share) p + share / n.
    const bool mixed = random_parts > 0 && !given.defined() && !greedy;
    torch::Tensor value;
    if (given.defined()) {
      value = given.select(1, i).to(torch::kInt64);
    } else if (greedy) {
      value = logits.argmax(1);
    } else {
      value = sample(log_p.exp(), generator);
      if (mixed) value = with_random_rows(value, log_p.size(1), random_parts, generator);
    }
    if (i == 0) masks = command_mask(spec_, value);
    log_probs[i] = log_p.gather(1, value.unsqueeze(1)).squeeze(1);
    if (mixed) {
      const double uniform = random_parts / static_cast<double>(log_p.size(1));
      log_probs[i] = torch::log((1 - random_parts) * log_probs[i].exp() + uniform);
    }
    entropies[i] = -(log_p.exp() * log_p).sum(1);
    values[i] = value;
    if (step + 1 < parts) {
      const torch::Tensor embedded = embeddings_[i](value);
      torch::Tensor update = updates_[step](torch::cat({z, embedded}, 1));
      if (point_updates_[step]) {
        // The maps [N, 2w, grid, grid] at the chosen point -> [N, 2w].
        const torch::Tensor index = value.view({-1, 1, 1}).expand({-1, spatial.size(1), 1});
        update = update + point_updates_[step](spatial.flatten(2).gather(2, index).squeeze(2));
      }
      z = torch::relu(z + update);
    }
  }
  PolicyStep step;
  step.commands = torch::stack(values, 1);
  step.masks = masks;
  step.log_prob = (torch::stack(log_probs, 1) * masks).sum(1);
  step.entropy = (torch::stack(entropies, 1) * masks).sum(1);
  return step;
}

PolicyStep PolicyImpl::act(const PolicyInput& input, const PolicyState& state,
                           at::Generator* generator, bool greedy, double random_parts) {
  const Features features = torso(input);
  auto [h, c] = lstm_(features.flat, std::make_tuple(state.h, state.c));
  PolicyStep step = decode(h, features.spatial, torch::Tensor(), generator, greedy, random_parts);
  step.value = value_(h).squeeze(1);
  step.state = {h, c};
  return step;
}

PolicyStep PolicyImpl::evaluate(const PolicyInput& input, const PolicyState& state,
                                const torch::Tensor& commands) {
  const Features features = torso(input);
  auto [h, c] = lstm_(features.flat, std::make_tuple(state.h, state.c));
  PolicyStep step = decode(h, features.spatial, commands, nullptr, false, 0);
  step.value = value_(h).squeeze(1);
  step.state = {h, c};
  return step;
}

PolicyStep PolicyImpl::evaluate_unroll(const PolicyInput& inputs, const PolicyState& state,
                                       const torch::Tensor& commands) {
  const int64_t t_len = inputs.canvas.size(0);
  const int64_t batch = inputs.canvas.size(1);
  auto merge = [](const torch::Tensor& x) {
    return x.defined() ? x.flatten(0, 1) : torch::Tensor();
  };
  PolicyInput flat{merge(inputs.canvas), merge(inputs.target), merge(inputs.prev_commands),
                   merge(inputs.prev_masks), merge(inputs.noise)};
  const Features features = torso(flat);
  const torch::Tensor sequence = features.flat.view({t_len, batch, -1});
  torch::Tensor h = state.h;
  torch::Tensor c = state.c;
  std::vector<torch::Tensor> hs;
  for (int64_t t = 0; t < t_len; ++t) {
    std::tie(h, c) = lstm_(sequence[t], std::make_tuple(h, c));
    hs.push_back(h);
  }
  const torch::Tensor z = torch::stack(hs, 0).flatten(0, 1);
  PolicyStep step = decode(z, features.spatial, merge(commands), nullptr, false, 0);
  auto split = [&](const torch::Tensor& x) {
    std::vector<int64_t> shape = {t_len, batch};
    for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
    return x.reshape(shape);
  };
  step.commands = split(step.commands);
  step.masks = split(step.masks);
  step.log_prob = split(step.log_prob);
  step.entropy = split(step.entropy);
  step.value = split(value_(z).squeeze(1));
  step.state = {h, c};
  return step;
}

}  // namespace spiral::model
