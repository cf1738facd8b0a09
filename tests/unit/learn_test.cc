// Tests of the learn module: A2C loss, rewards, discriminator losses, the render replay and the
// canvases a rollout records.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/data/preprocess.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_loss.h"
#include "spiral/learn/episode.h"
#include "spiral/learn/program_search.h"
#include "spiral/learn/rewards.h"
#include "spiral/learn/rollout.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/environment_batch.h"
#include "spiral/render/program.h"
#include "spiral/render/scene.h"
#include "spiral/render/scene_parse.h"
#include "spiral/render/settings.h"

namespace spiral::learn {
namespace {

torch::Tensor tensor2d(const std::vector<std::vector<float>>& rows) {
  std::vector<torch::Tensor> out;
  for (const auto& r : rows) out.push_back(torch::tensor(r));
  return torch::stack(out);
}

model::Discriminator small_discriminator(bool conditional) {
  model::DiscriminatorConfig config;
  config.canvas = 16;
  config.channels = 1;
  config.conditional = conditional;
  config.widths = {4};
  return model::Discriminator(config);
}

// ---- A2C ----

TEST(Returns, UndiscountedAndDiscounted) {
  const torch::Tensor rewards = tensor2d({{1, 0}, {2, 0}, {3, 1}});  // [T = 3, B = 2]
  EXPECT_TRUE(
      torch::allclose(discounted_returns(rewards, 1.0), tensor2d({{6, 1}, {5, 1}, {3, 1}})));
  EXPECT_TRUE(torch::allclose(discounted_returns(rewards, 0.9),
                              tensor2d({{5.23f, 0.81f}, {4.7f, 0.9f}, {3, 1}})));
  const torch::Tensor bootstrap = torch::tensor({10.0f, 0.0f});
  EXPECT_TRUE(torch::allclose(discounted_returns(rewards, 0.5, bootstrap),
                              tensor2d({{4, 0.25f}, {6, 0.5f}, {8, 1}})));
}

// One A2C step on a two-action softmax policy that took action 0, and a scalar V.
struct TinyStep {
  double log_prob_before, log_prob_after, value_after, entropy_before, entropy_after;
};

TinyStep tiny_a2c_step(float reward, float initial_value, double entropy_cost,
                       std::vector<float> initial_logits = {0.0f, 0.0f}) {
  torch::Tensor logits = torch::tensor(initial_logits).requires_grad_(true);
  torch::Tensor v = torch::tensor({initial_value}).requires_grad_(true);
  auto entropy_of = [](const torch::Tensor& l) {
    const torch::Tensor lp = torch::log_softmax(l, 0);
    return -(lp.exp() * lp).sum();
  };
  TinyStep out;
  out.log_prob_before = torch::log_softmax(logits, 0)[0].item<double>();
  out.entropy_before = entropy_of(logits).item<double>();
  const torch::Tensor log_prob = torch::log_softmax(logits, 0)[0].view({1, 1});
  A2CConfig config;
  config.entropy_cost = entropy_cost;
  const A2CLoss loss = a2c_loss(log_prob, entropy_of(logits).view({1, 1}), v.view({1, 1}),
                                torch::full({1, 1}, reward), config);
  torch::optim::SGD sgd({logits, v}, torch::optim::SGDOptions(0.1));
  sgd.zero_grad();
  loss.total.backward();
  sgd.step();
  out.log_prob_after = torch::log_softmax(logits, 0)[0].item<double>();
  out.value_after = v.item<double>();
  out.entropy_after = entropy_of(logits).item<double>();
  return out;
}

TEST(A2C, PositiveAdvantageRaisesLogProbAndValueMovesToReturn) {
  const TinyStep up = tiny_a2c_step(1.0f, 0.0f, 0.0);
  EXPECT_GT(up.log_prob_after, up.log_prob_before);
  EXPECT_GT(up.value_after, 0.0);
  EXPECT_LT(up.value_after, 1.0);
  const TinyStep down = tiny_a2c_step(-1.0f, 0.0f, 0.0);
  EXPECT_LT(down.log_prob_after, down.log_prob_before);
  EXPECT_LT(down.value_after, 0.0);
}

TEST(A2C, EntropyBonusRaisesEntropy) {
  // Zero advantage (V = R): only the entropy term moves the policy.
  const TinyStep s = tiny_a2c_step(1.0f, 1.0f, 0.1, {1.0f, -1.0f});
  EXPECT_GT(s.entropy_after, s.entropy_before);
  // d total / d H = -entropy_cost / B.
  const torch::Tensor entropy = torch::ones({3, 2}).requires_grad_(true);
  A2CConfig config;
  config.entropy_cost = 0.2;
  const A2CLoss loss =
      a2c_loss(torch::zeros({3, 2}), entropy, torch::zeros({3, 2}), torch::zeros({3, 2}), config);
  loss.total.backward();
  EXPECT_TRUE(torch::allclose(entropy.grad(), torch::full({3, 2}, -0.1f)));
  EXPECT_NEAR(loss.entropy.item<double>(), 3.0, 1e-6);
}

TEST(A2C, LossParts) {
  const torch::Tensor rewards = tensor2d({{0, 0}, {1, 2}});
  const torch::Tensor value = tensor2d({{0.5f, 1}, {0, 0}});
  const torch::Tensor log_prob = tensor2d({{-1, -1}, {-2, -1}});
  A2CConfig config;
  config.entropy_cost = 0.0;
  const A2CLoss loss = a2c_loss(log_prob, torch::zeros({2, 2}), value, rewards, config);
  // Advantages {{0.5, 1}, {1, 2}}: policy = -mean_b(sum_t lp * A) = -(-2.5 + -3) / 2 = 2.75.
  EXPECT_NEAR(loss.policy.item<double>(), 2.75, 1e-6);
  EXPECT_NEAR(loss.value.item<double>(), (1.25 + 5.0) / 2, 1e-6);
  EXPECT_NEAR(loss.total.item<double>(), 2.75 + 0.5 * 3.125, 1e-6);
  EXPECT_NEAR(loss.mean_return.item<double>(), 1.5, 1e-6);
  EXPECT_NEAR(loss.mean_advantage.item<double>(), 1.125, 1e-6);
  EXPECT_THROW(a2c_loss(log_prob, torch::zeros({2, 3}), value, rewards), std::invalid_argument);
  config.discount = 1.5;
  EXPECT_THROW(a2c_loss(log_prob, torch::zeros({2, 2}), value, rewards, config), UserError);
}

TEST(A2C, LeaveOneOutBaselineUsesTheTargetsOtherEpisodes) {
  // Three episodes on target 7, one alone on target 9; two steps.
  const torch::Tensor returns = tensor2d({{1, 2, 6, 5}, {0, 3, 3, 4}});
  const torch::Tensor groups = torch::tensor({7, 7, 7, 9}, torch::kLong);
  const torch::Tensor value = torch::full({2, 4}, 0.5f);
  const torch::Tensor baseline = leave_one_out_baseline(returns, groups, value);
  EXPECT_TRUE(torch::allclose(baseline, tensor2d({{4, 3.5f, 1.5f, 0.5f}, {3, 1.5f, 1.5f, 0.5f}})));
  EXPECT_THROW(leave_one_out_baseline(returns, groups.narrow(0, 0, 3), value),
               std::invalid_argument);
}

// One step, two episodes on one target: rewards {1, 3}, V {10, -10}, log pi {-1, -2}.
struct TwoEpisodesOnOneTarget {
  torch::Tensor rewards = tensor2d({{1, 3}});
  torch::Tensor value = tensor2d({{10, -10}});
  torch::Tensor log_prob = tensor2d({{-1, -2}});
  torch::Tensor groups = torch::tensor({4, 4}, torch::kLong);

