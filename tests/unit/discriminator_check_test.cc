// Tests of the discriminator check: the pool of graded renders, rank correlation, and a D trained
// for a few seconds on a tiny pool.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_check.h"
#include "spiral/learn/discriminator_loss.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/environment.h"
#include "spiral/render/program.h"
#include "spiral/render/settings.h"

namespace spiral::learn {
namespace {

// A painter whose every command can be tried: 4 x 4 grid, one brush, 2 pressures, 2 steps.
render::EnvironmentSettings tiny_painter() {
  render::EnvironmentSettings settings;
  settings.painter.grid = 4;
  settings.painter.episode_length = 2;
  settings.painter.brush_sizes = {4};
  settings.painter.pressure_levels = 2;
  settings.painter.color_levels = 1;
  return settings;
}

// Targets painted by two-stroke programs of the tiny painter.
std::vector<std::vector<float>> tiny_targets() {
  const std::vector<std::vector<render::Command>> programs = {
      {{1, 15, 10, 1}, {1, 3, 6, 1}},
      {{0, 12, 0, 0}, {1, 0, 5, 1}},
      {{0, 3, 0, 0}, {1, 12, 9, 1}},
      {{0, 5, 0, 0}, {1, 7, 6, 1}},
  };
  const std::unique_ptr<render::Environment> env = render::make_environment(tiny_painter());
  std::vector<std::vector<float>> targets;
  for (const auto& program : programs) targets.push_back(play_program(*env, program, 1));
  return targets;
}

TEST(RankCorrelation, RanksWithTiesAndConstants) {
  EXPECT_NEAR(rank_correlation({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0, 1e-12);
  EXPECT_NEAR(rank_correlation({1, 2, 3, 4}, {4, 1, -5, -6}), -1.0, 1e-12);
  EXPECT_NEAR(rank_correlation({1, 2, 3, 4}, {1, 100, 2, 3}), 0.4, 1e-12);  // ranks 1,4,2,3
  EXPECT_EQ(rank_correlation({1, 1, 1}, {1, 2, 3}), 0.0);
  // Ties share their mean rank: ranks (1.5, 1.5, 3) against (1, 2, 3).
  EXPECT_NEAR(rank_correlation({5, 5, 7}, {1, 2, 3}), std::sqrt(3.0) / 2, 1e-12);
  EXPECT_THROW(rank_correlation({1, 2}, {1}), std::invalid_argument);
}

TEST(RenderPool, GradedRendersOfEachTarget) {
  RenderPoolOptions options;
  options.random_programs = 3;
  options.other_targets = 2;
  const std::vector<std::vector<float>> targets = tiny_targets();
  const RenderPool pool = make_render_pool(tiny_painter(), targets, options);
  // Per target: blank, 3 random, greedy after 1 and 2 steps, 2 other targets.
  ASSERT_EQ(pool.renders.size(0), 4 * 8);
  ASSERT_EQ(pool.targets.sizes(), (std::vector<int64_t>{4, 1, 64, 64}));
  ASSERT_EQ(pool.kinds.size(), 32u);
  for (size_t i = 0; i < pool.kinds.size(); ++i) {
    const int64_t t = pool.target_of[i];
    // The stored MSE is the render's against its own target.
    const torch::Tensor diff = pool.renders[i] - pool.targets[t];
    EXPECT_NEAR(pool.mse[i], diff.pow(2).mean().item<double>(), 1e-6);
    if (pool.kinds[i] == PoolRender::kOtherTarget) {
      EXPECT_GT(pool.mse[i], 0.0);
    }
  }
  // The greedy prefixes improve step by step on the blank canvas.
  for (int64_t t = 0; t < 4; ++t) {
    double blank = -1, one = -1, two = -1;
    for (size_t i = 0; i < pool.kinds.size(); ++i) {
      if (pool.target_of[i] != t) continue;
      if (pool.kinds[i] == PoolRender::kBlank) blank = pool.mse[i];
      if (pool.kinds[i] == PoolRender::kGreedy) (pool.steps[i] == 1 ? one : two) = pool.mse[i];
    }
    EXPECT_GT(blank, one);
    EXPECT_GE(one, two);
  }
  EXPECT_THROW(make_render_pool(tiny_painter(), {}, options), UserError);
}

TEST(DiscriminatorCheck, TrainedForSecondsRewardsTheMatchingRender) {
  RenderPoolOptions options;
  options.random_programs = 2;
  options.other_targets = 3;
  const RenderPool pool = make_render_pool(tiny_painter(), tiny_targets(), options);
  torch::manual_seed(5);
  model::DiscriminatorConfig config;
  config.conditional = true;
  config.widths = {8, 16, 16};
  config.spectral_norm = true;
  model::Discriminator d(config);
  torch::optim::Adam adam(d->parameters(), discriminator_adam_options(1e-3));
  DiscriminatorLossConfig loss;
  loss.loss = GanLoss::kNonSaturating;
  at::Generator generator = model::make_generator(3);
  const torch::Tensor target_rows = torch::tensor(pool.target_of, torch::kLong);
  for (int update = 0; update < 150; ++update) {
    const torch::Tensor rows = torch::randint(pool.renders.size(0), {16}, generator, torch::kLong);
    discriminator_update(d, adam, loss, pool.targets.index_select(0, target_rows.index({rows})),
                         pool.renders.index_select(0, rows), &generator);
  }
  const DiscriminatorCheck check = check_discriminator(d, pool, false, true);
  EXPECT_GT(check.matching_share, 0.9);
  EXPECT_GT(check.rank_correlation, 0.5);
  EXPECT_GT(check.real_score, check.fake_score);
  EXPECT_GT(check.real_over_fake, 0.9);
  EXPECT_GE(check.accuracy, 0.0);
  EXPECT_LE(check.accuracy, 1.0);
  EXPECT_TRUE(d->is_training()) << "the check leaves D's mode as it found it";

  // An unconditional pool has no other-target renders: no matching share.
  options.other_targets = 0;
  model::DiscriminatorConfig plain_config = config;
  plain_config.conditional = false;
  model::Discriminator plain(plain_config);
  const RenderPool unconditional = make_render_pool(tiny_painter(), tiny_targets(), options);
  EXPECT_TRUE(std::isnan(check_discriminator(plain, unconditional, false, true).matching_share));
}

}  // namespace
}  // namespace spiral::learn
