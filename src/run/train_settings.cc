// The options of `spiral train` and the Trainer settings they resolve to.
#include "spiral/run/train_settings.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/option_lists.h"
#include "spiral/model/precision.h"
#include "spiral/render/options.h"
#include "spiral/run/population.h"

namespace spiral::run {
namespace {

// The layer widths of --discriminator-widths ("64,128,256,512"); UserError naming the option.
std::vector<int> discriminator_widths(const std::string& text) {
  std::vector<int> widths = parse_int_list("discriminator-widths", text, 1, 4096);
  if (widths.size() > 6) {
    throw UserError("--discriminator-widths: expected 1 to 6 layers, got " +
                    std::to_string(widths.size()));
  }
  return widths;
}

// Where the run goes, its budget and how often it reports.
OptionGroup run_options() {
  return {
      "run",
      {
          text_option("name", "quickstart", "Name of the run; its files go to <run-dir>/<name>"),
          text_option("run-dir", "runs", "Folder that holds run folders"),
          choice_option("mode", "sync", {"sync", "async"},
                        "sync: every rank acts and learns in lock step; async: role layout"),
          text_option("layout", "",
                      "Async roles, e.g. actors:28,replay:2,learners:2 (empty: by world size; "
                      "with --population N, each member's, on its world size / N ranks)"),
          int_option("frames", 1000000, 1, INT64_MAX, "frames",
                     "Training budget in agent steps of all ranks; reaching it ends the run "
                     "(exit code 0)"),
          real_option("duration", 0, 0, 1e9, "s",
                      "Planned training time, summed over every start of a resumed run (the "
                      "wall_time of metrics.h5): once reached, stop with a checkpoint, an "
                      "evaluation and an image grid, exit code 0 (0: none)"),
          real_option("time-limit", 0, 0, 1e9, "s",
                      "Wall-clock limit of this start (a Slurm job's time): stop before it with a "
                      "checkpoint and exit code 3, to requeue with --resume auto (0: none)"),
          bool_option("echo-config", false,
                      "Rank 0 also prints the whole resolved configuration at start, as an input "
                      "file (slurm/train.sbatch sets it, for the job's .out file)"),
          int_option("render-threads", 0, 0, 1024, "threads",
                     "Threads stepping environments per rank (0: as --threads)"),
          int_option("eval-every", 50, 1, INT64_MAX, "steps",
                     "Held-out reconstruction MSE every this many policy updates"),
          int_option("images-every", 500, 1, INT64_MAX, "steps",
                     "Held-out target/reconstruction grid to images/ every this many updates"),
          real_option("progress-every", 5, 0, 1e9, "s", "Seconds between progress lines"),
      }};
}

// The roles of --mode async and what passes between them.
OptionGroup async_options() {
  return {"async",
          {
              real_option("peer-timeout", 300, 1, 1e6, "s",
                          "--mode async: end the job when a rank that another waits for has sent "
                          "nothing for this long (it died or hung); longer than any rank's step"),
              int_option("queue-episodes", 0, 0, 1 << 24, "episodes",
                         "Capacity of each replay holder's queue; when full, its actors wait "
                         "(0: 4 x --batch)"),
              int_option("max-policy-lag", 0, 0, INT64_MAX, "updates",
                         "Replay holders drop episodes played more than this many policy updates "
                         "before the requesting learner's (0: keep every episode)"),
              real_option("trajectory-fraction", 0.1, 0, 1, "",
                          "Share of the episodes each replay holder writes to "
                          "trajectories/replay-<rank>.h5"),
              choice_option("vtrace", "auto", {"auto", "true", "false"},
                            "Correct the learners' policy updates for policy lag (--mode async "
                            "only) with V-trace (IMPALA; importance weights clipped at 1); with "
                            "--episodes-per-target above 1, each step's advantage over the "
                            "target's other episodes is weighted by V-trace's clipped importance "
                            "weight. auto and true: on (auto was once off with episodes per "
                            "target; it is kept so that older configurations read)"),
              choice_option("parameter-delivery", "direct", {"direct", "tree"},
                            "How learner 0 sends parameters to the actors: direct (a copy to each "
                            "actor) or tree (a copy to each node's first actor, which passes it on "
                            "to the node's other actors)"),
              int_option("ranks-per-node", 0, 0, 1 << 20, "ranks",
                         "--parameter-delivery tree: take each run of this many consecutive ranks "
                         "as one node, to study or test several nodes on one machine (0: the "
                         "nodes MPI reports)"),
              choice_option("actor-device", "cpu", {"cpu", "cuda"},
                            "Where actors run the policy (cuda: a GPU of their node, shared by the "
                            "node's actor ranks)"),
          }};
}

// When checkpoints are written and what they keep.
OptionGroup checkpoint_options() {
  return {
      "checkpoints",
      {
          real_option("checkpoint-every", 30, 0, 1e6, "min",
                      "Minutes between checkpoints (0: only when the run stops: frames, "
                      "duration, time limit or a signal)"),
          int_option("keep-checkpoints", 3, 1, 1000000, "files",
                     "Newest checkpoints kept in <run>/checkpoints; older ones are removed"),
          text_option("resume", "",
                      "Continue a run: auto (its newest valid checkpoint, or a fresh start when "
                      "it has none) or a checkpoint file; empty: a fresh run"),
          bool_option("checkpoint-replay", true, "Store the render replay in checkpoints"),
      }};
}

// The targets and the held-out set.
OptionGroup data_options() {
  return {
      "data",
      {
          text_option("dataset", "mnist:inputs/data/mnist",
                      "Target images as kind:location (mnist, omniglot, celeba, folder, scenes)"),
          bool_option("conditional", true, "Condition the agent on a target image"),
          int_option("held-out", 64, 1, 65536, "images",
                     "Fixed held-out images (split every:10) whose reconstruction MSE is tracked"),
          bool_option("eval-greedy", false,
                      "Held-out episodes take the most likely commands (else sampled, fixed seed)"),
          text_option(
              "classifier", "",
              "Digit classifier (spiral data train-classifier) that scores an "
              "unconditional agent's held-out samples at each evaluation: the share it "
              "reads with confidence >= 0.9, their classes, and the Frechet distance of "
              "its features to the other held-out images of --dataset, in the progress lines and "
              "the last line"),
      }};
}

// The networks, their learning and the reward.
OptionGroup agent_options() {
  return {
      "agent",
      {
          choice_option("device", "cpu", {"cpu", "cuda"},
                        "Where the networks run and learn (cuda: this rank's GPU)"),
          choice_option("precision", "fp32", {"fp32", "bf16", "auto"},
                        "fp32, or bf16 autocast for the policy's convolutional torso and D's "
                        "forward passes (the policy's LSTM and heads, losses, parameters, "
                        "gradients and optimizer states stay fp32); auto: bf16 on a CPU that "
                        "multiplies bf16 in hardware (AVX-512 BF16, AMX), else fp32"),
          bool_option("channels-last", false,
                      "The policy's and D's feature maps in NHWC layout (faster convolutions "
                      "on CPUs, with bf16 most of all; the same values)"),
          int_option("batch", 64, 1, 65536, "episodes", "Episodes per policy update"),
          int_option("envs", 64, 1, 65536, "environments", "Environments per acting rank"),
          int_option("episodes-per-target", 1, 1, 65536, "episodes",
                     "Episodes on each drawn target (conditional; divides batch and envs). Above "
                     "1, advantages subtract the mean return of the target's other episodes "
                     "instead of the value head's (not in the paper; in async mode without "
                     "V-trace)"),
          choice_option("policy-size", "paper", {"paper", "small"},
                        "paper: 8 residual blocks, LSTM 256; small: 2 blocks, LSTM 128 (CPU)"),
          int_option("torso-width", 32, 4, 1024, "channels",
                     "Channels of the policy's torso convolutions (paper: 32)"),
          choice_option("first-stride", "1", {"1", "2", "4"},
                        "Stride of the policy's first 5x5 convolution (paper: 1); 2 or 4 drop "
                        "one or two of the torso's stride-2 convolutions (at 2, the quickstart's "
                        "policy costs 10.5 MFLOP per frame instead of 36; not in the paper)"),
          bool_option("spatial-heads", true,
                      "Location heads also read the torso's maps at the grid's resolution "
                      "(false: the paper's heads, which see only the LSTM state)"),
          bool_option("point-features", false,
                      "Once a location is chosen, the command's later parts also read the "
                      "torso's maps there (needs --spatial-heads; not in the paper)"),
          bool_option("location-first", false,
                      "The scene builder chooses an object's floor cell before its type, so "
                      "that with --point-features the type reads the maps there (not in the "
                      "paper, which chooses a command's parts in their order)"),
          bool_option("pen-planes", false,
                      "The policy also sees where the pen is: a spot and each pixel's offset "
                      "from it (painter; not in the paper)"),
          real_option("policy-lr", 1e-4, 0, 1, "", "Adam learning rate of the policy"),
          choice_option("policy-lr-decay", "none", {"none", "linear"},
                        "linear: the policy's learning rate falls linearly from --policy-lr "
                        "to 0 over the run's budget (--frames, or --duration when it ends the "
                        "run sooner: then rank 0's clock sets the rate)"),
          real_option("entropy-cost", 0.01, 0, 10, "", "Weight of the entropy bonus"),
          real_option("hindsight", 0, 0, 1e6, "",
                      "Weight of a hindsight loss: each episode also teaches the policy its own "
                      "commands with the canvas they made as the target (conditional; 0: off; "
                      "not in the paper)"),
          real_option("random-parts", 0, 0, 1, "",
                      "Share of the command parts played in training drawn uniformly at random "
                      "instead of from the policy, so that every value keeps being tried and "
                      "--hindsight keeps teaching it (0: none; evaluations never; not in the "
                      "paper)"),
          real_option("grad-clip", 40, 0, 1e9, "", "Gradient norm clip (0: none)"),
          int_option("max-skipped-updates", 20, 1, 1000000, "updates",
                     "Stop (exit code 4, no new checkpoint) after this many updates in a row "
                     "skipped for NaN or infinite gradients"),
          choice_option("reward", "discriminator", {"discriminator", "l2", "none"},
                        "Reward: D(render) (conditional D: D(target, render)), -L2(render, "
                        "target) (conditional only; the paper's baseline) or none (the policy "
                        "learns from --hindsight alone)"),
          choice_option("reward-timing", "final", {"final", "per-step"},
                        "final: the reward at the last step (SPIRAL); per-step: each step gets "
                        "the change it made (D differences as in SPIRAL++, or L2 error removed)"),
          choice_option("l2-form", "sum", {"sum", "mean"},
                        "L2 over pixels: sum (the paper's ||.||^2) or mean (MSE, size-free)"),
          real_option("l2-blur", 0, 0, 16, "px",
                      "The L2 reward compares render and target blurred by a Gaussian of this "
                      "standard deviation, so a stroke beside the target's line earns part of "
                      "what one on it earns (0: none, as in the paper)"),
          real_option("discriminator-weight", 1, 1e-9, 1e6, "",
                      "Weight of D's reward (--reward discriminator); a WGAN-GP critic's "
                      "differences are bounded by the images' L2 distance (about 20 from a "
                      "blank canvas to a digit), so 0.006 puts a stroke's reward near the "
                      "quickstart's MSE rewards"),
          real_option("stroke-penalty", 0, 0, 1e6, "", "Subtracted for each new stroke (MNIST)"),
          real_option("blank-penalty", 0, 0, 1e6, "",
                      "Subtracted when the final canvas is blank (MNIST)"),
          real_option("discount", 1, 0, 1, "", "Discount of the returns (SPIRAL: 1)"),
          real_option("value-cost", 0.5, 0, 1e6, "", "Weight of the value loss"),
          bool_option("normalize-advantages", false,
                      "Scale advantages to mean 0, sd 1 per update (not in the paper)"),
          real_option("discriminator-lr", 1e-4, 0, 1, "", "Adam learning rate of D"),
          real_option("gradient-penalty", 10, 0, 1e6, "", "WGAN-GP penalty weight"),
          choice_option("discriminator-loss", "wgan-gp", {"wgan-gp", "non-saturating"},
                        "D's loss: wgan-gp (SPIRAL) or the non-saturating GAN loss (SPIRAL++, "
                        "with --spectral-norm true)"),
          bool_option("spectral-norm", false, "Spectral normalisation of every D layer"),
          bool_option("complement-discriminator", false,
                      "SPIRAL++'s complement D: it sees a random half of the target and the "
                      "other half of the target or the render (conditional agents)"),
          int_option("discriminator-updates", 1, 1, 1000, "updates",
                     "D updates per policy update, each on a new draw from the render replay"),
          text_option("discriminator-widths", "64,128,256,512",
                      "Channels of D's 4x4 stride-2 convolutions, one layer each, 1 to 6 "
                      "layers of 1 to 4096 (paper: 64,128,256,512; the canvas must divide by "
                      "2^layers x --discriminator-pool)"),
          choice_option("discriminator-pool", "1", {"1", "2", "4"},
                        "D sees both of its images averaged over 2 x 2 (or 4 x 4) blocks: a fixed "
                        "low-pass that hides the brush's texture from D, and a quarter (a "
                        "sixteenth) of its convolutions' work (paper: 1)"),
          bool_option("mismatched-fakes", false,
                      "Conditional D: half of its fakes pair a target with another target, so "
                      "that D learns to check the match, not only the look (not in the paper)"),
      }};
}

}  // namespace

bool vtrace_on(const Config& config) { return config.get_text("vtrace") != "false"; }

std::vector<OptionGroup> train_option_groups() {
  return {run_options(),  async_options(), checkpoint_options(), render::environment_options(),
          data_options(), agent_options(), population_options()};
}

learn::TrainerConfig trainer_config(const Config& config,
                                    const render::EnvironmentSettings& environment) {
  learn::TrainerConfig t;
  t.environment = environment;
  if (config.get_text("policy-size") == "small") {
    t.policy.residual_blocks = 2;
    t.policy.lstm_size = 128;
  }
  t.policy.torso_width = static_cast<int>(config.get_int("torso-width"));
  t.policy.first_stride = std::stoi(config.get_text("first-stride"));
  t.policy.spatial_heads = config.get_bool("spatial-heads");
  t.policy.pen_planes = config.get_bool("pen-planes");
  t.policy.point_features = config.get_bool("point-features");
  t.policy.location_first = config.get_bool("location-first");
  t.conditional = config.get_bool("conditional");
  t.batch = static_cast<int>(config.get_int("batch"));
  t.episodes_per_target = static_cast<int>(config.get_int("episodes-per-target"));
  int threads = static_cast<int>(config.get_int("render-threads"));
  if (threads == 0) threads = static_cast<int>(config.get_int("threads"));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  t.render_threads = std::min(threads, t.batch);
  t.policy_lr = config.get_real("policy-lr");
  t.a2c.entropy_cost = config.get_real("entropy-cost");
  t.hindsight = config.get_real("hindsight");
  t.random_parts = config.get_real("random-parts");
  t.a2c.discount = config.get_real("discount");
  t.a2c.value_cost = config.get_real("value-cost");
  t.a2c.normalize_advantages = config.get_bool("normalize-advantages");
  t.grad_clip = config.get_real("grad-clip");
  t.vtrace = config.get_text("mode") == "async" && vtrace_on(config);
  const bool per_step = config.get_text("reward-timing") == "per-step";
  if (config.get_text("reward") == "l2") {
    t.reward.discriminator_weight = 0;
    t.reward.l2_weight = 1;
    t.reward.l2_per_step = per_step;
  } else if (config.get_text("reward") == "none") {
    t.reward.discriminator_weight = 0;
  } else {
    t.reward.discriminator_weight = config.get_real("discriminator-weight");
    if (per_step) t.reward.discriminator_mode = learn::DiscriminatorReward::kPerStep;
  }
  t.reward.l2_form =
      config.get_text("l2-form") == "mean" ? learn::L2Form::kMean : learn::L2Form::kSum;
  t.reward.l2_blur = config.get_real("l2-blur");
  t.reward.stroke_penalty = config.get_real("stroke-penalty");
  t.reward.blank_penalty = config.get_real("blank-penalty");
  t.discriminator_lr = config.get_real("discriminator-lr");
  t.gradient_penalty = config.get_real("gradient-penalty");
  t.gan_loss = config.get_text("discriminator-loss") == "non-saturating"
                   ? learn::GanLoss::kNonSaturating
                   : learn::GanLoss::kWasserstein;
  t.discriminator.spectral_norm = config.get_bool("spectral-norm");
  t.discriminator.widths = discriminator_widths(config.get_text("discriminator-widths"));
  t.discriminator.input_pool = std::stoi(config.get_text("discriminator-pool"));
  t.mismatched_fakes = config.get_bool("mismatched-fakes");
  t.complement_discriminator = config.get_bool("complement-discriminator");
  t.discriminator_updates = static_cast<int>(config.get_int("discriminator-updates"));
  t.held_out = static_cast<int>(config.get_int("held-out"));
  t.greedy_eval = config.get_bool("eval-greedy");
  t.seed = static_cast<uint64_t>(config.get_int("seed"));
  const std::string precision = config.get_text("precision");
  t.bf16 = precision == "bf16" ||
           (precision == "auto" && config.get_text("device") == "cpu" && model::cpu_has_bf16());
  t.policy.bf16 = t.bf16;
  t.policy.channels_last = t.discriminator.channels_last = config.get_bool("channels-last");
  if (config.get_text("device") == "cuda") {
    if (!torch::cuda::is_available()) {
      throw UserError("--device cuda: no CUDA device is visible to this LibTorch build");
    }
    t.device = torch::Device(torch::kCUDA, 0);
  }
  return t;
}

}  // namespace spiral::run