  // The loss with the learner's `learner` log-probabilities, played by `behaviour` (undefined:
  // on-policy, no weights).
  A2CLoss loss(const torch::Tensor& learner, const torch::Tensor& behaviour = {}) const {
    A2CConfig config;
    config.entropy_cost = 0.0;
    return a2c_loss(learner, torch::zeros({1, 2}), value, rewards, config, {}, behaviour, groups);
  }
};

TEST(A2C, GroupBaselineReplacesTheValueInThePolicyTermOnly) {
  // Advantages are r - the other's r, whatever V says: {-2, 2}.
  const TwoEpisodesOnOneTarget unroll;
  const A2CLoss loss = unroll.loss(unroll.log_prob);
  // policy = -((-1)(-2) + (-2)(2)) / 2 = 1; the value error is still R - V.
  EXPECT_NEAR(loss.policy.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(loss.value.item<double>(), (81.0 + 169.0) / 2, 1e-4);
}

TEST(A2C, GroupAdvantagesOfAnOlderPolicyWeighTheTruncatedImportanceWeight) {
  const TwoEpisodesOnOneTarget unroll;
  // On-policy (mu = pi): weights 1, the plain group loss.
  EXPECT_NEAR(unroll.loss(unroll.log_prob, unroll.log_prob).policy.item<double>(), 1.0, 1e-6);
  // mu gave episode 0's command twice pi's probability (weight 1/2) and episode 1's half of it
  // (weight 2, truncated to 1): -((-1)(-2)(1/2) + (-2)(2)(1)) / 2 = 1.5.
  const torch::Tensor behaviour = unroll.log_prob + tensor2d({{std::log(2.0), -std::log(2.0)}});
  EXPECT_NEAR(unroll.loss(unroll.log_prob, behaviour).policy.item<double>(), 1.5, 1e-5);
  // The weights carry no gradient: the policy's gradient is weight x advantage on log pi.
  const torch::Tensor learner = unroll.log_prob.clone().requires_grad_(true);
  unroll.loss(learner, behaviour).policy.backward();
  EXPECT_NEAR(learner.grad()[0][0].item<double>(), 0.5 * 2 / 2, 1e-5);   // -(0.5)(-2) / 2
  EXPECT_NEAR(learner.grad()[0][1].item<double>(), -1.0 * 2 / 2, 1e-5);  // -(1)(2) / 2
  // The value head still learns the played returns.
  EXPECT_NEAR(unroll.loss(unroll.log_prob, behaviour).value.item<double>(), (81.0 + 169.0) / 2,
              1e-4);
}

TEST(Vtrace, OnPolicyEqualsDiscountedReturns) {
  const torch::Tensor rewards = tensor2d({{0, 0.5f}, {1, 2}, {0.25f, -1}});
  const torch::Tensor value = tensor2d({{0.5f, 1}, {0, 0.2f}, {0.1f, 0.3f}});
  const torch::Tensor log_prob = tensor2d({{-1, -1}, {-2, -1}, {-0.5f, -3}});
  const VtraceTargets targets = vtrace(log_prob, log_prob, value, rewards, 0.9);
  const torch::Tensor returns = discounted_returns(rewards, 0.9);
  EXPECT_TRUE(torch::allclose(targets.values, returns));
  EXPECT_TRUE(torch::allclose(targets.advantage, returns - value));
  A2CConfig config;
  config.discount = 0.9;
  const A2CLoss a2c = a2c_loss(log_prob, torch::zeros({3, 2}), value, rewards, config);
  const A2CLoss corrected =
      a2c_loss(log_prob, torch::zeros({3, 2}), value, rewards, config, {}, log_prob);
  EXPECT_NEAR(corrected.total.item<double>(), a2c.total.item<double>(), 1e-6);
}

TEST(Vtrace, ClipsImportanceWeightsAtOne) {
  // T = 2, one episode: the learner's policy makes step 0 half as likely as the actor's did
  // (rho 0.5) and step 1 twice as likely (rho clipped to 1).
  const torch::Tensor rewards = tensor2d({{0}, {1}});
  const torch::Tensor value = tensor2d({{0.5f}, {0}});
  const torch::Tensor log_prob = tensor2d({{std::log(0.5f)}, {0}});
  const torch::Tensor behaviour = tensor2d({{0}, {std::log(0.5f)}});
  const VtraceTargets targets = vtrace(log_prob, behaviour, value, rewards, 1.0);
  // v_1 = 0 + 1 * (1 - 0) = 1; v_0 = 0.5 + 0.5 * (0 + 0 - 0.5) + 0.5 * (v_1 - V_1) = 0.75.
  EXPECT_TRUE(torch::allclose(targets.values, tensor2d({{0.75f}, {1}})));
  // Advantages: 0.5 * (0 + v_1 - 0.5) = 0.25 and 1 * (1 + 0 - 0) = 1.
  EXPECT_TRUE(torch::allclose(targets.advantage, tensor2d({{0.25f}, {1}})));
  EXPECT_THROW(vtrace(log_prob, torch::zeros({3, 1}), value, rewards, 1.0), std::invalid_argument);
}

TEST(A2C, ClipGradients) {
  torch::Tensor a = torch::zeros({1}).requires_grad_(true);
  torch::Tensor b = torch::zeros({1}).requires_grad_(true);
  torch::Tensor c = torch::zeros({1}).requires_grad_(true);  // no gradient: skipped
  (3 * a + 4 * b).sum().backward();
  EXPECT_NEAR(clip_gradients({a, b, c}, 0.0), 5.0, 1e-6);  // off: unchanged
  EXPECT_NEAR(a.grad().item<double>(), 3.0, 1e-6);
  EXPECT_NEAR(clip_gradients({a, b, c}, 1.0), 5.0, 1e-6);
  const double after = std::hypot(a.grad().item<double>(), b.grad().item<double>());
  EXPECT_NEAR(after, 1.0, 1e-5);
  EXPECT_NEAR(a.grad().item<double>() / b.grad().item<double>(), 0.75, 1e-6);
  EXPECT_NEAR(clip_gradients({a, b}, 10.0), after, 1e-5);  // under the limit: unchanged
  EXPECT_NEAR(std::hypot(a.grad().item<double>(), b.grad().item<double>()), after, 1e-6);
}

TEST(A2C, AdamOptions) {
  const auto d = discriminator_adam_options();
  EXPECT_DOUBLE_EQ(d.lr(), 1e-4);
  EXPECT_DOUBLE_EQ(std::get<0>(d.betas()), 0.5);
  EXPECT_DOUBLE_EQ(std::get<1>(d.betas()), 0.999);
  const auto p = policy_adam_options(3e-4);
  EXPECT_DOUBLE_EQ(p.lr(), 3e-4);
  EXPECT_THROW(policy_adam_options(0.0), UserError);
  torch::Tensor w = torch::ones({2}).requires_grad_(true);
  auto adam = make_adam({w}, p);
  w.sum().backward();
  adam->step();
  EXPECT_LT(w[0].item<double>(), 1.0);
}

// ---- Rewards ----

TEST(Rewards, DiscriminatorAtLastStepOnly) {
  torch::manual_seed(1);
  model::Discriminator d = small_discriminator(false);
  RewardInputs in;
  in.steps = 4;
  in.final_renders = torch::rand({3, 1, 16, 16});
  const torch::Tensor r = compute_rewards(RewardConfig(), in, &d);
  ASSERT_EQ(r.sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(torch::equal(r.narrow(0, 0, 3), torch::zeros({3, 3})));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(r[3], d(in.final_renders)));
  EXPECT_FALSE(r.requires_grad());
  EXPECT_THROW(compute_rewards(RewardConfig(), in, nullptr), std::invalid_argument);
}

TEST(Rewards, ConditionalDiscriminatorGetsTargets) {
  torch::manual_seed(2);
  model::Discriminator d = small_discriminator(true);
  RewardInputs in;
  in.steps = 2;
  in.final_renders = torch::rand({2, 1, 16, 16});
  in.targets = torch::rand({2, 1, 16, 16});
  const torch::Tensor r = compute_rewards(RewardConfig(), in, &d);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(r[1], d(in.final_renders, in.targets)));
}

TEST(Rewards, ComplementDiscriminatorScoresTheMeanOverTheFourHalves) {
  torch::manual_seed(3);
  model::Discriminator d = small_discriminator(true);
  RewardInputs in;
  in.steps = 1;
  in.final_renders = torch::rand({2, 1, 16, 16});
  in.targets = torch::rand({2, 1, 16, 16});
  RewardConfig config;
  config.discriminator_complement = true;
  const torch::Tensor r = compute_rewards(config, in, &d);
  torch::NoGradGuard no_grad;
  torch::Tensor expected = torch::zeros({2});
  const torch::Tensor masks = half_masks(16, 16, in.targets.options());
  for (int64_t k = 0; k < 4; ++k) {
    expected += d(masks[k] * in.final_renders, (1 - masks[k]) * in.targets) / 4;
  }
  EXPECT_TRUE(torch::allclose(r[0], expected));
  EXPECT_FALSE(torch::allclose(r[0], d(in.final_renders, in.targets)));
}

TEST(Rewards, NegativeL2SumOrMean) {
  RewardInputs in;
  in.steps = 2;
  in.final_renders = torch::full({2, 1, 16, 16}, 0.5f);
  in.targets = torch::zeros({2, 1, 16, 16});
  in.targets[1].fill_(0.5f);
  RewardConfig config;
  config.discriminator_weight = 0.0;
  config.l2_weight = 1.0;
  torch::Tensor r = compute_rewards(config, in, nullptr);
  EXPECT_TRUE(torch::allclose(r, tensor2d({{0, 0}, {-64, 0}})));  // 256 pixels * 0.25
  config.l2_form = L2Form::kMean;
  r = compute_rewards(config, in, nullptr);
  EXPECT_TRUE(torch::allclose(r, tensor2d({{0, 0}, {-0.25f, 0}})));
}

TEST(Rewards, BlurredL2RewardsAStrokeBesideTheLine) {
  // The target is a vertical line at column 8; the stroke lands 2 columns to its right.
  RewardInputs in;
  in.steps = 1;
  in.targets = torch::zeros({1, 1, 16, 16});
  in.targets.select(3, 8).fill_(1.0f);
  in.step_renders = torch::zeros({2, 1, 1, 16, 16});
  in.step_renders[1].select(3, 10).fill_(1.0f);
  in.final_renders = in.step_renders[1];
  RewardConfig config;
  config.discriminator_weight = 0.0;
  config.l2_weight = 1.0;
  config.l2_per_step = true;
  config.l2_form = L2Form::kMean;
  EXPECT_LT(compute_rewards(config, in, nullptr).item<float>(), 0.0f);  // more pixels wrong
  config.l2_blur = 2.0;
  const float beside = compute_rewards(config, in, nullptr).item<float>();
  EXPECT_GT(beside, 0.0f);  // nearer than blank
  // On the line it earns more than beside it.
  in.step_renders[1] = in.targets;
  in.final_renders = in.step_renders[1];
  EXPECT_GT(compute_rewards(config, in, nullptr).item<float>(), beside);
  config.l2_blur = -1.0;
  EXPECT_THROW(compute_rewards(config, in, nullptr), UserError);
}

TEST(Rewards, PerStepDifferencesTelescope) {
  torch::manual_seed(3);
  model::Discriminator d = small_discriminator(false);
  RewardInputs in;
  in.steps = 5;
  in.step_renders = torch::rand({6, 2, 1, 16, 16});
  in.step_renders[0].fill_(1.0f);  // blank canvas
  in.final_renders = in.step_renders[5];
  RewardConfig config;
  config.discriminator_mode = DiscriminatorReward::kPerStep;
  const torch::Tensor r = compute_rewards(config, in, &d);
  ASSERT_EQ(r.sizes(), (std::vector<int64_t>{5, 2}));
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = d(in.step_renders[5]) - d(in.step_renders[0]);
  EXPECT_TRUE(torch::allclose(r.sum(0), expected, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(r[0], d(in.step_renders[1]) - d(in.step_renders[0]), 1e-4, 1e-5));
}

TEST(Rewards, StrokePenaltyCountsStrokes) {
  // Column 0: paint paint jump paint jump jump -> strokes start at t 0 and 3.
  // Column 1: jump paint paint jump paint paint -> strokes start at t 1 and 4.
  const torch::Tensor flags =
      torch::tensor({1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1}, torch::kInt64).view({6, 2});
  const torch::Tensor starts = stroke_starts(flags);
  EXPECT_TRUE(torch::equal(starts, tensor2d({{1, 0}, {0, 1}, {0, 0}, {1, 0}, {0, 1}, {0, 0}})));
  RewardInputs in;
  in.steps = 6;
  in.final_renders = torch::zeros({2, 1, 4, 4});
  in.first_values = flags;
  RewardConfig config;
  config.discriminator_weight = 0.0;
  config.stroke_penalty = 0.25;
  const torch::Tensor r = compute_rewards(config, in, nullptr);
  EXPECT_TRUE(torch::allclose(r, -0.25 * starts));
  EXPECT_NEAR(r.sum().item<double>(), -1.0, 1e-6);
}

TEST(Rewards, BlankCanvasPenalty) {
  RewardInputs in;
  in.steps = 3;
  in.final_renders = torch::ones({2, 1, 4, 4});
  in.final_renders[1][0][2][2] = 0.0f;
  in.blank_canvas = torch::ones({1, 4, 4});
  RewardConfig config;
  config.discriminator_weight = 0.0;
  config.blank_penalty = 0.5;
  const torch::Tensor r = compute_rewards(config, in, nullptr);
  EXPECT_TRUE(torch::allclose(r, tensor2d({{0, 0}, {0, 0}, {-0.5f, 0}})));
  in.blank_canvas = torch::Tensor();
  EXPECT_THROW(compute_rewards(config, in, nullptr), std::invalid_argument);
  config.blank_penalty = -1.0;
  EXPECT_THROW(compute_rewards(config, in, nullptr), UserError);
}

// ---- Discriminator losses ----

// A linear critic sum(w * image) with ||w|| = 1: its input gradient has unit norm everywhere.
Critic linear_critic(const torch::Tensor& w) {
  return [w](const torch::Tensor& image, const torch::Tensor&) {
    return (image * w).flatten(1).sum(1);
  };
}

TEST(GanLoss, GradientPenaltyZeroForUnitGradient) {
  at::Generator gen = model::make_generator(7);
  torch::Tensor w = torch::rand({1, 1, 8, 8});
  w = w / w.norm();
  DiscriminatorPairs pairs = make_discriminator_pairs(
      torch::rand({4, 1, 8, 8}), torch::rand({4, 1, 8, 8}), false, false, &gen);
  EXPECT_NEAR(gradient_penalty(linear_critic(w), pairs, &gen).item<double>(), 0.0, 1e-8);
  // Gradient norm 3: penalty (3 - 1)^2 = 4.
  EXPECT_NEAR(gradient_penalty(linear_critic(3 * w), pairs, &gen).item<double>(), 4.0, 1e-4);
  // Conditional pairs: the gradient is taken with respect to the image only.
  pairs = make_discriminator_pairs(torch::rand({4, 1, 8, 8}), torch::rand({4, 1, 8, 8}), true,
                                   false, &gen);
  EXPECT_NEAR(gradient_penalty(linear_critic(w), pairs, &gen).item<double>(), 0.0, 1e-8);
}

// The row's point x = a * real + (1 - a) * end for some a in [0, 1]?
bool on_segment(const torch::Tensor& x, const torch::Tensor& real, const torch::Tensor& end) {
  const torch::Tensor direction = (real - end).flatten();
  const double a = ((x - end).flatten().dot(direction) / direction.dot(direction)).item<double>();
  const double miss = (x - end - a * (real - end)).abs().max().item<double>();
  return a >= -1e-6 && a <= 1 + 1e-6 && miss < 1e-5;
}

TEST(GanLoss, GradientPenaltyReachesMismatchedPairs) {
  const torch::Tensor w = torch::arange(16, torch::kFloat).view({1, 1, 4, 4}) / 16;
  std::vector<torch::Tensor> seen;
  const Critic recording = [&](const torch::Tensor& image, const torch::Tensor& condition) {
    seen.push_back(image.detach());
    return (image * w).flatten(1).mean(1) + 2 * condition.flatten(1).mean(1);
  };
  const int64_t b = 64;
  torch::Tensor real = torch::rand({b, 1, 4, 4});
  real[5] = real[4];  // row 5's previous target is its own: no mismatch there
  const torch::Tensor fake = torch::rand({b, 1, 4, 4});
  const torch::Tensor previous = torch::roll(real, 1, 0);
  DiscriminatorLossConfig config;
  config.mismatched_fakes = true;
  config.offset_weight = 0;
  at::Generator gen = model::make_generator(3);
  discriminator_loss(recording, true, config, real, fake, &gen);
  ASSERT_EQ(seen.size(), 2u);  // the scores, then the penalty's interpolates
  const torch::Tensor& x = seen[1];
  ASSERT_EQ(x.size(0), b);
  int to_mismatched = 0;
  for (int64_t i = 0; i < b; ++i) {
    const bool render = on_segment(x[i], real[i], fake[i]);
    const bool other = on_segment(x[i], real[i], previous[i]);
    EXPECT_TRUE(render || other) << "row " << i;
    if (other && !render) ++to_mismatched;
    if (i == 5) {
      EXPECT_TRUE(render);
    }
  }
  // About half of the rows (sd 4): D's slope is held towards both kinds of fake.
  EXPECT_GT(to_mismatched, 12);
  EXPECT_LT(to_mismatched, 52);
}

// D's WGAN-GP loss and its gradient (flattened), with its forward passes in fp32 or bf16.
std::pair<double, torch::Tensor> d_loss_and_gradient(model::Discriminator& d, bool bf16,
                                                     const torch::Tensor& real,
                                                     const torch::Tensor& fake) {
  at::Generator gen = model::make_generator(5);  // the same interpolation in both
  DiscriminatorLossConfig config;
  config.mismatched_fakes = true;
  config.bf16 = bf16;
  d->zero_grad();
  const DiscriminatorLoss loss = discriminator_loss(d, config, real, fake, &gen);
  EXPECT_EQ(loss.total.scalar_type(), torch::kFloat);
  loss.total.backward();
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : d->parameters()) grads.push_back(p.grad().flatten());
  return {loss.total.item<double>(), torch::cat(grads)};
}

TEST(GanLoss, Bf16LossAndGradientStayCloseToFp32) {
  torch::manual_seed(9);
  model::DiscriminatorConfig config;
  config.conditional = true;
  config.widths = {16, 32, 64, 128};
  config.channels_last = true;
  model::Discriminator d(config);
  const torch::Tensor real = torch::rand({16, 1, 64, 64});
  const torch::Tensor fake = torch::rand({16, 1, 64, 64});
  const auto [loss32, grad32] = d_loss_and_gradient(d, false, real, fake);
  const auto [loss16, grad16] = d_loss_and_gradient(d, true, real, fake);
  EXPECT_NE(loss16, loss32);  // D did run in bf16
  // The gradient penalty's double backward runs through bf16 convolutions too: the loss within
  // 2% (of its scale, the penalty's 10), the gradient's direction within a few degrees.
  EXPECT_NEAR(loss16, loss32, 0.02 * std::max(1.0, std::abs(loss32)));
  const double cosine =
      (grad16 * grad32).sum().item<double>() / (grad16.norm() * grad32.norm()).item<double>();
  EXPECT_GT(cosine, 0.99);
  std::printf("D loss fp32 %.6f bf16 %.6f; gradient cosine %.5f\n", loss32, loss16, cosine);
}

TEST(GanLoss, WassersteinPartsAndDoubleBackward) {
  torch::manual_seed(4);
  at::Generator gen = model::make_generator(8);
  model::Discriminator d = small_discriminator(false);
  const DiscriminatorLoss loss =
      discriminator_loss(d, DiscriminatorLossConfig(), torch::ones({4, 1, 16, 16}),
                         torch::zeros({4, 1, 16, 16}), &gen);
  const double expected = loss.fake_score.item<double>() - loss.real_score.item<double>() +
                          10.0 * loss.gradient_penalty.item<double>() +
                          1e-3 * loss.offset.item<double>();
  EXPECT_NEAR(loss.total.item<double>(), expected, 1e-5);
  EXPECT_GT(loss.gradient_penalty.item<double>(), 0.0);
  const double mean = 0.5 * (loss.real_score.item<double>() + loss.fake_score.item<double>());
  EXPECT_NEAR(loss.offset.item<double>(), mean * mean, 1e-6);
  // The penalty alone back-propagates into D's weights (double backward).
  DiscriminatorPairs pairs = make_discriminator_pairs(
      torch::ones({4, 1, 16, 16}), torch::zeros({4, 1, 16, 16}), false, false, &gen);
  d->zero_grad();
  gradient_penalty(as_critic(d), pairs, &gen).backward();
  double grad_sum = 0.0;
  for (const torch::Tensor& p : d->parameters()) {
    if (!p.grad().defined()) continue;  // the output bias does not enter d D / d x
    ASSERT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
    grad_sum += p.grad().abs().sum().item<double>();
  }
  EXPECT_GT(grad_sum, 0.0);
}

double train_steps(model::Discriminator& d, const DiscriminatorLossConfig& config, int steps,
                   double* first, DiscriminatorLoss* last) {
  at::Generator gen = model::make_generator(9);
  auto adam = make_adam(d->parameters(), discriminator_adam_options(1e-3));
  const torch::Tensor real = torch::ones({8, 1, 16, 16});
  const torch::Tensor fake = torch::zeros({8, 1, 16, 16});
  double value = 0.0;
  for (int i = 0; i < steps; ++i) {
    adam->zero_grad();
    *last = discriminator_loss(d, config, real, fake, &gen);
    last->total.backward();
    adam->step();
    value = last->total.item<double>();
    if (i == 0) *first = value;
  }
  return value;
}

TEST(GanLoss, AdamSeparatesRealFromFake) {
  torch::manual_seed(5);
  for (GanLoss kind : {GanLoss::kWasserstein, GanLoss::kNonSaturating}) {
    model::Discriminator d = small_discriminator(false);
    DiscriminatorLossConfig config;
    config.loss = kind;
    double first = 0.0;
    DiscriminatorLoss last;
    const double final_loss = train_steps(d, config, 30, &first, &last);
    EXPECT_LT(final_loss, first) << static_cast<int>(kind);
    EXPECT_GT(last.real_score.item<double>(), last.fake_score.item<double>());
  }
}

TEST(GanLoss, ConditionalAndComplementPairs) {
  at::Generator gen = model::make_generator(10);
  const torch::Tensor target = torch::rand({64, 2, 8, 6});
  const torch::Tensor render = torch::rand({64, 2, 8, 6});
  DiscriminatorPairs p = make_discriminator_pairs(target, render, true, false, &gen);
  EXPECT_TRUE(torch::equal(p.real_image, target));
  EXPECT_TRUE(torch::equal(p.real_condition, target));
  EXPECT_TRUE(torch::equal(p.fake_image, render));
  EXPECT_TRUE(torch::equal(p.fake_condition, target));
  p = make_discriminator_pairs(target, render, false, false, &gen);
  EXPECT_FALSE(p.real_condition.defined());
  EXPECT_THROW(make_discriminator_pairs(target, render, false, true, &gen), UserError);

  const torch::Tensor m = complement_masks(target, &gen);
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{64, 1, 8, 6}));
  std::map<int, int> kinds;
  for (int64_t i = 0; i < 64; ++i) {
    const torch::Tensor mi = m[i][0];
    EXPECT_EQ(mi.sum().item<double>(), 24.0);  // half of 8 x 6
    const torch::Tensor left = torch::zeros({8, 6});
    left.narrow(1, 0, 3).fill_(1.0f);
    const torch::Tensor top = torch::zeros({8, 6});
    top.narrow(0, 0, 4).fill_(1.0f);
    if (torch::equal(mi, left)) kinds[0]++;
    if (torch::equal(mi, 1 - left)) kinds[1]++;
    if (torch::equal(mi, top)) kinds[2]++;
    if (torch::equal(mi, 1 - top)) kinds[3]++;
  }
  EXPECT_EQ(kinds.size(), 4u);
  int total = 0;
  for (const auto& [k, n] : kinds) total += n;
  EXPECT_EQ(total, 64);

