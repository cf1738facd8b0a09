#include "spiral/learn/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/split.h"
#include "spiral/learn/rollout.h"
#include "spiral/model/precision.h"

namespace spiral::learn {
namespace {

// The seed of this rank's random streams: the run's seed on rank 0, a distinct one elsewhere.
uint64_t rank_seed(uint64_t seed, int rank) {
  return seed ^ (static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL);
}

// Every parameter's gradient (zeros where backward left none), averaged over the ranks when the
// configuration asks for it.
void average_gradients(const std::function<void(const std::vector<torch::Tensor>&)>& average,
                       const std::vector<torch::Tensor>& params) {
  if (!average) return;
  std::vector<torch::Tensor> grads;
  for (torch::Tensor p : params) {  // a handle copy: the same parameter
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  average(grads);
}

// The side and channels of the images an environment's agent sees.
std::pair<int, int> observation_size(const render::EnvironmentSettings& env) {
  if (env.kind == render::EnvironmentSettings::Kind::kPainter) {
    return {env.painter.canvas, env.painter.rgb ? 3 : 1};
  }
  return {env.scene.image_size, 3};
}

}  // namespace

void check_trainer_config(const TrainerConfig& config) {
  config.reward.check();
  config.a2c.check();
  // The networks as the Trainer builds them: on the environment's images.
  const auto [canvas, channels] = observation_size(config.environment);
  model::PolicyConfig policy = config.policy;
  model::DiscriminatorConfig discriminator = config.discriminator;
  policy.canvas = discriminator.canvas = canvas;
  policy.channels = discriminator.channels = channels;
  policy.check();
  discriminator.check();
  if (config.discriminator_updates < 1) {
    throw UserError("discriminator updates per policy update must be >= 1, got " +
                    std::to_string(config.discriminator_updates));
  }
  if (config.mismatched_fakes && !config.conditional) {
    throw UserError("--mismatched-fakes needs --conditional true (it pairs targets)");
  }
  if (config.complement_discriminator && !config.conditional) {
    throw UserError("--complement-discriminator needs --conditional true (it masks the target)");
  }
  const int per_target = config.episodes_per_target;
  if (per_target < 1 || config.batch % per_target != 0) {
    throw UserError("episodes per target (" + std::to_string(per_target) +
                    ") must be >= 1 and divide the batch (" + std::to_string(config.batch) + ")");
  }
  if (per_target > 1 && !config.conditional) {
    throw UserError("--episodes-per-target above 1 needs --conditional true (targets to share)");
  }
  if (!(config.hindsight >= 0)) {
    throw UserError("--hindsight must be >= 0, got " + std::to_string(config.hindsight));
  }
  if (!(config.random_parts >= 0 && config.random_parts <= 1)) {
    throw UserError("--random-parts must be in [0, 1], got " + std::to_string(config.random_parts));
  }
  if (config.hindsight > 0 && !config.conditional) {
    throw UserError("--hindsight needs --conditional true (the final canvas becomes the target)");
  }
  if (config.hindsight == 0 && config.reward.discriminator_weight == 0 &&
      config.reward.l2_weight == 0) {
    throw UserError(
        "--reward none needs --hindsight above 0 (nothing else would teach the policy)");
  }
  if (config.reward.l2_weight != 0 && !config.conditional) {
    throw UserError("--reward l2 needs --conditional true (L2 compares with a target)");
  }
  if (config.reward.l2_blur > 0 && config.reward.l2_weight == 0) {
    throw UserError("--l2-blur needs --reward l2 (it blurs what the L2 reward compares)");
  }
}

DiscriminatorLossConfig discriminator_loss_config(const TrainerConfig& config) {
  DiscriminatorLossConfig loss;
  loss.loss = config.gan_loss;
  loss.gradient_penalty = config.gradient_penalty;
  loss.complement = config.complement_discriminator;
  loss.mismatched_fakes = config.mismatched_fakes;
  loss.bf16 = config.bf16;
  return loss;
}

std::vector<size_t> held_out_images(const data::Dataset& dataset, int count) {
  const data::Split split = data::split_dataset(dataset, data::parse_split_rule("every:10"));
  if (split.train.empty() || split.held_out.empty()) {
    throw UserError("dataset " + dataset.name() +
                    ": too few images for a train / held-out split (every:10); need at least 10");
  }
  const size_t held = std::min<size_t>(std::max(count, 1), split.held_out.size());
  std::vector<size_t> chosen;
  for (size_t i = 0; i < held; ++i)
    chosen.push_back(split.held_out[i * split.held_out.size() / held]);
  return chosen;
}

Image target_image(const data::Dataset& dataset, size_t index, int canvas, int channels) {
  const data::CanvasFormat format{canvas,
                                  channels == 3 ? data::ColorMode::kRgb : data::ColorMode::kGray};
  return data::canvas_image(dataset, index, format);
}

Trainer::Trainer(const TrainerConfig& config, std::shared_ptr<const data::Dataset> dataset)
    : config_(config),
      dataset_(std::move(dataset)),
      device_(config.device),
      replay_(config.replay_batches),
      generator_(model::make_generator(rank_seed(config.seed, config.rank))),
      rng_(rank_seed(config.seed, config.rank)) {
  const render::EnvironmentSettings& env = config_.environment;
  std::tie(canvas_, channels_) = observation_size(env);
  check_trainer_config(config_);
  config_.reward.discriminator_complement = config_.complement_discriminator;
  train_indices_ = data::split_dataset(*dataset_, data::parse_split_rule("every:10")).train;
  held_out_indices_ = held_out_images(*dataset_, config_.held_out);
  const int held = static_cast<int>(held_out_indices_.size());

  envs_ = std::make_unique<render::EnvironmentBatch>(env, config_.batch, config_.render_threads);
  eval_envs_ = std::make_unique<render::EnvironmentBatch>(env, held, config_.render_threads);

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

void Trainer::set_hyper_parameters(double policy_lr, double entropy_cost) {
  config_.policy_lr = policy_lr;
  config_.a2c.entropy_cost = entropy_cost;
  apply_policy_lr();
}

void Trainer::set_lr_scale(double scale) {
  lr_scale_ = scale;
  apply_policy_lr();
}

void Trainer::apply_policy_lr() {
  for (torch::optim::OptimizerParamGroup& group : policy_optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(config_.policy_lr * lr_scale_);
  }
}

int64_t Trainer::frames_per_step() const {
  return static_cast<int64_t>(config_.batch) * envs_->episode_length();
}

torch::Tensor Trainer::targets(const std::vector<size_t>& indices,
                               std::vector<Image>* images) const {
  std::vector<torch::Tensor> rows;
  for (size_t index : indices) {
    Image image = target_image(*dataset_, index, canvas_, channels_);
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

std::vector<size_t> Trainer::pick_training_images(int count, int repeats) {
  std::vector<size_t> picks;
  for (int b = 0; b < count; b += repeats) {
    const size_t pick = train_indices_[rng_() % train_indices_.size()];
    for (int r = 0; r < repeats && b + r < count; ++r) picks.push_back(pick);
  }
  return picks;
}

TrainStepStats Trainer::train_step() {
  const EpisodeBatch episodes = act();
  TrainStepStats stats = learn(episodes);
  stats.phases += episodes.acting;
  return stats;
}

EpisodeBatch Trainer::act() {
  EpisodeBatch batch;
  if (config_.conditional) {
    const std::vector<size_t> picks =
        pick_training_images(config_.batch, config_.episodes_per_target);
    batch.target_indices.assign(picks.begin(), picks.end());
    batch.targets = targets(picks, nullptr);
  }
  // Act, recording every step's input and commands.
  RolloutOptions options;
  options.seeds = episode_seeds(envs_->size());
  options.device = device_;
  options.random_parts = config_.random_parts;
  const Rollout rollout = play_episodes(policy_, *envs_, batch.targets, options, &generator_, true);
  const std::vector<model::PolicyInput>& inputs = rollout.inputs;
  const int64_t steps = static_cast<int64_t>(inputs.size());
  // The unroll the policy is evaluated on: the canvas, previous commands and masks before each
  // step [T, B, ...].
  std::vector<torch::Tensor> canvas, prev_commands, prev_masks;
  for (const model::PolicyInput& in : inputs) {
    canvas.push_back(in.canvas);
    prev_commands.push_back(in.prev_commands);
    prev_masks.push_back(in.prev_masks);
  }
  batch.unroll.canvas = torch::stack(canvas);
  batch.unroll.prev_commands = torch::stack(prev_commands);
  batch.unroll.prev_masks = torch::stack(prev_masks);
  if (batch.targets.defined()) {
    batch.unroll.target = batch.targets.unsqueeze(0).expand({steps, -1, -1, -1, -1}).contiguous();
  }
  if (inputs.front().noise.defined()) {
    batch.unroll.noise = inputs.front().noise.unsqueeze(0).expand({steps, -1, -1}).contiguous();
  }
  batch.commands = torch::stack(rollout.commands);
  batch.behaviour_log_prob = torch::stack(rollout.log_probs);
  batch.final_renders = rollout.final_canvases;
  batch.acting = rollout.phases;
  return batch;
}

torch::Tensor Trainer::hindsight_loss(const EpisodeBatch& episodes) {
  model::PolicyInput relabelled = episodes.unroll;
  const int64_t steps = episodes.commands.size(0);
  relabelled.target = episodes.final_renders.to(relabelled.target.dtype())
                          .unsqueeze(0)
                          .expand({steps, -1, -1, -1, -1})
                          .contiguous();
  const int64_t batch = episodes.commands.size(1);
  const model::PolicyStep replayed =
      policy_->evaluate_unroll(relabelled, policy_->initial_state(batch), episodes.commands);
  return -replayed.log_prob.sum(0).mean();
}

TrainStepStats Trainer::learn(const EpisodeBatch& episodes) {
  TrainStepStats stats;
  Stopwatch clock;
  const model::PolicyInput& unroll = episodes.unroll;
  const torch::Tensor& commands = episodes.commands;
  const torch::Tensor& final_renders = episodes.final_renders;
  const torch::Tensor& target = episodes.targets;
  const int64_t steps = commands.size(0);
  const int64_t batch = commands.size(1);
  stats.frames = batch * steps;

  // Rewards (no grad, D in its current state).
  RewardInputs reward_inputs;
  reward_inputs.steps = steps;
  reward_inputs.final_renders = final_renders;
  reward_inputs.targets = target;
  reward_inputs.step_renders = torch::cat({unroll.canvas, final_renders.unsqueeze(0)});
  reward_inputs.first_values = commands.select(2, 0);
  const torch::Tensor rewards = [&] {
    const model::Bf16Autocast autocast(device_.type(), config_.bf16);
    return compute_rewards(config_.reward, reward_inputs, &discriminator_).to(torch::kFloat);
  }();
  stats.phases.rewards = clock.lap();

  // A2C on the stored unroll.
  const model::PolicyStep evaluated =
      policy_->evaluate_unroll(unroll, policy_->initial_state(batch), commands);
  torch::Tensor groups;  // episodes on one target share a leave-one-out baseline
  if (config_.episodes_per_target > 1) {
    groups = torch::tensor(episodes.target_indices, torch::kLong).to(device_);
  }
  const A2CLoss loss =
      a2c_loss(evaluated.log_prob, evaluated.entropy, evaluated.value, rewards, config_.a2c, {},
               config_.vtrace ? episodes.behaviour_log_prob : torch::Tensor(), groups);
  torch::Tensor total = loss.total;
  if (config_.hindsight > 0) {
    const torch::Tensor lesson = hindsight_loss(episodes);
    total = total + config_.hindsight * lesson;
    stats.hindsight_loss = lesson.item<double>();
  }
  policy_optimizer_->zero_grad();
  stats.phases.forward = clock.lap();
  total.backward();
  average_gradients(config_.average_gradients, policy_->parameters());
  stats.grad_norm = clip_gradients(policy_->parameters(), config_.grad_clip);
  stats.phases.backward = clock.lap();
  // A non-finite gradient (after averaging, so every rank decides alike) leaves the network and
  // its optimizer as they were.
  stats.policy_skipped = !std::isfinite(stats.grad_norm);
  if (!stats.policy_skipped) policy_optimizer_->step();
  stats.phases.optimizer = clock.lap();
  stats.policy_loss = loss.policy.item<double>();
  stats.value_loss = loss.value.item<double>();
  stats.entropy = loss.entropy.item<double>();
  stats.reward = rewards.sum(0).mean().item<double>();

  // D's updates: fakes from the replay, reals the targets of those fakes (conditional) or fresh
  // training images. A reward without D leaves D untrained (its loss NaN).
  replay_.add(final_renders, target);
  if (config_.reward.discriminator_weight == 0) {
    stats.discriminator_loss = std::numeric_limits<double>::quiet_NaN();
    return stats;
  }
  const DiscriminatorLossConfig d_config = discriminator_loss_config(config_);
  const auto& average = config_.average_discriminator_gradients
                            ? config_.average_discriminator_gradients
                            : config_.average_gradients;
  for (int k = 0; k < config_.discriminator_updates; ++k) {
    const ReplaySample fake = replay_.sample(static_cast<int>(batch), &generator_);
    torch::Tensor real = fake.targets;
    if (!config_.conditional) {
      real = targets(pick_training_images(static_cast<int>(batch)), nullptr);
    }
    const DiscriminatorUpdate update = discriminator_update(
        discriminator_, *discriminator_optimizer_, d_config, real, fake.renders, &generator_,
        [&](const std::vector<torch::Tensor>& params) { average_gradients(average, params); });
    stats.discriminator_skipped = stats.discriminator_skipped || update.skipped;
    stats.discriminator_loss = update.loss;
  }
  stats.phases.discriminator = clock.lap();
  return stats;
}

EpisodeShape Trainer::episode_shape() const {
  EpisodeShape shape;
  shape.steps = envs_->episode_length();
  shape.parts = static_cast<int>(envs_->action_spec().size());
  shape.height = shape.width = canvas_;
  shape.channels = channels_;
  shape.noise = policy_->config().resolved_noise_dim();
  return shape;
}

std::vector<Episode> Trainer::episodes_of(const EpisodeBatch& batch, int64_t policy_version,
                                          int actor) const {
  const EpisodeShape shape = episode_shape();
  // [B, T + 1, H, W, C] bytes.
  const torch::Tensor canvases =
      to_uint8(torch::cat({batch.unroll.canvas, batch.final_renders.unsqueeze(0)}))
          .permute({1, 0, 3, 4, 2})
          .contiguous();
  const torch::Tensor commands =
      batch.commands.to(torch::kCPU).to(torch::kInt).permute({1, 0, 2}).contiguous();
  const torch::Tensor log_probs =
      batch.behaviour_log_prob.to(torch::kCPU, torch::kFloat).t().contiguous();  // [B, T]
  torch::Tensor noise;
  if (shape.noise > 0) noise = batch.unroll.noise[0].to(torch::kCPU).contiguous();
  const int64_t count = commands.size(0);
  std::vector<Episode> episodes(static_cast<size_t>(count));
  const size_t command_values = static_cast<size_t>(shape.steps) * shape.parts;
  const size_t canvas_values = (static_cast<size_t>(shape.steps) + 1) * shape.canvas_bytes();
  for (int64_t b = 0; b < count; ++b) {
    Episode& e = episodes[static_cast<size_t>(b)];
    if (!batch.target_indices.empty()) e.target_index = batch.target_indices[b];
    e.policy_version = policy_version;
    e.actor = actor;
    const int32_t* c = commands.data_ptr<int32_t>() + b * command_values;
    e.commands.assign(c, c + command_values);
    const float* l = log_probs.data_ptr<float>() + b * shape.steps;
    e.log_probs.assign(l, l + shape.steps);
    const uint8_t* p = canvases.data_ptr<uint8_t>() + b * canvas_values;
    e.canvases.assign(p, p + canvas_values);
    if (noise.defined()) {
      const float* n = noise.data_ptr<float>() + b * shape.noise;
      e.noise.assign(n, n + shape.noise);
    }
  }
  return episodes;
}

EpisodeBatch Trainer::batch_of(const std::vector<Episode>& episodes) const {
  const EpisodeShape shape = episode_shape();
  const int64_t count = static_cast<int64_t>(episodes.size());
  const int64_t steps = shape.steps;
  std::vector<int32_t> commands;
  std::vector<float> log_probs;
  std::vector<uint8_t> canvases;
  std::vector<float> noise;
  EpisodeBatch batch;
  for (const Episode& e : episodes) {
    commands.insert(commands.end(), e.commands.begin(), e.commands.end());
    log_probs.insert(log_probs.end(), e.log_probs.begin(), e.log_probs.end());
    canvases.insert(canvases.end(), e.canvases.begin(), e.canvases.end());
    noise.insert(noise.end(), e.noise.begin(), e.noise.end());
    if (config_.conditional) {
      if (e.target_index < 0 || static_cast<size_t>(e.target_index) >= dataset_->size()) {
        throw std::runtime_error("episode of actor rank " + std::to_string(e.actor) +
                                 " names target " + std::to_string(e.target_index) +
                                 ", outside dataset " + dataset_->name());
      }
      batch.target_indices.push_back(e.target_index);
    }
  }
  // [T + 1, B, C, H, W] float canvases.
  const torch::Tensor all =
      torch::from_blob(canvases.data(),
                       {count, steps + 1, shape.height, shape.width, shape.channels}, torch::kUInt8)
          .permute({1, 0, 4, 2, 3})
          .to(torch::kFloat)
          .div(255.0f)
          .contiguous()
          .to(device_);
  batch.unroll.canvas = all.slice(0, 0, steps);
  batch.final_renders = all[steps];
  batch.commands = torch::from_blob(commands.data(), {count, steps, shape.parts}, torch::kInt)
                       .permute({1, 0, 2})
                       .to(torch::kLong)
                       .contiguous()
                       .to(device_);
  batch.behaviour_log_prob = torch::from_blob(log_probs.data(), {count, steps}, torch::kFloat)
                                 .t()
                                 .contiguous()
                                 .to(device_);
  // Before step t: the command of step t - 1 and its mask (zeros before the first step).
  const torch::Tensor first = torch::zeros({1, count, shape.parts}, batch.commands.options());
  batch.unroll.prev_commands = torch::cat({first, batch.commands.slice(0, 0, steps - 1)});
  std::vector<torch::Tensor> masks = {torch::zeros({count, shape.parts}, device_)};
  for (int64_t t = 0; t + 1 < steps; ++t) {
    masks.push_back(model::command_mask(envs_->action_spec(), batch.commands[t].select(1, 0)));
  }
  batch.unroll.prev_masks = torch::stack(masks);
  if (config_.conditional) {
    std::vector<size_t> indices(batch.target_indices.begin(), batch.target_indices.end());
    batch.targets = targets(indices, nullptr);
    batch.unroll.target = batch.targets.unsqueeze(0).expand({steps, -1, -1, -1, -1}).contiguous();
  }
  if (shape.noise > 0) {
    batch.unroll.noise = torch::from_blob(noise.data(), {count, shape.noise}, torch::kFloat)
                             .to(device_)
                             .unsqueeze(0)
                             .expand({steps, -1, -1})
                             .contiguous();
  }
  return batch;
}

HeldOutResult Trainer::held_out() {
  HeldOutResult result;
  std::vector<Image> images;
  const torch::Tensor target = targets(held_out_indices_, &images);
  if (config_.conditional) result.targets = std::move(images);
  // The same environment seeds and sampling draws at every evaluation, apart from the training
  // streams, so that evaluations compare across updates and leave training's random numbers alone.
  RolloutOptions options;
  options.greedy = config_.greedy_eval;
  options.device = device_;
  for (int i = 0; i < eval_envs_->size(); ++i) options.seeds.push_back(config_.seed * 7919 + i);
  // The canvas an episode starts from: the painter's white paper, the scene builder's empty floor.
  eval_envs_->reset(options.seeds);
  const Image blank_image = eval_envs_->canvas(0);
  const torch::Tensor blank = image_to_tensor(blank_image).to(device_);
  result.blank_mse = (blank - target).pow(2).mean().item<double>();
  result.empty_floor = config_.environment.kind == render::EnvironmentSettings::Kind::kScene;
  at::Generator eval_generator = model::make_generator(config_.seed + 1000003);
  const torch::Tensor renders =
      play_episodes(policy_, *eval_envs_, config_.conditional ? target : torch::Tensor(), options,
                    &eval_generator, false)
          .final_canvases;
  result.mse = config_.conditional ? (renders - target).pow(2).mean().item<double>()
                                   : std::numeric_limits<double>::quiet_NaN();
  std::set<std::vector<uint8_t>> seen;
  for (int64_t i = 0; i < renders.size(0); ++i) {
    result.renders.push_back(tensor_to_image(renders[i]));
    const std::vector<uint8_t>& pixels = result.renders.back().pixels;
    seen.insert(pixels);
    if (pixels == blank_image.pixels) ++result.blank;
  }
  result.distinct = static_cast<int>(seen.size());
  return result;
}

double Trainer::sample_score(const HeldOutResult& held) {
  torch::NoGradGuard no_grad;
  const torch::Tensor renders = images_to_tensor(held.renders).to(device_);
  const bool training = discriminator_->is_training();
  discriminator_->eval();
  const double score = discriminator_->forward(renders).mean().item<double>();
  discriminator_->train(training);
  return score;
}

}  // namespace spiral::learn
