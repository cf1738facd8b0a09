// Discriminator losses (WGAN-GP, non-saturating), D input pairs and the render replay.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_loss.h"
#include "spiral/model/precision.h"

namespace spiral::learn {
namespace {

// Uniform [0, 1) floats of `size` drawn on the CPU (with `generator` when not null).
torch::Tensor cpu_uniform(at::IntArrayRef size, at::Generator* generator) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat32);
  return generator != nullptr ? torch::rand(size, *generator, options) : torch::rand(size, options);
}

// Integers in [0, high) of `size` drawn on the CPU (with `generator` when not null).
torch::Tensor cpu_randint(int64_t high, at::IntArrayRef size, at::Generator* generator) {
  const auto options = torch::TensorOptions().dtype(torch::kInt64);
  return generator != nullptr ? torch::randint(high, size, *generator, options)
                              : torch::randint(high, size, options);
}

void require_image_batch(const torch::Tensor& t, const char* what) {
  if (!t.defined() || t.dim() != 4) {
    throw std::invalid_argument(std::string(what) + " must be [B, C, H, W]");
  }
}

}  // namespace

void DiscriminatorLossConfig::check() const {
  if (!(gradient_penalty >= 0.0)) {
    throw UserError("discriminator gradient_penalty must be >= 0, got " +
                    std::to_string(gradient_penalty));
  }
  if (!(offset_weight >= 0.0)) {
    throw UserError("discriminator offset_weight must be >= 0, got " +
                    std::to_string(offset_weight));
  }
}

torch::Tensor half_masks(int64_t h, int64_t w, const torch::TensorOptions& options) {
  const auto index_options = options.dtype(torch::kInt64);
  const torch::Tensor half = torch::arange(4, index_options).view({4, 1, 1, 1});
  const torch::Tensor rows = torch::arange(h, index_options).view({1, 1, h, 1});
  const torch::Tensor cols = torch::arange(w, index_options).view({1, 1, 1, w});
  const torch::Tensor mask = (half.eq(0) & cols.lt(w / 2)) | (half.eq(1) & cols.ge(w / 2)) |
                             (half.eq(2) & rows.lt(h / 2)) | (half.eq(3) & rows.ge(h / 2));
  return mask.to(options.dtype());
}

torch::Tensor complement_masks(const torch::Tensor& like, at::Generator* generator) {
  require_image_batch(like, "complement_masks: like");
  const int64_t b = like.size(0);
  const torch::Tensor half = cpu_randint(4, {b}, generator).to(like.device());
  return half_masks(like.size(2), like.size(3), like.options()).index_select(0, half);
}

DiscriminatorPairs make_discriminator_pairs(const torch::Tensor& real, const torch::Tensor& fake,
                                            bool conditional, bool complement,
                                            at::Generator* generator, const torch::Tensor& masks) {
  require_image_batch(real, "discriminator real");
  require_image_batch(fake, "discriminator fake");
  if (real.sizes() != fake.sizes()) {
    throw std::invalid_argument("discriminator real and fake batches must have the same shape");
  }
  if (complement && !conditional) {
    throw UserError("the complement discriminator needs a conditional discriminator");
  }
  DiscriminatorPairs pairs;
  if (!conditional) {
    pairs.real_image = real;
    pairs.fake_image = fake;
    return pairs;
  }
  if (!complement) {
    pairs.real_image = real;
    pairs.real_condition = real;
    pairs.fake_image = fake;
    pairs.fake_condition = real;
    return pairs;
  }
  const torch::Tensor m = masks.defined() ? masks.to(real.device(), real.scalar_type())
                                          : complement_masks(real, generator);
  const torch::Tensor condition = (1 - m) * real;
  pairs.real_image = m * real;
  pairs.real_condition = condition;
  pairs.fake_image = m * fake;
  pairs.fake_condition = condition;
  return pairs;
}

Critic as_critic(model::Discriminator discriminator) {
  return [discriminator](const torch::Tensor& image, const torch::Tensor& condition) mutable {
    return discriminator->forward(image, condition);
  };
}