  p = make_discriminator_pairs(target, render, true, true, &gen, m);
  EXPECT_TRUE(torch::equal(p.real_condition, (1 - m) * target));
  EXPECT_TRUE(torch::equal(p.fake_condition, p.real_condition));
  EXPECT_TRUE(torch::equal(p.real_image, m * target));
  EXPECT_TRUE(torch::equal(p.fake_image, m * render));
}

TEST(GanLoss, ComplementLossRunsOnConditionalD) {
  at::Generator gen = model::make_generator(11);
  model::Discriminator d = small_discriminator(true);
  DiscriminatorLossConfig config;
  config.complement = true;
  const DiscriminatorLoss loss =
      discriminator_loss(d, config, torch::rand({4, 1, 16, 16}), torch::rand({4, 1, 16, 16}), &gen);
  loss.total.backward();
  EXPECT_TRUE(std::isfinite(loss.total.item<double>()));
}

TEST(GanLoss, MismatchedFakesPairEachTargetWithThePreviousRowsTarget) {
  // A critic that tells image from condition and one pixel from another, so that the parts of the
  // loss can be computed by hand row by row.
  const torch::Tensor w = torch::arange(16, torch::kFloat).view({1, 1, 4, 4}) / 16;
  const auto score = [w](const torch::Tensor& image, const torch::Tensor& condition) {
    return (image * w).flatten(1).mean(1) + 2 * condition.flatten(1).mean(1);
  };
  const Critic critic = score;
  torch::Tensor real = torch::rand({3, 1, 4, 4});
  real[2] = real[1];  // rows 1 and 2 share a target: that pair is no mismatch and weighs 0
  const torch::Tensor fake = torch::rand({3, 1, 4, 4});
  const torch::Tensor real_scores = score(real, real);
  const torch::Tensor fake_scores = score(fake, real);
  // Row 0 beside row 2's target, row 1 beside row 0's (row 2 beside row 1's: the same image).
  const torch::Tensor mismatched = 0.5 * (score(real[2].unsqueeze(0), real[0].unsqueeze(0)) +
                                          score(real[0].unsqueeze(0), real[1].unsqueeze(0)));
  const torch::Tensor mismatched_softplus =
      0.5 * (torch::softplus(score(real[2].unsqueeze(0), real[0].unsqueeze(0))) +
             torch::softplus(score(real[0].unsqueeze(0), real[1].unsqueeze(0))));
  DiscriminatorLossConfig config;
  config.loss = GanLoss::kNonSaturating;
  config.mismatched_fakes = true;
  DiscriminatorLoss loss = discriminator_loss(critic, true, config, real, fake, nullptr);
  const torch::Tensor expected = torch::softplus(-real_scores).mean() +
                                 0.5 * torch::softplus(fake_scores).mean() +
                                 0.5 * mismatched_softplus.sum();
  EXPECT_NEAR(loss.total.item<double>(), expected.item<double>(), 1e-6);
  EXPECT_NEAR(loss.fake_score.item<double>(), fake_scores.mean().item<double>(), 1e-6);
  config.loss = GanLoss::kWasserstein;
  config.gradient_penalty = 0;
  config.offset_weight = 1;
  loss = discriminator_loss(critic, true, config, real, fake, nullptr);
  const torch::Tensor fake_mean = 0.5 * fake_scores.mean() + 0.5 * mismatched.sum();
  const torch::Tensor offset = (0.5 * (real_scores.mean() + fake_mean)).pow(2);
  EXPECT_NEAR(loss.total.item<double>(),
              (fake_mean - real_scores.mean() + offset).sum().item<double>(), 1e-6);
  // With the complement, the mismatched image is the previous row's target in this row's half.
  at::Generator gen = model::make_generator(4);
  config.complement = true;
  config.offset_weight = 0;
  std::vector<torch::Tensor> seen_images, seen_conditions;
  const Critic recording = [&](const torch::Tensor& image, const torch::Tensor& condition) {
    seen_images.push_back(image);
    seen_conditions.push_back(condition);
    return score(image, condition);
  };
  discriminator_loss(recording, true, config, real, fake, &gen);
  at::Generator same = model::make_generator(4);
  const torch::Tensor m = complement_masks(real, &same);
  ASSERT_EQ(seen_images.size(), 1u);
  EXPECT_TRUE(torch::equal(seen_images[0].narrow(0, 6, 3), m * torch::roll(real, 1, 0)));
  EXPECT_TRUE(torch::equal(seen_conditions[0].narrow(0, 6, 3), (1 - m) * real));
  // Every row one image: no mismatch, the renders weigh all.
  const torch::Tensor one = real[0].unsqueeze(0).expand({3, 1, 4, 4}).contiguous();
  config.complement = false;
  config.loss = GanLoss::kNonSaturating;
  loss = discriminator_loss(critic, true, config, one, fake, nullptr);
  EXPECT_NEAR(loss.total.item<double>(),
              (torch::softplus(-score(one, one)).mean() + torch::softplus(score(fake, one)).mean())
                  .item<double>(),
              1e-6);
}

