// Single-rank synchronous SPIRAL training: act in a batch of environments, A2C on the policy, one
// WGAN-GP update of the discriminator per policy update.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/data/dataset.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_loss.h"
#include "spiral/learn/episode.h"
#include "spiral/learn/phase_times.h"
#include "spiral/learn/rewards.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/environment_batch.h"
#include "spiral/render/settings.h"

namespace spiral::learn {

// Everything a Trainer needs besides the dataset.
struct TrainerConfig {
  render::EnvironmentSettings environment;
  model::PolicyConfig policy;  // canvas, channels and conditional are filled in from the rest
  model::DiscriminatorConfig discriminator;  // the same
  bool conditional = true;
  int batch = 16;  // episodes per policy update (= environments)
  // Episodes played on each drawn target (conditional; divides batch). Above 1, an episode's
  // advantage is its return less the mean return of its target's other episodes (leave-one-out)
  // instead of less the value head's estimate.
  int episodes_per_target = 1;
  int render_threads = 1;  // threads stepping the environments
  double policy_lr = 1e-4;
  A2CConfig a2c;
  double grad_clip = 40;  // 0: no clipping
  // Correct the policy update for episodes played by older parameters with V-trace (IMPALA; with
  // episodes_per_target above 1, V-trace's truncated importance weights on the group advantages);
  // without it, learn() treats every batch as played by the current policy (plain A2C).
  bool vtrace = false;
  // Weight of a hindsight loss (not in the paper): every episode is also a lesson in inverse
  // rendering, its own commands being a right program for the canvas it ended on. The loss is
  // minus the log-probability of those commands with that canvas as the target (conditional
  // agents; 0 = off).
  double hindsight = 0;
  // Share of the command parts played in training that are drawn uniformly at random instead of
  // from the policy (not in the paper): every value keeps being tried, so that hindsight keeps
  // teaching each one. Evaluations never draw them.
  double random_parts = 0;
  // The reward terms; the L2 terms need a conditional agent (they compare with the target).
  RewardConfig reward;
  double discriminator_lr = 1e-4;
  double gradient_penalty = 10;
  GanLoss gan_loss = GanLoss::kWasserstein;  // D's loss (non-saturating: SPIRAL++'s, with SN)
  bool complement_discriminator = false;     // SPIRAL++'s complement D (conditional agents)
  bool mismatched_fakes = false;  // D also learns that a target beside another target is fake
  int discriminator_updates = 1;  // D updates per policy update, each on a new draw
  int replay_batches = 20;        // RenderReplay capacity in batches
  int held_out = 64;              // size of the fixed held-out set (capped by the split's size)
  torch::Device device = torch::kCPU;  // where both networks and their updates run
  // D's forward passes under bf16 autocast (model/precision.h); the policy's convolutional torso
  // follows policy.bf16.
  bool bf16 = false;
  bool greedy_eval = false;  // held_out(): argmax commands instead of sampling with a fixed seed
  uint64_t seed = 1;
  // Data-parallel training (--mode sync on several ranks): this rank's index draws its own
  // episodes, targets and samples (rank 0 draws what a single rank would); the parameters start
  // equal on every rank from `seed`.
  int rank = 0;
  // When set, called after every backward pass with the network's gradients (every parameter has
  // one) to average them over the ranks in place; collective, so every rank must take every step.
  std::function<void(const std::vector<torch::Tensor>&)> average_gradients;
  // When set, averages the discriminator's gradients instead of average_gradients (a population
  // whose members share one D averages them over every member's ranks); collective like it.
  std::function<void(const std::vector<torch::Tensor>&)> average_discriminator_gradients;
};

// Played episodes as the updates take them.
struct EpisodeBatch {
  model::PolicyInput unroll;            // [T, B, ...]: the inputs before each step
  torch::Tensor commands;               // [T, B, P] int64
  torch::Tensor behaviour_log_prob;     // [T, B]: log-probability of the commands when played
  torch::Tensor final_renders;          // [B, C, H, W] float in [0, 1]
  torch::Tensor targets;                // [B, C, H, W]; undefined for an unconditional agent
  std::vector<int64_t> target_indices;  // dataset index of each target (conditional)
  PhaseTimes acting;                    // seconds spent playing it (render and inference)
};

// The scalars of one train_step().
struct TrainStepStats {
  int64_t frames = 0;  // agent steps taken by this update: batch x episode length
  double policy_loss = 0;
  double value_loss = 0;
  double entropy = 0;
  double reward = 0;  // mean over episodes of the summed reward
  double discriminator_loss = 0;
  // Minus the log-probability of the episodes' own commands with their final canvases as the
  // targets, per episode (NaN: --hindsight is 0).
  double hindsight_loss = std::numeric_limits<double>::quiet_NaN();
  double grad_norm = 0;  // policy gradient norm before clipping
  // Updates not applied because a gradient was NaN or infinite (the network is unchanged).
  bool policy_skipped = false;
  bool discriminator_skipped = false;
  PhaseTimes phases;  // seconds per phase (acting too, for train_step())
};

// A reconstruction of the held-out set (sampled with a fixed seed, or greedy).
struct HeldOutResult {
  double mse = 0;            // mean over pixels and images of (render - target)^2 on [0, 1]
  double blank_mse = 0;      // the same for the canvas an episode starts from (what doing nothing
                             // scores: white paper, or the scene builder's empty floor)
  bool empty_floor = false;  // episodes start from the scene builder's empty floor, not paper
  int distinct = 0;          // distinct renders (as 8-bit images)
  int blank = 0;             // renders left as they started
  std::vector<Image> targets;
  std::vector<Image> renders;
};

// Refuses (UserError, one line naming the options) settings a Trainer cannot train with; the
// Trainer checks them too, this is for a start that must refuse before it builds one.
void check_trainer_config(const TrainerConfig& config);

// The loss a Trainer with `config` trains D on.
DiscriminatorLossConfig discriminator_loss_config(const TrainerConfig& config);

// The fixed held-out images of a dataset: `count` (at least 1, at most all) evenly spaced over the
// held-out side of the split every:10. Throws UserError when either side of the split is empty.
std::vector<size_t> held_out_images(const data::Dataset& dataset, int count);

// `dataset`'s image `index` as the target a Trainer compares renders with: `canvas` x `canvas`
// pixels of `channels` channels (1 gray, 3 RGB), dark ink on white like the canvas.
Image target_image(const data::Dataset& dataset, size_t index, int canvas, int channels);

class Trainer {
 public:
  // Throws UserError for a dataset with no training or no held-out images, or bad settings.
  Trainer(const TrainerConfig& config, std::shared_ptr<const data::Dataset> dataset);

