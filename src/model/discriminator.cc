#include "spiral/model/discriminator.h"

#include <cstdio>

#include "spiral/core/errors.h"

namespace spiral::model {
namespace {

namespace nn = torch::nn;

}  // namespace

void DiscriminatorConfig::check() const {
  const int layers = static_cast<int>(widths.size());
  const int scale = 1 << (layers < 30 ? layers : 30);
  if (layers < 1) throw UserError("discriminator setting 'widths' is empty, expected 1 or more");
  for (int w : widths) {
    if (w < 1) {
      throw UserError("discriminator setting 'widths' has " + std::to_string(w) +
                      ", expected positive widths");
    }
  }
  if (input_pool != 1 && input_pool != 2 && input_pool != 4) {
    throw UserError("discriminator setting 'input_pool' is " + std::to_string(input_pool) +
                    ", expected 1, 2 or 4");
  }
  const int64_t multiple = int64_t{scale} * input_pool;
  if (canvas < multiple || canvas % multiple != 0) {
    throw UserError("discriminator setting 'canvas' is " + std::to_string(canvas) +
                    ", expected a multiple of " + std::to_string(multiple) + " (2^" +
                    std::to_string(layers) + " for " + std::to_string(layers) + " layers" +
                    (input_pool > 1 ? " x input_pool " + std::to_string(input_pool) : "") + ")");
  }
  if (channels < 1) {
    throw UserError("discriminator setting 'channels' is " + std::to_string(channels) +
                    ", expected at least 1");
  }
}

int64_t discriminator_forward_flops(const DiscriminatorConfig& config) {
  int64_t in = config.channels * (config.conditional ? 2 : 1);
  int64_t side = config.canvas / config.input_pool;
  // The pool adds every input pixel once (nothing without one).
  int64_t flops = config.input_pool > 1 ? in * config.canvas * config.canvas : 0;
  for (int out : config.widths) {
    side /= 2;
    flops += 2 * side * side * in * out * 16;  // a 4 x 4 stride-2 convolution
    in = out;
  }
  return flops + 2 * in * side * side;
}

DiscriminatorImpl::DiscriminatorImpl(const DiscriminatorConfig& config) : config_(config) {
  config_.check();
  int in = config_.channels * (config_.conditional ? 2 : 1);
  for (size_t i = 0; i < config_.widths.size(); ++i) {
    const int out = config_.widths[i];
    convs_.push_back(
        register_module("conv" + std::to_string(i),
                        nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1))));
    in = out;
  }
  const int side = (config_.canvas / config_.input_pool) >> config_.widths.size();
  out_ = register_module("out", nn::Linear(in * side * side, 1));
  if (config_.spectral_norm) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i <= convs_.size(); ++i) {
      const torch::Tensor& w = i < convs_.size() ? convs_[i]->weight : out_->weight;
      torch::Tensor u = torch::randn({w.size(0)}, w.options());
      us_.push_back(register_buffer("u" + std::to_string(i), u / u.norm().clamp_min(1e-12)));
    }
  }
}

torch::Tensor DiscriminatorImpl::weight(size_t layer, const torch::Tensor& w) {
  if (!config_.spectral_norm) return w;
  const torch::Tensor matrix = w.reshape({w.size(0), -1});
  if (is_training()) {
    torch::NoGradGuard no_grad;
    torch::Tensor v = torch::mv(matrix.t(), us_[layer]);
    v = v / v.norm().clamp_min(1e-12);
    torch::Tensor next = torch::mv(matrix, v);
    us_[layer].copy_(next / next.norm().clamp_min(1e-12));
  }
  // A copy, so that a later forward's in-place update of u does not invalidate this graph.
  const torch::Tensor u = us_[layer].clone();
  // sigma = u^T W v with v = normalize(W^T u); gradients flow through W (u, v are constants).
  torch::Tensor v = torch::mv(matrix.t().detach(), u);
  v = v / v.norm().clamp_min(1e-12);
  const torch::Tensor sigma = torch::dot(u, torch::mv(matrix, v));
  return w / sigma;
}

torch::Tensor DiscriminatorImpl::score(const torch::Tensor& x) {
  const int64_t in = config_.channels * (config_.conditional ? 2 : 1);
  TORCH_CHECK(
      x.dim() == 4 && x.size(1) == in && x.size(2) == config_.canvas && x.size(3) == config_.canvas,
      "discriminator: input must be [B, ", in, ", ", config_.canvas, ", ", config_.canvas,
      "], got ", x.sizes());
  torch::Tensor h = config_.channels_last ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
  if (config_.input_pool > 1) h = torch::avg_pool2d(h, config_.input_pool);
  for (size_t i = 0; i < convs_.size(); ++i) {
    const nn::Conv2d& conv = convs_[i];
    h = torch::conv2d(h, weight(i, conv->weight), conv->bias, /*stride=*/2, /*padding=*/1);
    h = torch::leaky_relu(h, config_.leaky_slope);
  }
  h = h.flatten(1);
  return torch::nn::functional::linear(h, weight(convs_.size(), out_->weight), out_->bias)
      .squeeze(1);
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& image, const torch::Tensor& target) {
  TORCH_CHECK(config_.conditional == target.defined(),
              "discriminator: a conditional D needs (image, target), an unconditional D the image "
              "alone");
  return score(config_.conditional ? torch::cat({target, image}, 1) : image);
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const torch::Tensor& p : module.parameters(/*recurse=*/true)) total += p.numel();
  return total;
}

std::string parameter_summary(const std::string& name, const torch::nn::Module& module) {
  const int64_t count = parameter_count(module);
  std::string digits = std::to_string(count);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  char mib[32];
  std::snprintf(mib, sizeof(mib), "%.1f", static_cast<double>(count) * 4.0 / (1024.0 * 1024.0));
  return name + ": " + grouped + " parameters (" + mib + " MiB as float32)";
}

}  // namespace spiral::model