// ---- Render replay ----

TEST(Replay, KeepsLastBatchesAndSamplesUniformly) {
  RenderReplay replay(3);
  EXPECT_THROW(replay.sample(1, nullptr), std::logic_error);
  const std::vector<int64_t> sizes = {1, 2, 3, 1, 2};
  for (size_t b = 0; b < sizes.size(); ++b) {
    const torch::Tensor rows = torch::arange(sizes[b], torch::kFloat32) + 10.0f * b;
    const torch::Tensor renders = rows.view({-1, 1, 1, 1}).expand({-1, 1, 2, 2}).contiguous();
    replay.add(renders, -renders);
  }
  EXPECT_EQ(replay.batches(), 3);
  EXPECT_EQ(replay.size(), 6);  // batches 2, 3, 4: 3 + 1 + 2 renders
  at::Generator gen = model::make_generator(12);
  const int64_t n = 6000;
  const ReplaySample s = replay.sample(n, &gen);
  ASSERT_EQ(s.renders.sizes(), (std::vector<int64_t>{n, 1, 2, 2}));
  EXPECT_TRUE(torch::equal(s.targets, -s.renders));
  std::map<int, int> counts;
  const torch::Tensor values = s.renders.select(1, 0).select(1, 0).select(1, 0);
  for (int64_t i = 0; i < n; ++i) counts[static_cast<int>(values[i].item<float>())]++;
  const std::vector<int> expected_keys = {20, 21, 22, 30, 40, 41};
  ASSERT_EQ(counts.size(), expected_keys.size());
  for (int key : expected_keys) {
    EXPECT_NEAR(counts[key], n / 6, 150) << key;  // ~5 standard deviations
  }
  EXPECT_THROW(replay.add(torch::zeros({2, 1, 3, 3}), torch::zeros({2, 1, 3, 3})),
               std::invalid_argument);
  EXPECT_THROW(replay.add(torch::zeros({2, 1, 2, 2})), std::invalid_argument);
  EXPECT_THROW(RenderReplay(0), UserError);
}