  // One policy update and one discriminator update on episodes just played: learn(act()).
  TrainStepStats train_step();
  // Plays one episode in each of the `batch` environments with the current policy, on training
  // targets drawn at random (conditional).
  EpisodeBatch act();
  // One policy update (A2C) and one discriminator update on `episodes` (played here or elsewhere).
  TrainStepStats learn(const EpisodeBatch& episodes);
  // The sizes of this agent's episodes.
  EpisodeShape episode_shape() const;
  // `batch` as episodes to send (canvases rounded to bytes), played by `actor` with parameters of
  // `policy_version`.
  std::vector<Episode> episodes_of(const EpisodeBatch& batch, int64_t policy_version,
                                   int actor) const;
  // The batch of `episodes` (of episode_shape()), on this Trainer's device, targets loaded from the
  // dataset. Throws std::runtime_error for a target index outside the dataset.
  EpisodeBatch batch_of(const std::vector<Episode>& episodes) const;
  // Episodes on the held-out targets, sampled with the same seed every time (greedy with
  // greedy_eval); unconditional agents paint samples (mse NaN, no targets). Draws nothing from
  // training's streams.
  HeldOutResult held_out();
  // The discriminator's mean score of `held`'s renders (in eval mode, which changes nothing in
  // D): how real an unconditional agent's samples look, higher is better.
  double sample_score(const HeldOutResult& held);

  int64_t frames_per_step() const;
  // Sets the policy's Adam learning rate and the A2C entropy cost for the next updates (PBT).
  void set_hyper_parameters(double policy_lr, double entropy_cost);
  // Runs the policy's Adam at `scale` times its learning rate from the next update on (a schedule
  // over the run; the rate PBT sets is scaled alike).
  void set_lr_scale(double scale);
  // Restarts this rank's random streams (episodes, targets, samples) from `seed` (mixed with the
  // rank as at construction); parameters and optimizers are untouched.
  void reseed(uint64_t seed);
  model::Policy& policy() { return policy_; }
  model::Discriminator& discriminator() { return discriminator_; }
  // The settings the Trainer was built with.
  const TrainerConfig& config() const { return config_; }
  // The environments' command parts.
  const render::ActionSpec& action_spec() const { return envs_->action_spec(); }
  // Adam of the policy.
  torch::optim::Adam& policy_optimizer() { return *policy_optimizer_; }
  // Adam of the discriminator.
  torch::optim::Adam& discriminator_optimizer() { return *discriminator_optimizer_; }
  // The replay of final renders D trains on.
  RenderReplay& replay() { return replay_; }
  // The CPU generator for noise, sampled commands and replay draws.
  at::Generator& generator() { return generator_; }
  // The engine for episode seeds and training-target picks.
  std::mt19937_64& rng() { return rng_; }

 private:
  // The policy's Adam learning rate from now on: config_.policy_lr x lr_scale_.
  void apply_policy_lr();
  // [n, C, H, W] float targets on the device for the given dataset indices; `images` gets them.
  torch::Tensor targets(const std::vector<size_t>& indices, std::vector<Image>* images) const;
  // `count` training images drawn at random, each repeated `repeats` times in a row.
  std::vector<size_t> pick_training_images(int count, int repeats = 1);
  std::vector<uint64_t> episode_seeds(int count);
  // The hindsight loss of `episodes` (TrainerConfig::hindsight), with its gradient.
  torch::Tensor hindsight_loss(const EpisodeBatch& episodes);

  TrainerConfig config_;
  std::shared_ptr<const data::Dataset> dataset_;
  std::vector<size_t> train_indices_;
  std::vector<size_t> held_out_indices_;  // held_out_images()
  int channels_ = 1;
  int canvas_ = 64;
  torch::Device device_;
  std::unique_ptr<render::EnvironmentBatch> envs_;
  std::unique_ptr<render::EnvironmentBatch> eval_envs_;
  model::Policy policy_{nullptr};
  model::Discriminator discriminator_{nullptr};
  std::unique_ptr<torch::optim::Adam> policy_optimizer_;
  std::unique_ptr<torch::optim::Adam> discriminator_optimizer_;
  double lr_scale_ = 1;  // set_lr_scale()
  RenderReplay replay_;
  at::Generator generator_;
  std::mt19937_64 rng_;
};

}  // namespace spiral::learn
