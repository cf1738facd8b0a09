// Per-step rewards: discriminator (final or per-step differences), negative L2, MNIST penalties.
#include "spiral/learn/rewards.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/learn/discriminator_loss.h"

namespace spiral::learn {
namespace {

// inputs.step_renders, checked to be [T + 1, B, ...].
torch::Tensor checked_step_renders(const RewardInputs& inputs, int64_t steps, int64_t batch) {
  const torch::Tensor& step = inputs.step_renders;
  if (!step.defined() || step.dim() != 5 || step.size(0) != steps + 1 || step.size(1) != batch) {
    throw std::invalid_argument(
        "compute_rewards: per-step rewards need step_renders [T + 1, B, C, H, W]");
  }
  return step.to(inputs.final_renders.device());
}

// float images [N, C, H, W] blurred by a Gaussian of standard deviation sigma pixels, cut at
// 3 sigma; the image is taken as zero outside its border.
torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma) {
  const int64_t radius = static_cast<int64_t>(std::ceil(3.0 * sigma));
  const torch::Tensor x = torch::arange(-radius, radius + 1, images.options());
  torch::Tensor kernel = (-x.pow(2) / (2.0 * sigma * sigma)).exp();
  kernel = kernel / kernel.sum();
  const int64_t channels = images.size(1);
  const int64_t taps = 2 * radius + 1;
  const auto pass = [&](const torch::Tensor& in, std::vector<int64_t> shape,
                        std::vector<int64_t> padding) {
    const torch::Tensor weight = kernel.view(shape).expand({channels, 1, shape[2], shape[3]});
    const std::vector<int64_t> unit{1, 1};
    return torch::conv2d(in, weight.contiguous(), torch::Tensor(), unit, padding, unit, channels);
  };
  return pass(pass(images, {1, 1, 1, taps}, {0, radius}), {1, 1, taps, 1}, {radius, 0});
}

}  // namespace

void RewardConfig::check() const {
  if (!(blank_tolerance >= 0.0)) {
    throw UserError("reward blank_tolerance must be >= 0, got " + std::to_string(blank_tolerance));
  }
  if (!(l2_blur >= 0.0 && l2_blur <= 16.0)) {
    throw UserError("reward l2_blur must be in [0, 16] pixels, got " + std::to_string(l2_blur));
  }
  if (!(stroke_penalty >= 0.0)) {
    throw UserError("reward stroke_penalty must be >= 0 (it is subtracted), got " +
                    std::to_string(stroke_penalty));
  }
  if (!(blank_penalty >= 0.0)) {
    throw UserError("reward blank_penalty must be >= 0 (it is subtracted), got " +
                    std::to_string(blank_penalty));
  }
}

torch::Tensor discriminator_scores(model::Discriminator& discriminator, const torch::Tensor& images,
                                   const torch::Tensor& targets, bool complement) {
  torch::NoGradGuard no_grad;
  if (!discriminator->config().conditional) return discriminator->forward(images);
  if (!targets.defined()) {
    throw std::invalid_argument("discriminator_scores: a conditional discriminator needs targets");
  }
  if (!complement) return discriminator->forward(images, targets);
  // One forward over the four halves (a spectral-norm D then iterates once per reward).
  const torch::Tensor masks =
      half_masks(images.size(2), images.size(3), images.options()).unsqueeze(1);  // [4,1,1,H,W]
  const int64_t n = images.size(0);
  const torch::Tensor halves = (masks * images.unsqueeze(0)).flatten(0, 1);
  const torch::Tensor conditions = ((1 - masks) * targets.unsqueeze(0)).flatten(0, 1);
  return discriminator->forward(halves, conditions).view({masks.size(0), n}).mean(0);
}

torch::Tensor stroke_starts(const torch::Tensor& first_values) {
  if (!first_values.defined() || first_values.dim() != 2) {
    throw std::invalid_argument("stroke_starts: first_values must be [T, B]");
  }
  const torch::Tensor paint = first_values.ne(0);
  if (first_values.size(0) == 0) return paint.to(torch::kFloat32);
  // The step before the first counts as a jump.
  const torch::Tensor before =
      torch::cat({torch::zeros_like(paint.narrow(0, 0, 1)), paint.narrow(0, 0, paint.size(0) - 1)});
  return paint.logical_and(before.logical_not()).to(torch::kFloat32);
}

