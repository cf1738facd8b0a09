#include "spiral/learn/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/split.h"
#include "spiral/learn/rollout.h"

namespace spiral::learn {
namespace {

// The seed of this rank's random streams: the run's seed on rank 0, a distinct one elsewhere.
uint64_t rank_seed(uint64_t seed, int rank) {
  return seed ^ (static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL);
}

// Every parameter's gradient (zeros where backward left none), averaged over the ranks when the
// configuration asks for it.
void average_gradients(const TrainerConfig& config, const std::vector<torch::Tensor>& params) {
  if (!config.average_gradients) return;
  std::vector<torch::Tensor> grads;
  for (torch::Tensor p : params) {  // a handle copy: the same parameter
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  config.average_gradients(grads);
}

}  // namespace
Trainer::Trainer(const TrainerConfig& config, std::shared_ptr<const data::Dataset> dataset)
    : config_(config),
      dataset_(std::move(dataset)),
      device_(config.device),
      replay_(config.replay_batches),
      generator_(model::make_generator(rank_seed(config.seed, config.rank))),
      rng_(rank_seed(config.seed, config.rank)) {
  const render::EnvironmentSettings& env = config_.environment;
  if (env.kind == render::EnvironmentSettings::Kind::kPainter) {
    canvas_ = env.painter.canvas;
    channels_ = env.painter.rgb ? 3 : 1;
  } else {
    canvas_ = env.scene.image_size;
    channels_ = 3;
  }
  config_.reward.check();
  config_.a2c.check();
  if (config_.reward.l2_weight != 0 && !config_.conditional) {
    throw UserError("--reward l2 needs --conditional true (L2 compares with a target)");
  }
  const data::Split split = data::split_dataset(*dataset_, data::parse_split_rule("every:10"));
  train_indices_ = split.train;
  held_out_indices_ = split.held_out;
  if (train_indices_.empty() || held_out_indices_.empty()) {
    throw UserError("dataset " + dataset_->name() +
                    ": too few images for a train / held-out split (every:10); need at least 10");
  }
  // A fixed held-out set: evenly spaced over the held-out side of the split.
  const size_t held = std::min<size_t>(std::max(config_.held_out, 1), held_out_indices_.size());
  std::vector<size_t> chosen;
  for (size_t i = 0; i < held; ++i) {
    chosen.push_back(held_out_indices_[i * held_out_indices_.size() / held]);
  }
  held_out_indices_ = chosen;

  envs_ = std::make_unique<render::EnvironmentBatch>(env, config_.batch, config_.render_threads);
  eval_envs_ = std::make_unique<render::EnvironmentBatch>(env, static_cast<int>(held),
                                                          config_.render_threads);

  torch::manual_seed(config_.seed);  // parameter initialisation
  model::PolicyConfig policy_config = config_.policy;
  policy_config.canvas = canvas_;
  policy_config.channels = channels_;
  policy_config.conditional = config_.conditional;
  policy_ = model::Policy(policy_config, envs_->action_spec());
  model::DiscriminatorConfig d_config = config_.discriminator;
  d_config.canvas = canvas_;
  d_config.channels = channels_;
  d_config.conditional = config_.conditional;
  discriminator_ = model::Discriminator(d_config);
  policy_->to(device_);
  discriminator_->to(device_);
  policy_optimizer_ = make_adam(policy_->parameters(), policy_adam_options(config_.policy_lr));
  discriminator_optimizer_ =
      make_adam(discriminator_->parameters(), discriminator_adam_options(config_.discriminator_lr));
}

void Trainer::reseed(uint64_t seed) {
  generator_ = model::make_generator(rank_seed(seed, config_.rank));
  rng_.seed(rank_seed(seed, config_.rank));
}

int64_t Trainer::frames_per_step() const {
  return static_cast<int64_t>(config_.batch) * envs_->episode_length();
}

torch::Tensor Trainer::targets(const std::vector<size_t>& indices,
                               std::vector<Image>* images) const {
  const data::CanvasFormat format{canvas_,
                                  channels_ == 3 ? data::ColorMode::kRgb : data::ColorMode::kGray};
  std::vector<torch::Tensor> rows;
  for (size_t index : indices) {
    Image image = data::canvas_image(*dataset_, index, format);
    rows.push_back(image_to_tensor(image));
    if (images != nullptr) images->push_back(std::move(image));
  }
  return torch::stack(rows).to(device_);
}

std::vector<uint64_t> Trainer::episode_seeds(int count) {
  std::vector<uint64_t> seeds(static_cast<size_t>(count));
  for (uint64_t& seed : seeds) seed = rng_();
  return seeds;
}

TrainStepStats Trainer::train_step() {
  TrainStepStats stats;
  const int batch = config_.batch;
  torch::Tensor target;
  if (config_.conditional) {
    std::vector<size_t> picks;
    for (int b = 0; b < batch; ++b) {
      picks.push_back(train_indices_[rng_() % train_indices_.size()]);
    }
    target = targets(picks, nullptr);
  }

  // Act, recording every step's input and commands.
  RolloutOptions options;
  options.seeds = episode_seeds(envs_->size());
  options.device = device_;
  const Rollout rollout = play_episodes(policy_, *envs_, target, options, &generator_, true);
  const std::vector<model::PolicyInput>& inputs = rollout.inputs;
  const torch::Tensor& final_renders = rollout.final_canvases;
  const int64_t steps = static_cast<int64_t>(inputs.size());
  stats.frames = static_cast<int64_t>(batch) * steps;

  // The unroll the policy is evaluated on: the canvas, previous commands and masks before each
  // step [T, B, ...].
  model::PolicyInput unroll;
  std::vector<torch::Tensor> canvas, prev_commands, prev_masks;
  for (const model::PolicyInput& in : inputs) {
    canvas.push_back(in.canvas);
    prev_commands.push_back(in.prev_commands);
    prev_masks.push_back(in.prev_masks);
  }
  unroll.canvas = torch::stack(canvas);
  unroll.prev_commands = torch::stack(prev_commands);
  unroll.prev_masks = torch::stack(prev_masks);
  if (target.defined())
    unroll.target = target.unsqueeze(0).expand({steps, -1, -1, -1, -1}).contiguous();
  if (inputs.front().noise.defined()) {
    unroll.noise = inputs.front().noise.unsqueeze(0).expand({steps, -1, -1}).contiguous();
  }
  const torch::Tensor commands = torch::stack(rollout.commands);

  // Rewards (no grad, D in its current state).
  RewardInputs reward_inputs;
  reward_inputs.steps = steps;
  reward_inputs.final_renders = final_renders;
  reward_inputs.targets = target;
  reward_inputs.step_renders = torch::cat({unroll.canvas, final_renders.unsqueeze(0)});
  reward_inputs.first_values = commands.select(2, 0);
  const torch::Tensor rewards = compute_rewards(config_.reward, reward_inputs, &discriminator_);

  // A2C on the stored unroll.
  const model::PolicyStep evaluated =
      policy_->evaluate_unroll(unroll, policy_->initial_state(batch), commands);
  const A2CLoss loss =
      a2c_loss(evaluated.log_prob, evaluated.entropy, evaluated.value, rewards, config_.a2c);
  policy_optimizer_->zero_grad();
  loss.total.backward();
  average_gradients(config_, policy_->parameters());
  stats.grad_norm = clip_gradients(policy_->parameters(), config_.grad_clip);
  // A non-finite gradient (after averaging, so every rank decides alike) leaves the network and
  // its optimizer as they were.
  stats.policy_skipped = !std::isfinite(stats.grad_norm);
  if (!stats.policy_skipped) policy_optimizer_->step();
  stats.policy_loss = loss.policy.item<double>();
  stats.value_loss = loss.value.item<double>();
  stats.entropy = loss.entropy.item<double>();
  stats.reward = rewards.sum(0).mean().item<double>();

  // One WGAN-GP update of D: fakes from the replay, reals the targets of those fakes
  // (conditional) or fresh training images.
  replay_.add(final_renders, target);
  const ReplaySample fake = replay_.sample(batch, &generator_);
  torch::Tensor real = fake.targets;
  if (!config_.conditional) {
    std::vector<size_t> picks;
    for (int b = 0; b < batch; ++b) {
      picks.push_back(train_indices_[rng_() % train_indices_.size()]);
    }
    real = targets(picks, nullptr);
  }
  DiscriminatorLossConfig d_config;
  d_config.gradient_penalty = config_.gradient_penalty;
  const DiscriminatorLoss d_loss =
      discriminator_loss(discriminator_, d_config, real, fake.renders, &generator_);
  discriminator_optimizer_->zero_grad();
  d_loss.total.backward();
  average_gradients(config_, discriminator_->parameters());
  stats.discriminator_skipped = !std::isfinite(clip_gradients(discriminator_->parameters(), 0));
  if (!stats.discriminator_skipped) discriminator_optimizer_->step();
  stats.discriminator_loss = d_loss.total.item<double>();
  return stats;
}

HeldOutResult Trainer::held_out() {
  HeldOutResult result;
  std::vector<Image> images;
  const torch::Tensor target = targets(held_out_indices_, &images);
  result.blank_mse = (1.0 - target).pow(2).mean().item<double>();
  if (config_.conditional) result.targets = std::move(images);
  // The same environment seeds and sampling draws at every evaluation, apart from the training
  // streams, so that evaluations compare across updates and leave training's random numbers alone.
  RolloutOptions options;
  options.greedy = config_.greedy_eval;
  options.device = device_;
  for (int i = 0; i < eval_envs_->size(); ++i) options.seeds.push_back(config_.seed * 7919 + i);
  at::Generator eval_generator = model::make_generator(config_.seed + 1000003);
  const torch::Tensor renders =
      play_episodes(policy_, *eval_envs_, config_.conditional ? target : torch::Tensor(), options,
                    &eval_generator, false)
          .final_canvases;
  result.mse = config_.conditional ? (renders - target).pow(2).mean().item<double>()
                                   : std::numeric_limits<double>::quiet_NaN();
  for (int64_t i = 0; i < renders.size(0); ++i) {
    result.renders.push_back(tensor_to_image(renders[i]));
  }
  return result;
}

}  // namespace spiral::learn
