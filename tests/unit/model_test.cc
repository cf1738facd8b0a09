// Tests of the model module: the policy network and the discriminator.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/model/precision.h"

namespace spiral::model {
namespace {

using render::ActionSpec;

ActionSpec gray_painter(int grid) {
  const int n = grid * grid;
  return ActionSpec({{"flag", 2}, {"end", n}, {"control", n}, {"size", 6}, {"pressure", 10}});
}

ActionSpec rgb_painter(int grid) {
  const int n = grid * grid;
  return ActionSpec({{"flag", 2},
                     {"end", n},
                     {"control", n},
                     {"pressure", 4},
                     {"red", 5},
                     {"green", 5},
                     {"blue", 5}});
}

ActionSpec scene(int grid) {
  return ActionSpec({{"mode", 3},
                     {"type", 4},
                     {"position", grid * grid},
                     {"size", 3},
                     {"red", 4},
                     {"green", 4},
                     {"blue", 4}});
}

// A small, fast configuration.
PolicyConfig small_config(int channels, bool conditional, int canvas = 64) {
  PolicyConfig config;
  config.canvas = canvas;
  config.channels = channels;
  config.conditional = conditional;
  config.residual_blocks = 1;
  config.lstm_size = 32;
  config.decoder_residual_blocks = 1;
  return config;
}

// Random inputs for `policy` with batch b, starting an episode (all previous masks 0).
PolicyInput random_input(Policy& policy, int64_t b) {
  const PolicyConfig& c = policy->config();
  PolicyInput input;
  input.canvas = torch::rand({b, c.channels, c.canvas, c.canvas});
  if (c.conditional) input.target = torch::rand({b, c.channels, c.canvas, c.canvas});
  input.prev_commands =
      torch::zeros({b, static_cast<int64_t>(policy->spec().size())}, torch::kInt64);
  input.prev_masks = torch::zeros({b, static_cast<int64_t>(policy->spec().size())});
  if (c.resolved_noise_dim() > 0) input.noise = torch::randn({b, c.resolved_noise_dim()});
  return input;
}

void expect_step_shapes(Policy& policy, const PolicyStep& step, int64_t b) {
  const ActionSpec& spec = policy->spec();
  const int64_t p = static_cast<int64_t>(spec.size());
  ASSERT_EQ(step.commands.sizes(), torch::IntArrayRef({b, p}));
  EXPECT_EQ(step.commands.scalar_type(), torch::kInt64);
  EXPECT_EQ(step.masks.sizes(), torch::IntArrayRef({b, p}));
  EXPECT_EQ(step.log_prob.sizes(), torch::IntArrayRef({b}));
  EXPECT_EQ(step.entropy.sizes(), torch::IntArrayRef({b}));
  EXPECT_EQ(step.value.sizes(), torch::IntArrayRef({b}));
  EXPECT_EQ(step.state.h.sizes(), torch::IntArrayRef({b, policy->config().lstm_size}));
  EXPECT_EQ(step.state.c.sizes(), torch::IntArrayRef({b, policy->config().lstm_size}));
  for (int64_t i = 0; i < p; ++i) {
    const torch::Tensor column = step.commands.select(1, i);
    EXPECT_GE(column.min().item<int64_t>(), 0);
    EXPECT_LT(column.max().item<int64_t>(), spec.parts()[i].size);
  }
  EXPECT_TRUE((step.log_prob <= 0).all().item<bool>());
  EXPECT_TRUE((step.entropy >= 0).all().item<bool>());
  EXPECT_TRUE(step.masks.select(1, 0).eq(1).all().item<bool>());
}

TEST(Model, LocationPartsAreNamedSquaresOfAtLeast16) {
  EXPECT_TRUE(is_location_part({"end", 1024}));
  EXPECT_TRUE(is_location_part({"control", 16}));
  EXPECT_TRUE(is_location_part({"position", 36}));
  EXPECT_FALSE(is_location_part({"end", 4}));
  EXPECT_FALSE(is_location_part({"end", 20}));
  EXPECT_FALSE(is_location_part({"pressure", 16}));
}

TEST(Model, CommandMaskFollowsTheEnvironmentsRules) {
  const ActionSpec painter = gray_painter(8);
  EXPECT_EQ(command_mask(painter, 0), render::PartMask({1, 1, 0, 0, 0}));
  EXPECT_EQ(command_mask(painter, 1), render::PartMask({1, 1, 1, 1, 1}));
  const ActionSpec builder = scene(8);
  EXPECT_EQ(command_mask(builder, 2), render::PartMask({1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(command_mask(builder, 0), render::PartMask(7, 1));
  EXPECT_EQ(command_mask(builder, 1), render::PartMask(7, 1));
  const torch::Tensor masks = command_mask(painter, torch::tensor({1, 0}, torch::kInt64));
  EXPECT_TRUE(masks.equal(torch::tensor({{1.f, 1.f, 1.f, 1.f, 1.f}, {1.f, 1.f, 0.f, 0.f, 0.f}})));
}

TEST(Model, ActShapesForPainterAndSceneSpecs) {
  torch::manual_seed(1);
  at::Generator generator = make_generator(3);
  struct Case {
    ActionSpec spec;
    int channels;
    bool conditional;
  };
  for (const Case& c :
       {Case{gray_painter(8), 1, true}, Case{rgb_painter(8), 3, false}, Case{scene(8), 3, true}}) {
    SCOPED_TRACE(c.spec.describe());
    Policy policy(small_config(c.channels, c.conditional), c.spec);
    const int64_t b = 3;
    const PolicyInput input = random_input(policy, b);
    torch::NoGradGuard no_grad;
    const PolicyStep step = policy->act(input, policy->initial_state(b), &generator);
    expect_step_shapes(policy, step, b);
    // The step's command becomes the next step's conditioning input.
    PolicyInput next = input;
    next.prev_commands = step.commands;
    next.prev_masks = step.masks;
    expect_step_shapes(policy, policy->act(next, step.state, &generator), b);
    expect_step_shapes(policy, policy->act(next, step.state, nullptr, /*greedy=*/true), b);
  }
}

TEST(Model, InputChannelsFollowConditioningAndNoise) {
  Policy gray(small_config(1, true), gray_painter(8));
  EXPECT_EQ(gray->input_channels(), 4);
  EXPECT_EQ(gray->config().resolved_noise_dim(), 0);
  Policy rgb(small_config(3, false), rgb_painter(8));
  EXPECT_EQ(rgb->input_channels(), 5);
  EXPECT_EQ(rgb->config().resolved_noise_dim(), 10);
  EXPECT_EQ(gray->named_parameters()["conv_in.weight"].size(1), 4);
  EXPECT_EQ(rgb->named_parameters()["conv_in.weight"].size(1), 5);
  EXPECT_FALSE(gray->named_parameters().contains("noise_mlp.0.weight"));
  // The noise reaches the value; a missing target or noise is an error.
  torch::manual_seed(2);
  torch::NoGradGuard no_grad;
  PolicyInput input = random_input(rgb, 2);
  const torch::Tensor value =
      rgb->evaluate(input, rgb->initial_state(2), torch::zeros({2, 7}, torch::kInt64)).value;
  input.noise = torch::randn({2, 10});
  const torch::Tensor other =
      rgb->evaluate(input, rgb->initial_state(2), torch::zeros({2, 7}, torch::kInt64)).value;
  EXPECT_FALSE(torch::allclose(value, other));
  input.noise = torch::Tensor();
  EXPECT_ANY_THROW(
      rgb->evaluate(input, rgb->initial_state(2), torch::zeros({2, 7}, torch::kInt64)));
  PolicyInput gray_input = random_input(gray, 2);
  gray_input.target = torch::Tensor();
  EXPECT_ANY_THROW(
      gray->evaluate(gray_input, gray->initial_state(2), torch::zeros({2, 5}, torch::kInt64)));
}

TEST(Model, BadConfigsAreUserErrors) {
  PolicyConfig config = small_config(1, true);
  config.canvas = 60;
  EXPECT_THROW(Policy(config, gray_painter(8)), UserError);
  config = small_config(1, true);
  config.lstm_size = 40;
  EXPECT_THROW(Policy(config, gray_painter(8)), UserError);
  DiscriminatorConfig d;
  d.canvas = 40;
  EXPECT_THROW(Discriminator{d}, UserError);
}

TEST(Model, AStridedFirstConvolutionKeepsTheStepsShapesAndCutsTheArithmetic) {
  const ActionSpec spec = gray_painter(8);
  PolicyConfig config = small_config(1, true);
  config.pen_planes = true;
  const int64_t paper = policy_forward_flops(config, spec);
  int64_t last_torso_convs = 4;
  for (int stride : {1, 2, 4}) {
    SCOPED_TRACE(stride);
    config.first_stride = stride;
    Policy policy(config, spec);
    at::Generator generator = make_generator(3);
    torch::NoGradGuard no_grad;
    const PolicyInput input = random_input(policy, 3);
    const PolicyStep step = policy->act(input, policy->initial_state(3), &generator);
    expect_step_shapes(policy, step, 3);
    // One stride-2 convolution fewer for each halving; the torso still ends at canvas / 8.
    int64_t torso_convs = 0;
    for (const auto& item : policy->named_parameters()) {
      const std::string& name = item.key();
      if (name.rfind("torso.", 0) == 0 && item.value().dim() == 4 && item.value().size(2) == 4) {
        ++torso_convs;
      }
    }
    EXPECT_EQ(torso_convs, last_torso_convs - 1);
    last_torso_convs = torso_convs;
  }
  config.first_stride = 2;
  EXPECT_LT(policy_forward_flops(config, spec), paper * 2 / 5);
  config.first_stride = 3;
  EXPECT_THROW(Policy(config, spec), UserError);
}

TEST(Model, LocationHeadsCoverAnyGrid) {
  for (int grid : {4, 6, 8, 12, 32}) {
    SCOPED_TRACE(grid);
    LocationHead head(32, 8, 1, grid);
    EXPECT_EQ(head(torch::randn({2, 32})).sizes(), torch::IntArrayRef({2, grid * grid}));
  }
}

// Sum of |grad| over the parameters whose names start with `prefix` (0 when none has a grad).
double gradient_norm(Policy& policy, const std::string& prefix) {
  double total = 0;
  int matched = 0;
  for (const auto& item : policy->named_parameters()) {
    if (item.key().rfind(prefix, 0) != 0) continue;
    ++matched;
    if (item.value().grad().defined()) total += item.value().grad().abs().sum().item<double>();
  }
  EXPECT_GT(matched, 0) << prefix;
  return total;
}

TEST(Model, MaskedPartsGetZeroGradient) {
  torch::manual_seed(4);
  Policy policy(small_config(1, true), gray_painter(8));
  const PolicyInput input = random_input(policy, 2);
  for (int flag : {0, 1}) {
    SCOPED_TRACE(flag);
    policy->zero_grad();
    const torch::Tensor commands =
        torch::tensor({{flag, 5, 9, 2, 3}, {flag, 60, 1, 5, 9}}, torch::kInt64);
    const PolicyStep step = policy->evaluate(input, policy->initial_state(2), commands);
    (step.log_prob.sum() + step.entropy.sum()).backward();
    // Parts: 0 flag, 1 end, 2 control, 3 size, 4 pressure; update i follows part i.
    EXPECT_GT(gradient_norm(policy, "head0."), 0);
    EXPECT_GT(gradient_norm(policy, "head1."), 0);
    for (const std::string prefix :
         {"head2.", "head3.", "head4.", "update1.", "update2.", "update3."}) {
      if (flag == 0) {
        EXPECT_EQ(gradient_norm(policy, prefix), 0) << prefix;
      } else {
        EXPECT_GT(gradient_norm(policy, prefix), 0) << prefix;
      }
    }
  }
}

TEST(Model, SamplingFollowsTheLogits) {
  torch::manual_seed(5);
  Policy policy(small_config(1, true, /*canvas=*/8), gray_painter(4));
  const std::vector<double> flag_p = {0.2, 0.8};
  const std::vector<double> pressure_p = {0.05, 0.15, 0.1, 0.2, 0.1, 0.05, 0.05, 0.1, 0.1, 0.1};
  {
    torch::NoGradGuard no_grad;
    auto params = policy->named_parameters();
    params["head0.weight"].zero_();
    params["head0.bias"].copy_(torch::tensor(flag_p).log());
    params["head4.weight"].zero_();
    params["head4.bias"].copy_(torch::tensor(pressure_p).log() + 3.0);
  }
  const int64_t n = 6000;
  at::Generator generator = make_generator(11);
  torch::NoGradGuard no_grad;
  const PolicyStep step =
      policy->act(random_input(policy, n), policy->initial_state(n), &generator);
  auto chi_square = [&](const torch::Tensor& values, const std::vector<double>& p) {
    const torch::Tensor counts = torch::bincount(values, {}, static_cast<int64_t>(p.size()));
    double chi2 = 0;
    for (size_t k = 0; k < p.size(); ++k) {
      const double expected = p[k] * n;
      const double d = counts[static_cast<int64_t>(k)].item<double>() - expected;
      chi2 += d * d / expected;
    }
    return chi2;
  };
  // 99.9% quantiles of chi-square with 1 and 9 degrees of freedom.
  EXPECT_LT(chi_square(step.commands.select(1, 0), flag_p), 10.83);
  EXPECT_LT(chi_square(step.commands.select(1, 4), pressure_p), 27.88);
  // The mask keeps pressure exactly for strokes (flag 1).
  const torch::Tensor masks = step.masks;
  EXPECT_TRUE(
      masks.select(1, 4).eq(step.commands.select(1, 0).to(torch::kFloat32)).all().item<bool>());
}

TEST(Model, RandomPartsMixUniformDrawsIntoSamplingButNotIntoArgmax) {
  torch::manual_seed(5);
  Policy policy(small_config(1, true, /*canvas=*/8), gray_painter(4));
  {
    torch::NoGradGuard no_grad;
    auto params = policy->named_parameters();
    params["head0.weight"].zero_();
    params["head0.bias"].copy_(torch::tensor({0.2, 0.8}).log());
  }
  const int64_t n = 6000;
  const double share = 0.5;
  const PolicyInput input = random_input(policy, n);
  torch::NoGradGuard no_grad;
  at::Generator generator = make_generator(11);
  const PolicyStep step = policy->act(input, policy->initial_state(n), &generator, false, share);
  // The flag is drawn from (1 - share) p + share / 2 = (0.35, 0.65).
  const torch::Tensor flag = step.commands.select(1, 0);
  const double jumps = flag.eq(0).sum().item<double>();
  const double expected = 0.35 * n;
  const double chi2 =
      std::pow(jumps - expected, 2) / expected + std::pow(jumps - expected, 2) / (n - expected);
  EXPECT_LT(chi2, 10.83);  // 99.9% quantile, 1 degree of freedom
  // The log-probability is the mixture's: with every part random, minus the log of each part's
  // size, summed over the parts that matter.
  at::Generator all_random = make_generator(12);
  const PolicyStep uniform = policy->act(input, policy->initial_state(n), &all_random, false, 1.0);
  std::vector<double> log_sizes;
  for (const render::ActionPart& part : policy->spec().parts()) {
    log_sizes.push_back(std::log(static_cast<double>(part.size)));
  }
  const torch::Tensor expected_log_prob =
      -(uniform.masks * torch::tensor(log_sizes, torch::kFloat)).sum(1);
  EXPECT_TRUE(torch::allclose(uniform.log_prob, expected_log_prob, 1e-4, 1e-5));
  // Greedy commands ignore the share; without it the sampling stream is the one it always was.
  const torch::Tensor greedy = policy->act(input, policy->initial_state(n), nullptr, true).commands;
  EXPECT_TRUE(
      greedy.equal(policy->act(input, policy->initial_state(n), nullptr, true, 1.0).commands));
  at::Generator plain = make_generator(3);
  at::Generator zero_share = make_generator(3);
  EXPECT_TRUE(
      policy->act(input, policy->initial_state(n), &plain)
          .commands.equal(
              policy->act(input, policy->initial_state(n), &zero_share, false, 0.0).commands));
}

TEST(Model, EvaluateReproducesAct) {
  torch::manual_seed(6);
  for (const auto& [conditional, points] : {std::pair{true, false}, {false, false}, {true, true}}) {
    SCOPED_TRACE(std::to_string(conditional) + " point features " + std::to_string(points));
    PolicyConfig config = small_config(1, conditional);
    config.point_features = points;
    Policy policy(config, gray_painter(8));
    const int64_t b = 4;
    const int64_t t_len = 3;
    at::Generator generator = make_generator(21);
    PolicyInput input = random_input(policy, b);
    PolicyState state = policy->initial_state(b);
    const PolicyState start = state;
    std::vector<PolicyInput> inputs;
    std::vector<PolicyStep> steps;
    torch::NoGradGuard no_grad;
    for (int64_t t = 0; t < t_len; ++t) {
      input.canvas = torch::rand_like(input.canvas);
      const PolicyStep step = policy->act(input, state, &generator);
      const PolicyStep again = policy->evaluate(input, state, step.commands);
      EXPECT_TRUE(torch::allclose(step.log_prob, again.log_prob, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(step.entropy, again.entropy, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(step.value, again.value, 1e-5, 1e-5));
      EXPECT_TRUE(step.masks.equal(again.masks));
      inputs.push_back(input);
      steps.push_back(step);
      state = step.state;
      input.prev_commands = step.commands;
      input.prev_masks = step.masks;
    }
    auto stack = [&](auto field) {
      std::vector<torch::Tensor> parts;
      for (const PolicyInput& i : inputs) parts.push_back(field(i));
      return parts[0].defined() ? torch::stack(parts) : torch::Tensor();
    };
    PolicyInput unroll{stack([](const PolicyInput& i) { return i.canvas; }),
                       stack([](const PolicyInput& i) { return i.target; }),
                       stack([](const PolicyInput& i) { return i.prev_commands; }),
                       stack([](const PolicyInput& i) { return i.prev_masks; }),
                       stack([](const PolicyInput& i) { return i.noise; })};
    std::vector<torch::Tensor> commands;
    for (const PolicyStep& s : steps) commands.push_back(s.commands);
    const PolicyStep all = policy->evaluate_unroll(unroll, start, torch::stack(commands));
    ASSERT_EQ(all.log_prob.sizes(), torch::IntArrayRef({t_len, b}));
    ASSERT_EQ(all.commands.sizes(), torch::IntArrayRef({t_len, b, 5}));
    for (int64_t t = 0; t < t_len; ++t) {
      EXPECT_TRUE(torch::allclose(all.log_prob[t], steps[t].log_prob, 1e-4, 1e-5));
      EXPECT_TRUE(torch::allclose(all.entropy[t], steps[t].entropy, 1e-4, 1e-5));
      EXPECT_TRUE(torch::allclose(all.value[t], steps[t].value, 1e-4, 1e-5));
    }
    EXPECT_TRUE(torch::allclose(all.state.h, state.h, 1e-4, 1e-5));
  }
}

// An A2C-shaped loss of one evaluate() and the policy's gradient, flattened.
std::pair<double, torch::Tensor> loss_and_gradient(Policy& policy, const PolicyInput& input,
                                                   const torch::Tensor& commands) {
  policy->zero_grad();
  const PolicyStep step =
      policy->evaluate(input, policy->initial_state(input.canvas.size(0)), commands);
  EXPECT_EQ(step.value.scalar_type(), torch::kFloat);  // the heads run in fp32 either way
  const torch::Tensor advantage = torch::linspace(-1, 1, step.log_prob.size(0));
  const torch::Tensor loss = -(step.log_prob * advantage).mean() +
                             0.5 * (step.value - advantage).pow(2).mean() -
                             0.01 * step.entropy.mean();
  loss.backward();
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : policy->parameters()) {
    if (p.grad().defined()) grads.push_back(p.grad().flatten());
  }
  return {loss.item<double>(), torch::cat(grads)};
}

TEST(Model, Bf16TorsoKeepsTheLossAndGradientCloseToFp32) {
  torch::manual_seed(11);
  PolicyConfig config = small_config(1, true);
  config.torso_width = 16;
  config.channels_last = true;
  Policy fp32(config, gray_painter(8));
  config.bf16 = true;
  Policy bf16(config, gray_painter(8));
  {
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> from = fp32->parameters();
    const std::vector<torch::Tensor> to = bf16->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  const PolicyInput input = random_input(fp32, 32);
  torch::Tensor commands;
  {
    torch::NoGradGuard no_grad;
    at::Generator generator = make_generator(3);
    commands = fp32->act(input, fp32->initial_state(32), &generator).commands;
  }
  const auto [loss32, grad32] = loss_and_gradient(fp32, input, commands);
  const auto [loss16, grad16] = loss_and_gradient(bf16, input, commands);
  EXPECT_NE(loss16, loss32);  // the torso did run in bf16
  // bf16 keeps 8 bits of mantissa: the loss within 1%, the gradient's direction within a few
  // degrees and its norm within 5%.
  EXPECT_NEAR(loss16, loss32, 0.01 * std::abs(loss32));
  const double cosine =
      (grad16 * grad32).sum().item<double>() / (grad16.norm() * grad32.norm()).item<double>();
  EXPECT_GT(cosine, 0.99);
  EXPECT_NEAR(grad16.norm().item<double>(), grad32.norm().item<double>(),
              0.05 * grad32.norm().item<double>());
  std::printf("loss fp32 %.6f bf16 %.6f; gradient cosine %.5f, norms %.5f %.5f\n", loss32, loss16,
              cosine, grad32.norm().item<double>(), grad16.norm().item<double>());
}

TEST(Model, Bf16AutocastEndsWithItsScopeAndSeesUpdatedWeights) {
  torch::manual_seed(12);
  torch::nn::Linear layer(8, 4);
  const torch::Tensor x = torch::rand({2, 8});
  torch::NoGradGuard no_grad;
  torch::Tensor before;
  {
    const Bf16Autocast autocast(torch::kCPU, true);
    before = layer(x);
    EXPECT_EQ(before.scalar_type(), torch::kBFloat16);
    const Bf16Autocast off(torch::kCPU, false);  // a scope that is not asked for changes nothing
    EXPECT_EQ(layer(x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(layer(x).scalar_type(), torch::kFloat);
  layer->weight.mul_(1.5);
  {
    const Bf16Autocast autocast(torch::kCPU, true);
    EXPECT_FALSE(torch::allclose(before, layer(x)));  // not a cached copy of the old weights
  }
}

TEST(Model, SamplingIsDeterministicForASeed) {
  torch::manual_seed(7);
  Policy policy(small_config(1, true), gray_painter(8));
  const int64_t b = 16;
  const PolicyInput input = random_input(policy, b);
  torch::NoGradGuard no_grad;
  auto run = [&](uint64_t seed) {
    at::Generator generator = make_generator(seed);
    return policy->act(input, policy->initial_state(b), &generator).commands;
  };
  EXPECT_TRUE(run(1).equal(run(1)));
  EXPECT_FALSE(run(1).equal(run(2)));
  const torch::Tensor greedy = policy->act(input, policy->initial_state(b), nullptr, true).commands;
  EXPECT_TRUE(greedy.equal(policy->act(input, policy->initial_state(b), nullptr, true).commands));
}

TEST(Model, PublishedSizesHaveThePublishedParameterCounts) {
  PolicyConfig config;
  config.conditional = true;
  config.spatial_heads = false;  // the paper's heads
  Policy policy(config, gray_painter(32));
  // conv 5x5 (4 -> 32) 3,232 + embeddings (2+1024+1024+6+10)*16 = 33,056 + action MLP 8,320 +
  // torso convs and 8 residual blocks 140,928 + Linear 2048 -> 256 524,544 + LSTM 526,336 + value
  // 257 + heads (flag 514, end and control 54,177 each, size 1,542, pressure 2,570) + 4 updates
  // (272 -> 256) 279,552.
  EXPECT_EQ(parameter_count(*policy), 1629205);
  DiscriminatorConfig d;
  d.conditional = true;
  Discriminator discriminator(d);
  // convs 2,112 + 131,200 + 524,544 + 2,097,664, Linear 8,193.
  EXPECT_EQ(parameter_count(*discriminator), 2763713);
  std::printf("%s\n%s\n", parameter_summary("policy", *policy).c_str(),
              parameter_summary("discriminator", *discriminator).c_str());
  EXPECT_EQ(parameter_summary("d", *discriminator),
            "d: 2,763,713 parameters (10.5 MiB as float32)");
}

// FLOPs counted from the modules themselves: 2 x each weight's elements x the positions it is
// applied at (by the module's place in the network), against the counts from the configuration.
int64_t positions_of(const std::string& name, int64_t side, int64_t grid, int first_stride) {
  auto starts = [&](const std::string& prefix) { return name.rfind(prefix, 0) == 0; };
  const int64_t first_side = side / first_stride;
  if (name == "conv_in.weight") return first_side * first_side;
  if (starts("torso.")) {
    // 0, 2, ...: the stride-2 convs, one per halving from first_side to side / 8; then side / 8.
    const int index = std::stoi(name.substr(6));
    const int64_t s = std::max(first_side >> (index / 2 + 1), side / 8);
    return s * s;
  }
  if (starts("head") && name.find(".upsample.") != std::string::npos) {
    const int index = std::stoi(name.substr(name.find(".upsample.") + 10));
    const int64_t s = int64_t{4} << (index / 2);  // a transposed conv: its input's pixels
    return s * s;
  }
  if (starts("head") &&
      (name.find(".conv_in.") != std::string::npos || name.find(".blocks.") != std::string::npos)) {
    return 16;
  }
  if (starts("head") && (name.find(".spatial_in.") != std::string::npos ||
                         name.find(".conv_out.") != std::string::npos)) {
    return grid * grid;
  }
  if (starts("embedding")) return 0;  // a lookup
  return 1;                           // Linear layers and the LSTM cell
}

TEST(Model, ForwardFlopsMatchACountOverTheModules) {
  for (const auto& [pen, points, stride] : {std::tuple{false, false, 1},
                                            {true, false, 1},
                                            {false, true, 1},
                                            {true, false, 2},
                                            {false, false, 4}}) {
    PolicyConfig config = small_config(1, true);
    config.torso_width = 16;
    config.pen_planes = pen;
    config.point_features = points;
    config.first_stride = stride;
    const ActionSpec spec({{"flag", 2}, {"end", 64}, {"control", 64}, {"pressure", 2}});
    Policy policy(config, spec);
    int64_t counted = 0;
    for (const auto& item : policy->named_parameters()) {
      const std::string& name = item.key();
      if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) {
        if (name.find("weight_") == std::string::npos) continue;  // biases
      }
      counted += 2 * item.value().numel() * positions_of(name, 64, 8, stride);
    }
    EXPECT_EQ(policy_forward_flops(config, spec), counted) << pen << points << stride;
  }
  DiscriminatorConfig d;
  d.conditional = true;
  Discriminator discriminator(d);
  int64_t counted = 0;
  for (const auto& item : discriminator->named_parameters()) {
    const std::string& name = item.key();
    if (name.rfind("conv", 0) == 0 && name.find(".weight") != std::string::npos) {
      const int64_t side = 64 >> (std::stoi(name.substr(4)) + 1);
      counted += 2 * item.value().numel() * side * side;
    } else if (name == "out.weight") {
      counted += 2 * item.value().numel();
    }
  }
  EXPECT_EQ(discriminator_forward_flops(d), counted);
  // The paper's D on a pair: 4.2 + 3 x 67.1 MFLOP in its convolutions.
  EXPECT_NEAR(static_cast<double>(counted), 2.055e8, 0.01e8);
}

TEST(Model, PooledDiscriminatorScoresTheAveragedImagesWithASmallerLinear) {
  DiscriminatorConfig pooled;
  pooled.conditional = true;
  pooled.widths = {16, 32, 64, 128};
  pooled.input_pool = 2;
  DiscriminatorConfig small = pooled;
  small.canvas = 32;
  small.input_pool = 1;
  torch::manual_seed(3);
  Discriminator d_pooled(pooled);
  Discriminator d_small(small);
  // The Linear reads 2 x 2 maps instead of 4 x 4: 128 x 12 weights fewer.
  DiscriminatorConfig full = pooled;
  full.input_pool = 1;
  EXPECT_EQ(parameter_count(*Discriminator(full)) - parameter_count(*d_pooled), 128 * 12);
  ASSERT_EQ(parameter_count(*d_pooled), parameter_count(*d_small));
  {
    torch::NoGradGuard no_grad;
    auto from = d_pooled->parameters();
    auto to = d_small->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  const torch::Tensor image = torch::rand({3, 1, 64, 64});
  const torch::Tensor target = torch::rand({3, 1, 64, 64});
  const torch::Tensor scores = d_pooled(image, target);
  EXPECT_EQ(scores.sizes(), torch::IntArrayRef({3}));
  EXPECT_TRUE(torch::allclose(
      scores, d_small(torch::avg_pool2d(image, 2), torch::avg_pool2d(target, 2)), 1e-5, 1e-6));
  // A pattern that alternates within every 2 x 2 block is invisible to it; not to the full D.
  const torch::Tensor checker = (torch::arange(64).unsqueeze(0) + torch::arange(64).unsqueeze(1))
                                    .remainder(2)
                                    .to(torch::kFloat)
                                    .view({1, 1, 64, 64});
  const torch::Tensor gray = torch::full({1, 1, 64, 64}, 0.5);
  EXPECT_TRUE(torch::allclose(d_pooled(checker, gray), d_pooled(gray, gray), 1e-5, 1e-6));
  Discriminator d_full(full);
  EXPECT_FALSE(torch::allclose(d_full(checker, gray), d_full(gray, gray), 1e-5, 1e-6));
  // Its convolutions' work is that of a 32 x 32 D; the pool adds one addition per input pixel.
  EXPECT_EQ(discriminator_forward_flops(pooled), discriminator_forward_flops(small) + 2 * 64 * 64);
  for (int bad : {0, 3, 8}) {
    DiscriminatorConfig wrong = pooled;
    wrong.input_pool = bad;
    EXPECT_THROW(wrong.check(), UserError) << bad;
  }
  DiscriminatorConfig deep = pooled;
  deep.widths = {8, 8, 8, 8, 8, 8};  // 64 / 2 = 32 is not a multiple of 2^6
  EXPECT_THROW(deep.check(), UserError);
}

TEST(Model, SpatialHeadsAddAProjectionPerLocationHead) {
  PolicyConfig config;
  config.conditional = true;
  Policy spatial(config, gray_painter(32));
  // end and control each gain a 1 x 1 conv from the torso's two maps (64 channels) to 32.
  EXPECT_EQ(parameter_count(*spatial), 1629205 + 2 * (64 * 32 + 32));
}

TEST(Model, PointFeaturesFeedTheMapsAtTheChosenPositionToTheLaterParts) {
  torch::manual_seed(9);
  PolicyConfig config = small_config(3, true);
  config.point_features = true;
  Policy policy(config, scene(16));
  // Only the position (part 2) is a location part followed by others.
  std::vector<std::string> names;
  for (const auto& item : policy->named_parameters()) {
    if (item.key().rfind("point_update", 0) == 0) names.push_back(item.key());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"point_update2.weight", "point_update2.bias"}));
  const PolicyInput input = random_input(policy, 2);
  const PolicyState state = policy->initial_state(2);
  // Two adds: the later parts' log-probabilities reach the point features.
  const torch::Tensor commands =
      torch::tensor({{0, 1, 17, 2, 3, 0, 1}, {0, 1, 200, 2, 3, 0, 1}}, torch::kInt64);
  policy->zero_grad();
  const PolicyStep step = policy->evaluate(input, state, commands);
  step.log_prob.sum().backward();
  EXPECT_GT(gradient_norm(policy, "point_update2."), 0);
  // A skip masks the parts after the mode: no gradient reaches the point features.
  policy->zero_grad();
  const torch::Tensor skips =
      torch::tensor({{2, 1, 17, 2, 3, 0, 1}, {2, 1, 200, 2, 3, 0, 1}}, torch::kInt64);
  policy->evaluate(input, state, skips).log_prob.sum().backward();
  EXPECT_EQ(gradient_norm(policy, "point_update2."), 0);
  // The chosen point's maps: with the position's embedding zeroed, only they tell the later
  // parts (size, colour) that the object stands at cell 18 rather than 17.
  torch::NoGradGuard no_grad;
  for (auto& item : policy->named_parameters()) {
    if (item.key().rfind("embedding2.", 0) == 0) item.value().zero_();
  }
  const torch::Tensor moved = torch::tensor({{0, 1, 18, 2, 3, 0, 1}}, torch::kInt64);
  const PolicyInput one{input.canvas.slice(0, 0, 1),
                        input.target.slice(0, 0, 1),
                        input.prev_commands.slice(0, 0, 1),
                        input.prev_masks.slice(0, 0, 1),
                        {}};
  const PolicyStep at17 = policy->evaluate(one, policy->initial_state(1), commands.slice(0, 0, 1));
  const PolicyStep at18 = policy->evaluate(one, policy->initial_state(1), moved);
  EXPECT_FALSE(torch::allclose(at17.entropy, at18.entropy));
  config.spatial_heads = false;
  EXPECT_THROW(Policy(config, scene(16)), UserError);
}

TEST(Model, GridPointMeansAreCentredOnThePaintersPoints) {
  // A 16 x 16 map, grid 4: point (row, col) is pixel (4 row, 4 col); its cell spans pixels
  // 4 row - 2 .. 4 row + 1.
  torch::Tensor maps = torch::zeros({1, 2, 16, 16});
  maps[0][0][4][8] = 16;    // on point (1, 2)
  maps[0][0][5][9] = 16;    // last pixel of point (1, 2)'s cell
  maps[0][0][14][15] = 16;  // point (4, 4), past the grid: nowhere
  maps[0][1][0][0] = 16;    // point (0, 0), whose cell is a quarter padding
  const torch::Tensor means = grid_point_means(maps, 4);
  ASSERT_EQ(means.sizes(), torch::IntArrayRef({1, 2, 4, 4}));
  EXPECT_FLOAT_EQ(means[0][0][1][2].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(means[0][0].sum().item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(means[0][1][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(means[0][1].sum().item<float>(), 1.0f);
  // A grid that does not divide the side: the mean over cells starting at the points.
  EXPECT_EQ(grid_point_means(torch::ones({1, 1, 16, 16}), 5).sizes(),
            torch::IntArrayRef({1, 1, 5, 5}));
}

TEST(Model, ViewPointMeansReadTheMapsAtThePoints) {
  // Channel 0 holds each pixel's column, channel 1 its row, on a 16 x 16 map; pixel i covers
  // fractions i / 16 to (i + 1) / 16, so its centre is (i + 0.5) / 16.
  const torch::Tensor line = torch::arange(16, torch::kFloat);
  const torch::Tensor maps =
      torch::stack({line.view({1, 16}).expand({16, 16}), line.view({16, 1}).expand({16, 16})})
          .unsqueeze(0);
  // Four points, a 2 x 2 grid in the order of the location values.
  const torch::Tensor points =
      torch::tensor({{0.5f, 0.25f}, {4.5f / 16, 0.5f / 16}, {0.75f, 0.75f}, {0.125f, 0.875f}});
  const torch::Tensor read = view_point_means(maps, points, 1);
  ASSERT_EQ(read.sizes(), torch::IntArrayRef({1, 2, 2, 2}));
  EXPECT_NEAR(read[0][0][0][0].item<float>(), 7.5f, 1e-5);  // x = 8 pixels: between 7 and 8
  EXPECT_NEAR(read[0][1][0][0].item<float>(), 3.5f, 1e-5);
  EXPECT_NEAR(read[0][0][0][1].item<float>(), 4.0f, 1e-5);  // on pixel (0, 4)'s centre
  EXPECT_NEAR(read[0][1][0][1].item<float>(), 0.0f, 1e-5);
  EXPECT_NEAR(read[0][0][1][0].item<float>(), 11.5f, 1e-5);
  EXPECT_NEAR(read[0][1][1][1].item<float>(), 13.5f, 1e-5);
  // A window averages around each pixel first: a linear ramp keeps its values inside the map,
  // a spot spreads over the window.
  EXPECT_NEAR(view_point_means(maps, points, 3)[0][0][0][0].item<float>(), 7.5f, 1e-5);
  torch::Tensor spot = torch::zeros({1, 1, 16, 16});
  spot[0][0][4][8] = 9;
  const torch::Tensor at =
      torch::tensor({{8.5f / 16, 4.5f / 16}, {8.5f / 16, 6.5f / 16}, {0.5f, 0.5f}, {0.5f, 0.5f}});
  EXPECT_NEAR(view_point_means(spot, at, 3)[0][0][0][0].item<float>(), 1.0f, 1e-5);
  EXPECT_NEAR(view_point_means(spot, at, 3)[0][0][0][1].item<float>(), 0.0f, 1e-5);
}

// A location part that says where its values show makes the spatial heads read the maps there;
// the policy records it (view_points) only then, and a network saved without it reads the grid.
TEST(Model, ViewPointsMoveWhereTheSpatialHeadsRead) {
  PolicyConfig config = small_config(3, true, 32);
  config.point_features = true;
  const ActionSpec grid_scene = scene(4);
  std::vector<render::ActionPart> parts = grid_scene.parts();
  for (int cell = 0; cell < 16; ++cell) {  // every cell seen in the image's top-left corner
    parts[2].points.push_back({0.1f + 0.01f * (cell % 4), 0.1f + 0.01f * (cell / 4)});
  }
  const ActionSpec viewed(parts);
  torch::manual_seed(3);
  Policy on_grid(config, grid_scene);
  torch::manual_seed(3);
  Policy on_points(config, viewed);
  EXPECT_FALSE(on_grid->config().view_points);
  EXPECT_TRUE(on_points->config().view_points);
  config.view_points = false;
  torch::manual_seed(3);
  Policy saved_before(config, viewed);
  EXPECT_FALSE(saved_before->config().view_points);
  EXPECT_FALSE(Policy(small_config(1, true, 32), gray_painter(8))->config().view_points);
  // The same weights read other maps at the points; without view points, the grid's as before.
  const PolicyInput input = random_input(on_grid, 1);
  const torch::Tensor commands = torch::tensor({{0, 1, 15, 2, 3, 0, 1}}, torch::kInt64);
  const auto log_prob = [&](Policy& policy, const PolicyInput& in) {
    torch::NoGradGuard no_grad;
    return policy->evaluate(in, policy->initial_state(1), commands).log_prob;
  };
  EXPECT_FALSE(torch::allclose(log_prob(on_points, input), log_prob(on_grid, input)));
  EXPECT_TRUE(torch::allclose(log_prob(saved_before, input), log_prob(on_grid, input)));
}

// A command's single location part is chosen right after its first part, so that the parts
// before it in the command are chosen knowing the location (location_first). A part's entropy
// depends on the values chosen before it and not on its own: with mode, type, position, the
// type's depends on the position only when the position comes first.
TEST(Model, TheLocationIsChosenBeforeTheCommandsOtherParts) {
  const ActionSpec spec({{"mode", 2}, {"type", 4}, {"position", 16}});
  PolicyConfig config = small_config(3, true, 32);
  config.point_features = true;
  for (bool location_first : {true, false}) {
    SCOPED_TRACE(location_first);
    config.location_first = location_first;
    torch::manual_seed(5);
    Policy policy(config, spec);
    EXPECT_EQ(policy->config().location_first, location_first);
    // One input three times: the same type at another cell, the same cell with another type.
    const PolicyInput one = random_input(policy, 1);
    const auto thrice = [](const torch::Tensor& x) {
      return x.expand({3, -1, -1, -1}).contiguous();
    };
    const PolicyInput input{thrice(one.canvas),
                            thrice(one.target),
                            one.prev_commands.expand({3, -1}).contiguous(),
                            one.prev_masks.expand({3, -1}).contiguous(),
                            {}};
    const torch::Tensor commands = torch::tensor({{0, 1, 2}, {0, 1, 13}, {0, 3, 2}}, torch::kInt64);
    torch::NoGradGuard no_grad;
    const torch::Tensor entropy =
        policy->evaluate(input, policy->initial_state(3), commands).entropy;
    const auto differ = [&](int a, int b) {
      return std::abs(entropy[a].item<float>() - entropy[b].item<float>()) > 1e-4;
    };
    EXPECT_EQ(differ(0, 1), location_first);   // another cell
    EXPECT_EQ(differ(0, 2), !location_first);  // another type
  }
  // Painters' commands keep their order: their first location part is already second.
  PolicyConfig painter = small_config(1, true, 32);
  painter.location_first = true;
  EXPECT_FALSE(Policy(painter, gray_painter(8))->config().location_first);
  config.location_first = true;
  EXPECT_TRUE(Policy(config, scene(4))->config().location_first);
}

TEST(Model, PenPlanesMarkThePensPixel) {
  // Grid 4 on a 16 x 16 canvas: index 9 is row 2, col 1, i.e. pixel (8, 4); index 0 the corner.
  const torch::Tensor planes = pen_planes(torch::tensor({0, 9}, torch::kInt64), 4, 16,
                                          torch::TensorOptions().dtype(torch::kFloat32));
  ASSERT_EQ(planes.sizes(), torch::IntArrayRef({2, 3, 16, 16}));
  const torch::Tensor spot = planes.select(1, 0).flatten(1);
  EXPECT_EQ(spot[0].argmax().item<int64_t>(), 0);
  EXPECT_EQ(spot[1].argmax().item<int64_t>(), 8 * 16 + 4);
  EXPECT_FLOAT_EQ(spot[1].max().item<float>(), 1.0f);
  const float unit = 2.0f / 15.0f;  // one pixel in the coordinate planes' units
  EXPECT_NEAR(planes[1][1][0][4].item<float>(), 0.0f, 1e-6);   // x offset, the pen's column
  EXPECT_NEAR(planes[1][1][15][5].item<float>(), unit, 1e-6);  // one column right, any row
  EXPECT_NEAR(planes[1][2][8][0].item<float>(), 0.0f, 1e-6);   // y offset, the pen's row
  EXPECT_NEAR(planes[1][2][0][0].item<float>(), -8 * unit, 1e-5);
  // Half a grid step (2 pixels) away the spot is exp(-1/2).
  EXPECT_NEAR(planes[1][0][10][4].item<float>(), std::exp(-0.5f), 1e-5);
}

TEST(Model, PenPlanesLetThePolicySeeWhereThePenIs) {
  for (bool with_planes : {false, true}) {
    SCOPED_TRACE(with_planes);
    torch::manual_seed(4);
    PolicyConfig config = small_config(1, true);
    config.pen_planes = with_planes;
    Policy policy(config, gray_painter(8));
    EXPECT_EQ(policy->input_channels(), with_planes ? 7 : 4);
    PolicyInput input = random_input(policy, 2);
    // The previous masks are 0, so the previous command's embedding adds nothing: only the pen
    // planes can tell the two pen positions apart.
    PolicyInput moved = input;
    moved.prev_commands = input.prev_commands.clone();
    moved.prev_commands.select(1, 1).fill_(63);
    const torch::Tensor here = policy->act(input, policy->initial_state(2), nullptr, true).value;
    const torch::Tensor there = policy->act(moved, policy->initial_state(2), nullptr, true).value;
    EXPECT_EQ(here.equal(there), !with_planes);
  }
  PolicyConfig config = small_config(1, true);
  config.pen_planes = true;
  EXPECT_THROW(Policy(config, scene(8)), UserError);
}

TEST(Model, DiscriminatorScoresImagesAndPairs) {
  torch::manual_seed(8);
  DiscriminatorConfig config;
  config.widths = {8, 16, 16, 32};
  config.channels = 3;
  Discriminator d(config);
  EXPECT_EQ(d(torch::rand({5, 3, 64, 64})).sizes(), torch::IntArrayRef({5}));
  EXPECT_ANY_THROW(d(torch::rand({5, 3, 64, 64}), torch::rand({5, 3, 64, 64})));
  config.conditional = true;
  config.canvas = 128;
  Discriminator pair(config);
  EXPECT_EQ(pair(torch::rand({2, 3, 128, 128}), torch::rand({2, 3, 128, 128})).sizes(),
            torch::IntArrayRef({2}));
  EXPECT_ANY_THROW(pair(torch::rand({2, 3, 128, 128})));
}

TEST(Model, GradientPenaltyDoubleBackward) {
  torch::manual_seed(9);
  for (bool spectral : {false, true}) {
    SCOPED_TRACE(spectral);
    DiscriminatorConfig config;
    config.widths = {8, 16, 16, 32};
    config.conditional = true;
    config.spectral_norm = spectral;
    Discriminator d(config);
    const torch::Tensor target = torch::rand({4, 1, 64, 64});
    const torch::Tensor real = torch::rand({4, 1, 64, 64});
    const torch::Tensor fake = torch::rand({4, 1, 64, 64});
    const torch::Tensor alpha = torch::rand({4, 1, 1, 1});
    const torch::Tensor mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(true);
    const torch::Tensor scores = d(mixed, target);
    const torch::Tensor grad =
        torch::autograd::grad({scores.sum()}, {mixed}, {},
                              /*retain_graph=*/true, /*create_graph=*/true)[0];
    const torch::Tensor penalty = (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
    const torch::Tensor loss = d(fake, target).mean() - d(real, target).mean() + 10 * penalty;
    loss.backward();
    for (const torch::Tensor& p : d->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
    }
    EXPECT_GT(d->named_parameters()["conv0.weight"].grad().abs().sum().item<double>(), 0);
  }
}

TEST(Model, SpectralNormBoundsEveryLayer) {
  torch::manual_seed(10);
  DiscriminatorConfig config;
  config.widths = {8, 16, 16, 32};
  config.spectral_norm = true;
  Discriminator d(config);
  const torch::Tensor image = torch::rand({2, 1, 64, 64});
  for (int i = 0; i < 50; ++i) d(image);
  d->eval();
  const torch::Tensor before = d(image);
  EXPECT_TRUE(d(image).equal(before));  // eval mode leaves u alone
  // The top singular value of W / sigma, by many power iterations, is about 1 for every layer.
  auto buffers = d->named_buffers();
  auto params = d->named_parameters();
  for (const std::string name : {"conv0", "conv1", "conv2", "conv3", "out"}) {
    const torch::Tensor w = params[name + ".weight"].detach();
    const torch::Tensor m = w.reshape({w.size(0), -1});
    torch::Tensor v = torch::randn({m.size(1)});
    for (int i = 0; i < 200; ++i) v = torch::mv(m.t(), torch::mv(m, v)), v = v / v.norm();
    const double top = torch::mv(m, v).norm().item<double>();
    const torch::Tensor u =
        buffers[std::string("u") + std::to_string(name == "out" ? 4 : name[4] - '0')];
    torch::Tensor vv = torch::mv(m.t(), u);
    vv = vv / vv.norm();
    const double sigma = torch::dot(u, torch::mv(m, vv)).item<double>();
    EXPECT_NEAR(sigma / top, 1.0, 0.05) << name;
  }
}

}  // namespace
}  // namespace spiral::model