torch::Tensor compute_rewards(const RewardConfig& config, const RewardInputs& inputs,
                              model::Discriminator* discriminator) {
  config.check();
  const torch::Tensor& final_renders = inputs.final_renders;
  if (!final_renders.defined() || final_renders.dim() != 4) {
    throw std::invalid_argument("compute_rewards: final_renders must be [B, C, H, W]");
  }
  const int64_t steps = inputs.steps;
  if (steps < 1) throw std::invalid_argument("compute_rewards: steps must be >= 1");
  const int64_t batch = final_renders.size(0);
  torch::NoGradGuard no_grad;
  const auto options = final_renders.options().dtype(torch::kFloat32);
  torch::Tensor rewards = torch::zeros({steps, batch}, options);
  const torch::Tensor targets =
      inputs.targets.defined() ? inputs.targets.to(final_renders.device()) : torch::Tensor();

  if (config.discriminator_weight != 0.0) {
    if (discriminator == nullptr) {
      throw std::invalid_argument("compute_rewards: the discriminator reward needs a D");
    }
    model::Discriminator& d = *discriminator;
    if (config.discriminator_mode == DiscriminatorReward::kFinal) {
      rewards[steps - 1].add_(
          config.discriminator_weight *
          discriminator_scores(d, final_renders, targets, config.discriminator_complement)
              .to(torch::kFloat32));
    } else {
      const torch::Tensor step = checked_step_renders(inputs, steps, batch);
      const torch::Tensor flat = step.flatten(0, 1);
      torch::Tensor flat_targets;
      if (targets.defined()) {
        flat_targets = targets.unsqueeze(0).expand(step.sizes()).flatten(0, 1);
      }
      const torch::Tensor s =
          discriminator_scores(d, flat, flat_targets, config.discriminator_complement)
              .to(torch::kFloat32)
              .reshape({steps + 1, batch});
      rewards.add_(config.discriminator_weight * (s.narrow(0, 1, steps) - s.narrow(0, 0, steps)));
    }
  }

  if (config.l2_weight != 0.0) {
    if (!targets.defined() || targets.sizes() != final_renders.sizes()) {
      throw std::invalid_argument("compute_rewards: the L2 reward needs targets [B, C, H, W]");
    }
    const auto l2 = [&](const torch::Tensor& renders) {  // [N, B, C, H, W] -> [N, B]
      torch::Tensor difference = (renders - targets).to(torch::kFloat32);
      if (config.l2_blur > 0.0) {
        difference =
            gaussian_blur(difference.flatten(0, 1), config.l2_blur).view(difference.sizes());
      }
      const torch::Tensor sq = difference.pow(2).flatten(2);
      return config.l2_form == L2Form::kSum ? sq.sum(2) : sq.mean(2);
    };
    if (config.l2_per_step) {
      const torch::Tensor errors = l2(checked_step_renders(inputs, steps, batch));
      rewards.add_(config.l2_weight * (errors.narrow(0, 0, steps) - errors.narrow(0, 1, steps)));
    } else {
      rewards[steps - 1].sub_(config.l2_weight * l2(final_renders.unsqueeze(0))[0]);
    }
  }

  if (config.stroke_penalty != 0.0) {
    const torch::Tensor& first = inputs.first_values;
    if (!first.defined() || first.dim() != 2 || first.size(0) != steps || first.size(1) != batch) {
      throw std::invalid_argument("compute_rewards: the stroke penalty needs first_values [T, B]");
    }
    rewards.sub_(config.stroke_penalty * stroke_starts(first.to(final_renders.device())));
  }

  if (config.blank_penalty != 0.0) {
    torch::Tensor blank = inputs.blank_canvas;
    if (!blank.defined() && inputs.step_renders.defined()) blank = inputs.step_renders[0];
    if (!blank.defined()) {
      throw std::invalid_argument(
          "compute_rewards: the blank penalty needs blank_canvas or step_renders");
    }
    const torch::Tensor diff =
        (final_renders - blank.to(final_renders.device())).abs().flatten(1).amax(1);
    const torch::Tensor is_blank = diff.le(config.blank_tolerance).to(torch::kFloat32);
    rewards[steps - 1].sub_(config.blank_penalty * is_blank);
  }
  return rewards;
}

}  // namespace spiral::learn