torch::Tensor gradient_penalty(const Critic& critic, const DiscriminatorPairs& pairs,
                               at::Generator* generator) {
  const torch::Tensor& real = pairs.real_image;
  const int64_t b = real.size(0);
  const torch::Tensor alpha =
      cpu_uniform({b, 1, 1, 1}, generator).to(real.device(), real.scalar_type());
  const torch::Tensor x = (alpha * real.detach() + (1 - alpha) * pairs.fake_image.detach())
                              .detach()
                              .requires_grad_(true);
  const torch::Tensor condition =
      pairs.real_condition.defined() ? pairs.real_condition.detach() : torch::Tensor();
  const torch::Tensor out = critic(x, condition);
  const torch::Tensor grad = torch::autograd::grad({out.sum()}, {x}, {}, /*retain_graph=*/true,
                                                   /*create_graph=*/true)[0];
  const torch::Tensor norm = (grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt();
  return (norm - 1).pow(2).mean();
}

DiscriminatorLoss discriminator_loss(model::Discriminator& discriminator,
                                     const DiscriminatorLossConfig& config,
                                     const torch::Tensor& real, const torch::Tensor& fake,
                                     at::Generator* generator) {
  Critic critic = as_critic(discriminator);
  if (config.bf16) {
    const c10::DeviceType device = real.device().type();
    critic = [critic, device](const torch::Tensor& image, const torch::Tensor& condition) {
      const model::Bf16Autocast autocast(device, true);
      return critic(image, condition).to(torch::kFloat);
    };
  }
  return discriminator_loss(critic, discriminator->config().conditional, config, real, fake,
                            generator);
}

DiscriminatorLoss discriminator_loss(const Critic& critic, bool conditional,
                                     const DiscriminatorLossConfig& config,
                                     const torch::Tensor& real, const torch::Tensor& fake,
                                     at::Generator* generator) {
  config.check();
  const torch::Tensor masks =
      config.complement && conditional ? complement_masks(real, generator) : torch::Tensor();
  const DiscriminatorPairs pairs = make_discriminator_pairs(
      real.detach(), fake.detach(), conditional, config.complement, generator, masks);
  const int64_t b = real.size(0);
  // One forward over real and fake (spectral norm's power iteration then runs once per step).
  std::vector<torch::Tensor> images = {pairs.real_image, pairs.fake_image};
  std::vector<torch::Tensor> conditions = {pairs.real_condition, pairs.fake_condition};
  const bool mismatched = config.mismatched_fakes && conditional && b > 1;
  torch::Tensor fake_weights;  // with mismatched fakes: each fake row's weight in the fake mean
  DiscriminatorPairs penalty_pairs = pairs;  // the fakes the gradient penalty interpolates to
  if (mismatched) {
    // Each condition beside the previous row's real image (in the same half); a pair whose two
    // targets are the same image is no mismatch and weighs 0.
    const torch::Tensor previous = torch::roll(real.detach(), 1, 0);
    const torch::Tensor mismatched_image = masks.defined() ? masks * previous : previous;
    images.push_back(mismatched_image);
    conditions.push_back(pairs.fake_condition);
    const torch::Tensor differs =
        (real.detach() - previous).abs().flatten(1).amax(1).gt(0).to(real.scalar_type());
    // The penalty holds D's slope towards either kind of fake: half of its rows (of those that
    // differ) end at the mismatched image, so D cannot push those pairs down without bound.
    const torch::Tensor to_mismatched =
        cpu_uniform({b}, generator).to(real.device()).lt(0.5).logical_and(differs.gt(0));
    penalty_pairs.fake_image =
        torch::where(to_mismatched.view({b, 1, 1, 1}), mismatched_image, pairs.fake_image);
    const torch::Tensor count = differs.sum();
    // The renders and the mismatched pairs weigh half each (the renders all when none differ).
    const torch::Tensor mismatch_share = 0.5 * count.gt(0).to(real.scalar_type());
    fake_weights = torch::cat({torch::ones({b}, real.options()) * (1 - mismatch_share) / b,
                               differs * mismatch_share / count.clamp_min(1)});
  }
  const torch::Tensor scores =
      critic(torch::cat(images), conditional ? torch::cat(conditions) : torch::Tensor());
  const torch::Tensor real_scores = scores.narrow(0, 0, b);
  const torch::Tensor fake_scores = scores.narrow(0, b, scores.size(0) - b);
  DiscriminatorLoss loss;
  const torch::Tensor zero = torch::zeros({}, scores.options());
  loss.gradient_penalty = zero;
  loss.offset = zero;
  const auto fake_mean_of = [&](const torch::Tensor& values) {
    return mismatched ? (values * fake_weights).sum() : values.mean();
  };
  if (config.loss == GanLoss::kWasserstein) {
    const torch::Tensor fake_mean = fake_mean_of(fake_scores);
    loss.total = fake_mean - real_scores.mean();
    if (config.gradient_penalty > 0.0) {
      const torch::Tensor gp = gradient_penalty(critic, penalty_pairs, generator);
      loss.total = loss.total + config.gradient_penalty * gp;
      loss.gradient_penalty = gp.detach();
    }
    if (config.offset_weight > 0.0) {  // real and fake weigh half each
      const torch::Tensor offset =
          mismatched ? (0.5 * (real_scores.mean() + fake_mean)).pow(2) : scores.mean().pow(2);
      loss.total = loss.total + config.offset_weight * offset;
      loss.offset = offset.detach();
    }
  } else {
    loss.total = torch::softplus(-real_scores).mean() + fake_mean_of(torch::softplus(fake_scores));
  }
  loss.real_score = real_scores.mean().detach();
  loss.fake_score = fake_scores.narrow(0, 0, b).mean().detach();
  return loss;
}

DiscriminatorUpdate discriminator_update(
    model::Discriminator& discriminator, torch::optim::Adam& optimizer,
    const DiscriminatorLossConfig& config, const torch::Tensor& real, const torch::Tensor& fake,
    at::Generator* generator,
    const std::function<void(const std::vector<torch::Tensor>&)>& after_backward) {
  const DiscriminatorLoss loss = discriminator_loss(discriminator, config, real, fake, generator);
  optimizer.zero_grad();
  loss.total.backward();
  if (after_backward) after_backward(discriminator->parameters());
  DiscriminatorUpdate update;
  update.skipped = !std::isfinite(clip_gradients(discriminator->parameters(), 0));
  if (!update.skipped) optimizer.step();
  update.loss = loss.total.item<double>();
  return update;
}

RenderReplay::RenderReplay(int capacity) : capacity_(capacity) {
  if (capacity < 1) {
    throw UserError("render replay capacity must be >= 1 batch, got " + std::to_string(capacity));
  }
}

void RenderReplay::add(const torch::Tensor& renders, const torch::Tensor& targets) {
  if (!renders.defined() || renders.dim() < 1 || renders.size(0) < 1) {
    throw std::invalid_argument("RenderReplay::add: renders must be a non-empty batch");
  }
  if (targets.defined() && targets.size(0) != renders.size(0)) {
    throw std::invalid_argument("RenderReplay::add: targets and renders differ in rows");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!renders_.empty()) {
    if (renders_.front().sizes().slice(1) != renders.sizes().slice(1)) {
      throw std::invalid_argument("RenderReplay::add: renders change shape between batches");
    }
    if (targets_.front().defined() != targets.defined()) {
      throw std::invalid_argument("RenderReplay::add: every batch needs targets, or none");
    }
  }
  torch::Tensor r = renders.detach();
  torch::Tensor t = targets.defined() ? targets.detach() : torch::Tensor();
  if (renders_.size() < static_cast<size_t>(capacity_)) {
    renders_.push_back(std::move(r));
    targets_.push_back(std::move(t));
  } else {
    renders_[next_] = std::move(r);
    targets_[next_] = std::move(t);
    next_ = (next_ + 1) % renders_.size();
  }
}

ReplaySample RenderReplay::sample(int64_t n, at::Generator* generator) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (renders_.empty()) throw std::logic_error("RenderReplay::sample: the replay is empty");
  if (n < 0) throw std::invalid_argument("RenderReplay::sample: n must be >= 0");
  int64_t total = 0;
  for (const torch::Tensor& r : renders_) total += r.size(0);
  const torch::Tensor index = cpu_randint(total, {n}, generator);
  // The newest batch sits just before next_ in the ring; samples go to its device.
  const size_t newest = (next_ + renders_.size() - 1) % renders_.size();
  const torch::Device device = renders_[newest].device();
  const bool with_targets = targets_.front().defined();
  std::vector<torch::Tensor> renders, targets, positions;
  int64_t offset = 0;
  for (size_t i = 0; i < renders_.size(); ++i) {
    const int64_t rows = renders_[i].size(0);
    const torch::Tensor inside = index.ge(offset).logical_and(index.lt(offset + rows));
    const torch::Tensor where = inside.nonzero().view({-1});
    if (where.numel() > 0) {
      const torch::Tensor local = (index.index_select(0, where) - offset).to(renders_[i].device());
      renders.push_back(renders_[i].index_select(0, local).to(device));
      if (with_targets) {
        targets.push_back(targets_[i].index_select(0, local.to(targets_[i].device())).to(device));
      }
      positions.push_back(where);
    }
    offset += rows;
  }
  ReplaySample sample;
  if (positions.empty()) {
    std::vector<int64_t> shape = renders_[newest].sizes().vec();
    shape[0] = 0;
    sample.renders = torch::empty(shape, renders_[newest].options());
    if (with_targets) {
      std::vector<int64_t> tshape = targets_[newest].sizes().vec();
      tshape[0] = 0;
      sample.targets = torch::empty(tshape, targets_[newest].options().device(device));
    }
    return sample;
  }
  // Back to the order of the draws.
  const torch::Tensor order = torch::argsort(torch::cat(positions)).to(device);
  sample.renders = torch::cat(renders).index_select(0, order);
  if (with_targets) sample.targets = torch::cat(targets).index_select(0, order);
  return sample;
}

RenderReplay::State RenderReplay::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return State{renders_, targets_, static_cast<int64_t>(next_)};
}

void RenderReplay::restore(State state) {
  const size_t batches = state.renders.size();
  if (batches > static_cast<size_t>(capacity_) || state.targets.size() != batches ||
      state.next < 0 || (batches > 0 && state.next >= static_cast<int64_t>(batches)) ||
      (batches < static_cast<size_t>(capacity_) && state.next != 0)) {
    throw std::invalid_argument("RenderReplay::restore: inconsistent state");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  renders_ = std::move(state.renders);
  targets_ = std::move(state.targets);
  next_ = static_cast<size_t>(state.next);
}

int RenderReplay::batches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(renders_.size());
}

int64_t RenderReplay::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t total = 0;
  for (const torch::Tensor& r : renders_) total += r.size(0);
  return total;
}

}  // namespace spiral::learn
