// Per-step rewards of a batch of episodes: discriminator, L2 and MNIST penalty terms.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "spiral/model/discriminator.h"

namespace spiral::learn {

// Where the discriminator reward goes.
enum class DiscriminatorReward {
  kFinal,    // r_{T-1} = D(final render), 0 elsewhere (SPIRAL)
  kPerStep,  // r_t = D(render_{t+1}) - D(render_t), render_0 the blank canvas (SPIRAL++)
};

// How the L2 reward reduces the squared pixel error of one image.
enum class L2Form {
  kSum,   // -sum over pixels (render - target)^2: the paper's -||render - target||^2 (default)
  kMean,  // -mean over pixels (render - target)^2 (-MSE; independent of the image size)
};

// Which reward terms are on and their weights; terms add up. Defaults: SPIRAL's D reward alone.
struct RewardConfig {
  double discriminator_weight = 1.0;  // weight of the D term (0 = off)
  DiscriminatorReward discriminator_mode = DiscriminatorReward::kFinal;
  // D was trained as a complement D (on halves): its reward is its mean score over the four
  // halves, as discriminator_scores() gives it
  bool discriminator_complement = false;
  double l2_weight = 0.0;  // weight of the negative L2 term at the last step (0 = off)
  L2Form l2_form = L2Form::kSum;
  // > 0: the L2 term compares render and target after a Gaussian blur of this standard deviation
  // (pixels), so a stroke beside the target's line earns part of what one on it earns
  double l2_blur = 0.0;
  // false: the L2 term at the last step; true: r_t = e(render_t) - e(render_{t+1}) with e the L2
  // error, the error each step removes (sums to e(blank) - e(final); needs step_renders)
  bool l2_per_step = false;
  double stroke_penalty = 0.0;    // subtracted at each step that starts a new stroke (MNIST)
  double blank_penalty = 0.0;     // subtracted at the last step when the final canvas is blank
  double blank_tolerance = 1e-3;  // blank: every pixel within this of the blank canvas

  // Throws UserError naming the first bad field.
  void check() const;
};

// What compute_rewards needs; which fields must be set depends on the terms that are on.
struct RewardInputs {
  int64_t steps = 0;            // T, the number of steps (commands) of every episode
  torch::Tensor final_renders;  // [B, C, H, W] the canvases after the last step (always)
  torch::Tensor step_renders;   // [T + 1, B, C, H, W]: [0] the blank canvas, [t + 1] after step t;
                                // needed for kPerStep and l2_per_step
  torch::Tensor targets;        // [B, C, H, W]: for the L2 term and a conditional D
  torch::Tensor first_values;   // [T, B] int64 values of the painter's first part ("flag": 1 paint,
                                // 0 jump); needed for the stroke penalty
  torch::Tensor blank_canvas;   // [C, H, W] or [B, C, H, W] the empty canvas for the blank penalty;
                                // defaults to step_renders[0]
};

// D's scores [N] of `images` [N, C, H, W] as a reward sees them: D(image), or D(target, image) for
// a conditional D (`targets` [N, C, H, W]); a complement D, trained on one half of the image beside
// the other half of the target, scores the mean over the four halves. No gradient.
torch::Tensor discriminator_scores(model::Discriminator& discriminator, const torch::Tensor& images,
                                   const torch::Tensor& targets, bool complement);

// Number of new strokes per step: 1 where a paint (flag 1) follows a jump or starts the episode.
// first_values [T, B] -> [T, B] float.
torch::Tensor stroke_starts(const torch::Tensor& first_values);

// Rewards [T, B] (float, on the device of final_renders, no gradient) for `inputs`. The D terms
// call `discriminator` (may be null when discriminator_weight is 0) under no-grad, in whatever
// train/eval mode the caller left it; a conditional D gets (render, target).
torch::Tensor compute_rewards(const RewardConfig& config, const RewardInputs& inputs,
                              model::Discriminator* discriminator);

}  // namespace spiral::learn