// ---- Rollout ----

TEST(Rollout, EpisodeCanvasesAreTheCanvasBeforeAndAfterEachStep) {
  render::EnvironmentSettings settings;
  settings.painter.grid = 8;
  settings.painter.episode_length = 4;
  settings.painter.brush_sizes = {4};
  const int count = 3;
  render::EnvironmentBatch envs(settings, count, 1);
  model::PolicyConfig config;  // unconditional: noise drawn from the generator
  config.residual_blocks = 1;
  config.lstm_size = 32;
  model::Policy policy(config, envs.action_spec());
  RolloutOptions options;
  options.seeds = {1, 2, 3};
  at::Generator generator = model::make_generator(3);
  const Rollout rollout = play_episodes(policy, envs, torch::Tensor(), options, &generator, true);
  const std::vector<torch::Tensor> canvases = episode_canvases(rollout);
  ASSERT_EQ(canvases.size(), 5u);
  EXPECT_GT(canvases.front().min().item<float>(), 0.999f);  // blank: white
  EXPECT_TRUE(torch::equal(canvases.back(), rollout.final_canvases));

  // Replaying the recorded commands step by step shows the same canvas after each step.
  render::EnvironmentBatch replay(settings, count, 1);
  replay.reset(options.seeds);
  bool changed = false;
  for (size_t t = 0; t < rollout.commands.size(); ++t) {
    const torch::Tensor values = rollout.commands[t].to(torch::kInt).contiguous();
    const int64_t parts = values.size(1);
    std::vector<render::Command> commands;
    for (int64_t b = 0; b < count; ++b) {
      const int32_t* row = values.data_ptr<int32_t>() + b * parts;
      commands.emplace_back(row, row + parts);
    }
    replay.step(commands);
    EXPECT_TRUE(torch::equal(canvases[t + 1], batch_canvases(replay, torch::kCPU))) << "step " << t;
    changed = changed || !torch::equal(canvases[t + 1], canvases[t]);
  }
  EXPECT_TRUE(changed) << "no step painted: the comparison above proves nothing";

  generator = model::make_generator(3);
  const Rollout unrecorded =
      play_episodes(policy, envs, torch::Tensor(), options, &generator, false);
  EXPECT_THROW(episode_canvases(unrecorded), std::invalid_argument);
}

