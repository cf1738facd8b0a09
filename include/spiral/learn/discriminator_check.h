// A check of a discriminator as a reward that takes minutes, not an RL run: D trained alone on
// real images against a fixed pool of renders of graded quality, then scored by how its reward
// ranks a pool of renders of targets it never trained on.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spiral/learn/program_search.h"
#include "spiral/model/discriminator.h"
#include "spiral/render/settings.h"

namespace spiral::learn {

// What a render of a RenderPool is.
enum class PoolRender {
  kBlank,        // the blank canvas
  kRandom,       // a program of uniformly random commands
  kGreedy,       // the target's greedy program, cut after `steps` commands
  kOtherTarget,  // another target's whole greedy program (scored against this target)
};

// "blank", "random", "greedy" or "other-target".
const char* pool_render_name(PoolRender kind);

// Renders of graded quality, each paired with the target it is scored against.
struct RenderPool {
  torch::Tensor targets;           // [N, C, H, W] in [0, 1]
  torch::Tensor renders;           // [M, C, H, W] in [0, 1]
  std::vector<int64_t> target_of;  // [M]: the row of targets each render is scored against
  std::vector<PoolRender> kinds;   // [M]
  std::vector<int> steps;          // [M]: commands played (0 for the blank canvas)
  std::vector<double> mse;         // [M]: MSE of the render against its target
};

// How make_render_pool() builds a pool.
struct RenderPoolOptions {
  int random_programs = 2;      // random programs per target
  int other_targets = 2;        // other targets' greedy programs per target (0 for unconditional D)
  uint64_t seed = 1;            // random programs, and the reset seed of every episode
  ProgramSearchOptions search;  // the greedy search of each target's program
  // Called after each target's greedy search with the count done and the count in all.
  std::function<void(size_t done, size_t total)> progress;
};

// For each of `targets` (unit floats in the observation's layout, HWC): the blank canvas, random
// programs, its greedy program cut after 1, 2, ..., T commands and other targets' greedy programs.
RenderPool make_render_pool(const render::EnvironmentSettings& settings,
                            const std::vector<std::vector<float>>& targets,
                            const RenderPoolOptions& options);

// How a discriminator's reward ranks a pool.
struct DiscriminatorCheck {
  // Spearman's rank correlation between the reward and -MSE to the target, over every render.
  double rank_correlation = 0;
  // The same within each target's renders, averaged over targets.
  double rank_correlation_within = 0;
  // Share of (greedy render of a target, greedy render of another) pairs, both under the first
  // target, where the matching render gets the higher reward (NaN without other-target renders).
  double matching_share = 0;
  // Balanced accuracy of D on real images (each target, beside itself when conditional) against
  // every render: a non-saturating D's sign, a Wasserstein critic's midpoint of the two means.
  double accuracy = 0;
  // Share of (real, render) pairs where the real image scores higher (the ROC's area).
  double real_over_fake = 0;
  double real_score = 0;  // mean D score of the real images
  double fake_score = 0;  // mean D score of the renders
};

// Scores `pool` with `discriminator` in eval mode (a spectral-norm D then reuses its power
// iteration's vectors), with the reward's inputs (discriminator_scores(); `complement`: the mean
// over the four halves). `sign_threshold`: accuracy by the sign of D (non-saturating loss).
DiscriminatorCheck check_discriminator(model::Discriminator& discriminator, const RenderPool& pool,
                                       bool complement, bool sign_threshold);

// Spearman's rank correlation of two series of one length (average ranks for ties; 0 when either
// is constant; NaN when either holds a NaN or an infinity).
double rank_correlation(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace spiral::learn