// ---- Episode messages ----

namespace episodes {

EpisodeShape small_shape(int noise) { return EpisodeShape{3, 2, 4, 5, 1, noise}; }

Episode numbered_episode(const EpisodeShape& shape, int seed) {
  Episode e;
  e.target_index = 100 + seed;
  e.policy_version = 7 * seed;
  e.actor = seed % 4;
  for (int i = 0; i < shape.steps * shape.parts; ++i) e.commands.push_back(seed * 10 + i);
  for (int i = 0; i < shape.steps; ++i)
    e.log_probs.push_back(-0.25f * static_cast<float>(i + seed));
  for (size_t i = 0; i < (shape.steps + 1) * shape.canvas_bytes(); ++i) {
    e.canvases.push_back(static_cast<uint8_t>(seed + i));
  }
  for (int i = 0; i < shape.noise; ++i) e.noise.push_back(0.5f * static_cast<float>(i - seed));
  return e;
}

void expect_same(const Episode& a, const Episode& b) {
  EXPECT_EQ(a.target_index, b.target_index);
  EXPECT_EQ(a.policy_version, b.policy_version);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.commands, b.commands);
  EXPECT_EQ(a.log_probs, b.log_probs);
  EXPECT_EQ(a.canvases, b.canvases);
  EXPECT_EQ(a.noise, b.noise);
}

TEST(EpisodeMessage, RoundTripsWithAndWithoutNoise) {
  for (int noise : {0, 3}) {
    const EpisodeShape shape = small_shape(noise);
    const std::vector<Episode> sent = {numbered_episode(shape, 1), numbered_episode(shape, 2),
                                       numbered_episode(shape, 3)};
    const std::vector<Episode> received = decode_episodes(encode_episodes(shape, sent), shape);
    ASSERT_EQ(received.size(), 3u);
    for (size_t i = 0; i < sent.size(); ++i) expect_same(sent[i], received[i]);
  }
  EXPECT_TRUE(decode_episodes(encode_episodes(small_shape(0), {}), small_shape(0)).empty());
}

TEST(EpisodeMessage, RefusesOtherShapesAndDamagedBytes) {
  const EpisodeShape shape = small_shape(0);
  const std::string bytes = encode_episodes(shape, {numbered_episode(shape, 1)});
  EpisodeShape other = shape;
  other.parts = 3;
  EXPECT_THROW(decode_episodes(bytes, other), std::runtime_error);
  EXPECT_THROW(decode_episodes(bytes.substr(0, bytes.size() - 1), shape), std::runtime_error);
  EXPECT_THROW(decode_episodes(bytes + "x", shape), std::runtime_error);
  EXPECT_THROW(decode_episodes(bytes.substr(0, 5), shape), std::runtime_error);
  std::string bad_magic = bytes;
  bad_magic[0] ^= 1;
  EXPECT_THROW(decode_episodes(bad_magic, shape), std::runtime_error);
  Episode short_commands = numbered_episode(shape, 1);
  short_commands.commands.pop_back();
  EXPECT_THROW(encode_episodes(shape, {short_commands}), std::invalid_argument);
}

}  // namespace episodes

// A painter whose every command can be tried in a test: 4 x 4 grid, one brush, 2 pressures.
render::EnvironmentSettings search_painter(int steps) {
  render::EnvironmentSettings settings;
  settings.painter.grid = 4;
  settings.painter.episode_length = steps;
  settings.painter.brush_sizes = {4};
  settings.painter.pressure_levels = 2;
  settings.painter.color_levels = 1;
  return settings;
}

// The canvas after `stroke`, painted from reset(seed).
std::vector<float> painted(const render::EnvironmentSettings& settings,
                           const render::Command& stroke, uint64_t seed) {
  const std::unique_ptr<render::Environment> env = render::make_environment(settings);
  env->reset(seed);
  return env->step(stroke).canvas;
}

TEST(ProgramSearch, CountsEachJumpOnce) {
  // 16 jumps + 16 x 16 x 2 paints.
  EXPECT_DOUBLE_EQ(distinct_command_count(search_painter(1)), 16 + 16 * 16 * 2);
  render::EnvironmentSettings paper;  // flag, end, control, size 6, pressure 10, gray
  paper.painter.color_levels = 1;
  EXPECT_DOUBLE_EQ(distinct_command_count(paper), 1024 + 1024.0 * 1024 * 6 * 10);
}

TEST(ProgramSearch, FindsTheStrokeThatPaintedTheTarget) {
  const render::EnvironmentSettings settings = search_painter(1);
  // Paint from the pen's start (0, 0) through cell 5 to cell 10 at full pressure.
  const render::Command stroke = {1, 10, 5, 1};
  const std::vector<float> target = painted(settings, stroke, 3);
  ProgramSearchOptions options;
  options.environment_seed = 3;
  options.environments = 50;
  std::vector<double> progress;
  options.progress = [&](int, double mse) { progress.push_back(mse); };
  const ProgramSearchResult found = greedy_program_search(settings, {target}, options);
  ASSERT_EQ(found.program.size(), 1u);
  EXPECT_EQ(found.mse, 0.0);
  EXPECT_EQ(found.program[0], stroke);
  EXPECT_EQ(found.commands_scored, 16 + 16 * 16 * 2);
  EXPECT_EQ(found.canvas, target);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0], 0.0);
}

TEST(ProgramSearch, OneProgramForManyTargetsIsNoBetterThanOneEach) {
  const render::EnvironmentSettings settings = search_painter(2);
  const std::vector<std::vector<float>> targets = {painted(settings, {1, 15, 10, 1}, 1),
                                                   painted(settings, {1, 3, 6, 1}, 1)};
  const std::vector<float> blank = render::make_environment(settings)->reset(1).canvas;
  ProgramSearchOptions options;
  std::vector<double> progress;
  options.progress = [&](int, double mse) { progress.push_back(mse); };
  const ProgramSearchResult shared = greedy_program_search(settings, targets, options);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_LE(progress[1], progress[0]);  // a no-op is always among the candidates
  ASSERT_EQ(shared.target_mse.size(), 2u);
  EXPECT_NEAR(shared.mse, (shared.target_mse[0] + shared.target_mse[1]) / 2, 1e-12);
  double each = 0;
  double blank_mse = 0;
  for (const std::vector<float>& target : targets) {
    each += greedy_program_search(settings, {target}, options).mse / 2;
    blank_mse += mean_squared_error(blank, target) / 2;
  }
  EXPECT_LT(each, shared.mse);
  EXPECT_LT(shared.mse, blank_mse);
}

TEST(ProgramSearch, SampledCandidatesNeverMakeTheCanvasWorse) {
  const render::EnvironmentSettings settings = search_painter(3);
  const std::vector<float> target = painted(settings, {1, 12, 9, 1}, 1);
  ProgramSearchOptions options;
  options.candidates = 5;
  options.sample_seed = 11;
  std::vector<double> progress;
  options.progress = [&](int, double mse) { progress.push_back(mse); };
  const ProgramSearchResult found = greedy_program_search(settings, {target}, options);
  ASSERT_EQ(found.program.size(), 3u);
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_LE(progress[1], progress[0]);
  EXPECT_LE(progress[2], progress[1]);
  // 5 random commands, then the best one's neighbours, at each step.
  EXPECT_GT(found.commands_scored, 3 * 5);
  EXPECT_LT(found.commands_scored, 3 * (5 + 2 + 16 + 16 + 2));
}

// A scene space of 257 distinct commands: one object of 4 types on a 2 x 2 grid in 8 colours.
render::EnvironmentSettings tiny_scenes() {
  render::EnvironmentSettings settings;
  settings.kind = render::EnvironmentSettings::Kind::kScene;
  settings.scene.image_size = 32;
  settings.scene.grid = 2;
  settings.scene.size_levels = 1;
  settings.scene.color_levels = 2;
  settings.scene.max_objects = 1;
  settings.scene.episode_length = 1;
  return settings;
}

TEST(ProgramSearch, FindsAOneObjectSceneExactly) {
  const render::EnvironmentSettings settings = tiny_scenes();
  // add and modify of 4 types x 4 cells x 8 colours, and one skip.
  EXPECT_DOUBLE_EQ(distinct_command_count(settings), 2 * 4 * 4 * 8 + 1);
  const std::vector<render::SceneObject> scene = {{render::kCylinder, 2, 0, 1, 0, 1}};
  const std::vector<float> target =
      data::to_unit_floats(render::SceneRenderer(settings.scene).render(scene));
  ProgramSearchOptions options;
  options.environments = 16;
  const ProgramSearchResult found = greedy_program_search(settings, {target}, options);
  // The same pixels (the target's and the observation's conversions to floats may differ in the
  // last bit).
  EXPECT_LT(found.mse, 1e-12);
  EXPECT_EQ(found.commands_scored, 257);
  EXPECT_EQ(render::scene_objects_of_program(settings.scene, found.program), scene);
}

TEST(ProgramSearch, LocalSearchKeepsTheBestProgramAtEachBudget) {
  render::EnvironmentSettings settings = tiny_scenes();
  settings.scene.max_objects = 2;
  settings.scene.episode_length = 2;
  const std::vector<render::SceneObject> scene = {{render::kBox, 1, 0, 1, 1, 0},
                                                  {render::kSphere, 2, 0, 0, 0, 1}};
  const std::vector<float> target =
      data::to_unit_floats(render::SceneRenderer(settings.scene).render(scene));
  const double floor =
      mean_squared_error(render::make_environment(settings)->reset(1).canvas, target);
  LocalSearchOptions options;
  options.budgets = {1, 20, 300};
  options.sample_seed = 5;
  const std::vector<ProgramSearchResult> found = local_program_search(settings, target, options);
  ASSERT_EQ(found.size(), 3u);
  for (size_t b = 0; b < found.size(); ++b) {
    EXPECT_EQ(found[b].commands_scored, options.budgets[b]);
    EXPECT_EQ(found[b].program.size(), 2u);
    // The error is that of the program kept.
    const std::unique_ptr<render::Environment> env = render::make_environment(settings);
    EXPECT_EQ(found[b].mse, mean_squared_error(play_program(*env, found[b].program, 1), target));
    if (b > 0) {
      EXPECT_LE(found[b].mse, found[b - 1].mse);
    }
  }
  EXPECT_LT(found[2].mse, found[0].mse);
  EXPECT_LT(found[2].mse, floor);
  // The same seeds, the same search.
  EXPECT_EQ(local_program_search(settings, target, options)[2].program, found[2].program);
  options.budgets = {20, 1};
  EXPECT_THROW(local_program_search(settings, target, options), UserError);
  options.budgets = {};
  EXPECT_THROW(local_program_search(settings, target, options), UserError);
}

TEST(ProgramSearch, RefusesWrongTargetsAndHugeSpaces) {
  EXPECT_THROW(greedy_program_search(search_painter(1), {std::vector<float>(7, 1.0f)}, {}),
               UserError);
  EXPECT_THROW(greedy_program_search(search_painter(1), {}, {}), UserError);
  render::EnvironmentSettings paper;
  paper.painter.episode_length = 1;
  const size_t pixels = render::make_environment(paper)->reset(1).canvas.size();
  try {
    greedy_program_search(paper, {std::vector<float>(pixels, 1.0f)}, {});
    ADD_FAILURE() << "every command of the paper's space was tried";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("candidates"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spiral::learn
