#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/core/signals.h"
#include "spiral/data/dataset.h"
#include "spiral/dist/delivery.h"
#include "spiral/dist/layout.h"
#include "spiral/dist/mpi.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/png.h"
#include "spiral/learn/checkpoint.h"
#include "spiral/learn/trainer.h"
#include "spiral/model/discriminator.h"
#include "spiral/render/options.h"
#include "spiral/render/program.h"
#include "spiral/run/async_learner.h"
#include "spiral/run/async_roles.h"
#include "spiral/run/data_parallel.h"
#include "spiral/run/metrics_file.h"
#include "spiral/run/population.h"
#include "spiral/run/population_file.h"
#include "spiral/run/run_folder.h"
#include "spiral/run/start_checks.h"
#include "spiral/run/train.h"
#include "spiral/run/train_settings.h"

namespace spiral::run {
namespace {

// Exit code of a run stopped by --max-skipped-updates non-finite updates in a row (diverged).
constexpr int kDivergedExitCode = 4;

// An unconditional agent's held-out samples in words: "distinct 12/32 blank 3/32".
std::string sample_text(const learn::HeldOutResult& held) {
  if (held.renders.empty()) return "-";  // not evaluated yet (a resumed run)
  const std::string of = "/" + std::to_string(held.renders.size());
  return "distinct " + std::to_string(held.distinct) + of + " blank " + std::to_string(held.blank) +
         of;
}

// What an async run does about policy lag, for its start lines.
std::string policy_lag_text(const Config& config) {
  if (vtrace_on(config)) return "corrected with V-trace";
  if (config.get_text("vtrace") == "false") return "not corrected (--vtrace false)";
  return "not corrected (--vtrace auto): with --episodes-per-target above 1 the advantages "
         "subtract the mean return of the target's other episodes, not the value head that "
         "V-trace corrects";
}

// The progress line's part on the last evaluation: " held_out_mse 0.0621 (0.60x blank)", or an
// unconditional agent's " samples distinct 12/32 blank 3/32".
std::string progress_quality(bool conditional, const learn::HeldOutResult& held) {
  std::ostringstream text;
  if (conditional) {
    text << " held_out_mse " << held.mse;
    if (held.blank_mse > 0) {
      text << " (" << std::fixed << std::setprecision(2) << held.mse / held.blank_mse << "x blank)";
    }
  } else {
    text << " samples " << sample_text(held);
  }
  return text.str();
}

// Writes images/reconstruction-<step>.png (held-out targets above their reconstructions), or
// images/samples-<step>.png for an unconditional agent.
void write_grid(const std::filesystem::path& run_dir, int64_t step,
                const learn::HeldOutResult& held) {
  const bool samples = held.targets.empty();  // an unconditional agent's samples
  char name[64];
  std::snprintf(name, sizeof name, "%s-%08lld.png", samples ? "samples" : "reconstruction",
                static_cast<long long>(step));
  const std::filesystem::path path = run_dir / "images" / name;
  const size_t columns = std::min<size_t>(8, held.renders.size());
  if (columns == 0) return;
  std::vector<Image> cells;
  if (samples) {  // two rows of samples
    cells.assign(held.renders.begin(),
                 held.renders.begin() + std::min<size_t>(2 * columns, held.renders.size()));
  } else {  // targets above their reconstructions
    cells.assign(held.targets.begin(), held.targets.begin() + columns);
    cells.insert(cells.end(), held.renders.begin(), held.renders.begin() + columns);
  }
  io::write_png(path.string(), tile_grid(cells, static_cast<int>(columns), 128));
}

// The newest image grid of a run up to `max_step` (images/<kind>-<step>.png with the highest such
// step), if any: grids of a killed start's later updates are not this run's.
std::optional<std::filesystem::path> newest_grid(const std::filesystem::path& run_dir,
                                                 int64_t max_step) {
  std::optional<std::filesystem::path> newest;
  int64_t newest_step = -1;
  std::error_code error;  // no images folder: no grid
  for (const auto& entry : std::filesystem::directory_iterator(run_dir / "images", error)) {
    const std::string stem = entry.path().stem().string();
    const size_t dash = stem.rfind('-');
    if (entry.path().extension() != ".png" || dash == std::string::npos) continue;
    const std::string digits = stem.substr(dash + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t step = std::stoll(digits);
    if (step > newest_step && step <= max_step) {
      newest_step = step;
      newest = entry.path();
    }
  }
  return newest;
}

// What ends a run's training loop (besides diverging).
enum class StopReason { kFrames, kDuration, kTimeLimit, kSignal };

// When a run stops: the first of its frame budget, planned training time and this start's limit.
struct Budget {
  int64_t frames = 0;
  double duration = 0;    // s of training over every start of the run (0: none)
  double time_limit = 0;  // s of this start (0: none)
};

// The budget the options of `config` set.
Budget budget_of(const Config& config) {
  return {config.get_int("frames"), config.get_real("duration"), config.get_real("time-limit")};
}

// Whether a limit of `limit` seconds (0: none) is reached by the end of the next update, when
// `spent` seconds have gone and the next update takes `next_update` (0: reached already).
bool limit_due(double limit, double spent, double next_update) {
  return limit > 0 && spent + next_update >= limit;
}

// The share of `budget` spent after `frames` frames and `trained` seconds over all starts: the
// larger of the frames' and the duration's.
double budget_spent(const Budget& budget, int64_t frames, double trained) {
  double spent = static_cast<double>(frames) / static_cast<double>(budget.frames);
  if (budget.duration > 0) spent = std::max(spent, trained / budget.duration);
  return spent;
}

// Seconds until the budget ends the run at `fps` frames/s, when the run has trained `trained`
// seconds over all its starts and `now` seconds in this one.
double seconds_to_end(const Budget& budget, int64_t frames, double fps, double trained,
                      double now) {
  double eta = static_cast<double>(budget.frames - frames) / fps;
  if (budget.duration > 0) eta = std::min(eta, std::max(0.0, budget.duration - trained));
  if (budget.time_limit > 0) eta = std::min(eta, std::max(0.0, budget.time_limit - now));
  return eta;
}

// A limit in seconds for messages: "660 s", or "none" for 0.
std::string limit_text(double seconds) {
  if (seconds <= 0) return "none";
  std::ostringstream text;
  text << seconds << " s";
  return text.str();
}

// The exit code of a run stopped for `reason` (by `signal` for kSignal): 0 when its planned
// training is done or the user interrupted it (SIGINT), else kCheckpointedExitCode (requeue it).
int stop_exit_code(StopReason reason, int signal) {
  switch (reason) {
    case StopReason::kFrames:
    case StopReason::kDuration:
      return 0;
    case StopReason::kTimeLimit:
      return kCheckpointedExitCode;
    case StopReason::kSignal:
      return signal == SIGINT ? 0 : kCheckpointedExitCode;
  }
  return 1;
}

// The log line that says what stopped the run after `frames` frames, and what its exit code asks.
std::string stop_message(StopReason reason, int signal, const Budget& budget, int64_t frames) {
  std::ostringstream line;
  switch (reason) {
    case StopReason::kFrames:
      line << "stopped by --frames: " << frames << " frames trained";
      break;
    case StopReason::kDuration:
      line << "stopped by --duration (" << limit_text(budget.duration) << " of training) after "
           << frames << " of " << budget.frames << " frames";
      break;
    case StopReason::kTimeLimit:
      line << "stopped by --time-limit (" << limit_text(budget.time_limit)
           << " for this start) after " << frames << " of " << budget.frames << " frames";
      break;
    case StopReason::kSignal:
      line << signal_name(signal) << " received: stopped after " << frames << " frames";
      break;
  }
  if (stop_exit_code(reason, signal) == kCheckpointedExitCode) {
    line << "; exit code 3 asks for a requeue with --resume auto";
  }
  return line.str();
}

// How many held-out images the run scores (`used`), and why fewer than --held-out asked for.
std::string held_out_text(size_t used, int asked) {
  std::string text = std::to_string(used) + " held-out images";
  if (used < static_cast<size_t>(asked)) {
    text += " (--held-out " + std::to_string(asked) + ": its held-out side holds no more)";
  }
  return text;
}

// The start-up summary rank 0 prints: where the run goes, what it trains and for how long.
std::vector<std::string> run_summary(const Config& config, const learn::TrainerConfig& settings,
                                     size_t held_out, int ranks,
                                     const std::filesystem::path& run_dir) {
  const render::EnvironmentSettings& environment = settings.environment;
  const bool painter = environment.kind == render::EnvironmentSettings::Kind::kPainter;
  const Budget budget = budget_of(config);
  std::ostringstream run, env, data, agent, limits;
  run << "spiral train on " << ranks << " rank(s), --mode " << config.get_text("mode")
      << "; run folder " << run_dir.string();
  if (!config.get_text("resume").empty()) run << " (--resume " << config.get_text("resume") << ")";
  env << "environment " << config.get_text("env") << ": "
      << (painter ? environment.painter.canvas : environment.scene.image_size) << " px, "
      << (painter ? environment.painter.episode_length : environment.scene.episode_length)
      << " steps per episode; actions " << render::action_spec_for(environment).describe();
  data << "dataset " << config.get_text("dataset") << ", "
       << (settings.conditional ? "conditional (the agent reconstructs a target image)"
                                : "unconditional (the agent paints from noise)")
       << ", " << held_out_text(held_out, settings.held_out);
  agent << "reward " << config.get_text("reward") << " (" << config.get_text("reward-timing");
  if (config.get_text("reward") == "l2") agent << ", " << config.get_text("l2-form");
  agent << "); policy " << config.get_text("policy-size") << " (" << settings.policy.residual_blocks
        << " residual blocks, LSTM " << settings.policy.lstm_size << "); batch " << settings.batch
        << " episodes per update; "
        << (settings.bf16 ? "bf16 convolutions (policy torso, D)" : "fp32")
        << (config.get_text("precision") == "auto" ? " (--precision auto)" : "")
        << (settings.policy.channels_last ? ", channels-last" : "");
  limits << "budget: --frames " << budget.frames << ", --duration " << limit_text(budget.duration)
         << ", --time-limit " << limit_text(budget.time_limit);
  return {run.str(),
          env.str(),
          data.str(),
          agent.str(),
          limits.str(),
          "full configuration: " + (run_dir / "config.cfg").string() +
              " (spiral train --print-config prints it)"};
}

// The newest checkpoint file of a run, or "none", for messages.
std::string newest_checkpoint_name(const std::filesystem::path& run_dir) {
  const std::vector<std::filesystem::path> checkpoints = learn::list_checkpoints(run_dir);
  return checkpoints.empty() ? "none" : checkpoints.front().string();
}

// The role layout of each member's `ranks` ranks from --layout `text` (members > 1: a population,
// and the refusal says so).
dist::RoleLayout member_layout(const std::string& text, int ranks, int members) {
  try {
    return dist::parse_layout(text, ranks);
  } catch (const UserError& error) {
    if (members == 1) throw;
    throw UserError("--population " + std::to_string(members) + " --mode async: each member has " +
                    std::to_string(ranks) + " of the job's " + std::to_string(ranks * members) +
                    " ranks and its own layout: " + error.what());
  }
}

// The asynchronous run's settings of every role.
AsyncSettings async_settings(const Config& config, const dist::RoleLayout& layout,
                             const std::filesystem::path& run_dir) {
  AsyncSettings a;
  a.layout = layout;
  a.peer_timeout = config.get_real("peer-timeout");
  a.queue_episodes = static_cast<int>(config.get_int("queue-episodes"));
  if (a.queue_episodes == 0) a.queue_episodes = static_cast<int>(4 * config.get_int("batch"));
  if (a.queue_episodes < config.get_int("batch")) {
    throw UserError("--queue-episodes " + std::to_string(a.queue_episodes) +
                    " is smaller than --batch " + std::to_string(config.get_int("batch")) +
                    ": a learner could never get a batch");
  }
  a.max_policy_lag = config.get_int("max-policy-lag");
  a.trajectory_fraction = config.get_real("trajectory-fraction");
  a.run_dir = run_dir;
  a.resume = !config.get_text("resume").empty();
  a.seed = static_cast<uint64_t>(config.get_int("seed"));
  a.parameter_delivery = dist::parse_delivery_path(config.get_text("parameter-delivery"));
  a.ranks_per_node = static_cast<int>(config.get_int("ranks-per-node"));
  return a;
}

// An actor's Trainer settings: --envs environments on --actor-device (a GPU picked by the rank's
// place on its node).
learn::TrainerConfig actor_config(const Config& config, learn::TrainerConfig settings, int rank,
                                  int node_rank) {
  settings.batch = static_cast<int>(config.get_int("envs"));
  settings.render_threads = std::min(settings.render_threads, settings.batch);
  settings.rank = rank;
  settings.held_out = 1;  // actors do not evaluate
  settings.device = torch::kCPU;
  if (config.get_text("actor-device") == "cuda") {
    if (!torch::cuda::is_available()) {
      throw UserError("--actor-device cuda: no CUDA device is visible to this LibTorch build");
    }
    const int gpus = static_cast<int>(torch::cuda::device_count());
    settings.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(node_rank % gpus));
  }
  return settings;
}

}  // namespace

int train(const Config& config, const dist::Communicator& world, bool* abort_on_error) {
  set_log_identity(world.rank(), "main");
  const std::string resume = config.get_text("resume");
  const bool async = config.get_text("mode") == "async";
  // What every rank checks before the ranks go their own ways; a refusal is one line from rank 0.
  render::EnvironmentSettings environment;
  learn::TrainerConfig settings;
  PopulationSettings population_setup;
  std::shared_ptr<const data::Dataset> dataset;
  size_t held_out = 0;  // images in the held-out set
  std::optional<AsyncSettings> async_options;
  check_on_every_rank(world, [&] {
    environment = render::environment_settings(config);
    settings = trainer_config(config, environment);
    learn::check_trainer_config(settings);
    population_setup = population_settings(config, world.size());
    const int members = population_setup.pbt.members;
    if (async) {  // its run folder once claimed
      async_options = async_settings(
          config, member_layout(config.get_text("layout"), world.size() / members, members), {});
    }
    dataset = data::open_dataset(config.get_text("dataset"));
    held_out = learn::held_out_images(*dataset, settings.held_out).size();
  });
  // Held until the run ends, so that no other run writes into its folder.
  std::optional<RunFolderClaim> claim;
  check_on_every_rank(world, [&] {
    claim.emplace(claim_run_folder(world, config.get_text("run-dir"), config.get_text("name"),
                                   resume.empty()));
  });
  const std::filesystem::path run_dir = claim->path();
  const std::filesystem::path metrics_path = run_dir / "metrics.h5";

  if (world.rank() == 0) {
    for (const std::string& line : run_summary(config, settings, held_out, world.size(), run_dir)) {
      log_info(line);
    }
    if (config.get_bool("echo-config")) {
      std::cout << config.to_ini("spiral train --config FILE reproduces this run") << std::flush;
    }
  }
  const int members = population_setup.pbt.members;
  // --mode async: each member of a population runs its own role layout on its consecutive ranks
  // (the whole job for a single agent); its actors play and its holders queue for it alone.
  const int member_size = world.size() / members;
  const int member_index = world.rank() / member_size;
  const dist::OwnedCommunicator member_split(async && members > 1 ? world.split(member_index)
                                                                  : MPI_COMM_NULL);
  const dist::Communicator member_world = async && members > 1 ? member_split.get() : world;
  if (async) {
    async_options->run_dir = run_dir;
    async_options->first_rank = member_index * member_size;
    if (members > 1) async_options->seed = member_seed(async_options->seed, member_index);
    if (world.rank() == 0) {
      if (members > 1) {
        log_info("--mode async, a population of ", members, " members of ", member_size,
                 " consecutive ranks (member m: ranks ", member_size, "m to ", member_size, "m + ",
                 member_size - 1, "), each with the layout ", async_options->layout.to_string(),
                 " (ranks counted from its first):");
      } else {
        log_info("--mode async, layout ", async_options->layout.to_string(), ":");
      }
      std::istringstream lines(async_options->layout.describe());
      for (std::string line; std::getline(lines, line);) log_info("  ", line);
      log_info("policy lag: ", policy_lag_text(config));
    }
  }
  // Every rank has checked that the run folder is free before rank 0 writes into it.
  world.barrier();
  *abort_on_error = async;
  const dist::Role role =
      async ? async_options->layout.role(member_world.rank()) : dist::Role::kLearner;
  // Async: the learners of every member, in the job's rank order.
  const dist::OwnedCommunicator learner_group(
      async ? world.split(role == dist::Role::kLearner ? 0 : 1) : MPI_COMM_NULL);
  const int node_rank = async ? world.node_rank() : 0;
  // The path of parameters from the member's learner 0 to its actors (async; built by every rank
  // of the member together).
  std::optional<dist::DeliveryRoute> route;
  if (async) {
    const AsyncSettings& a = *async_options;
    route.emplace(member_world, a.layout.actor_rank(0), a.parameter_delivery, a.ranks_per_node);
    if (world.rank() == 0) {
      std::string leaders;
      for (int r : route->downstream_world_ranks()) {
        leaders += (leaders.empty() ? "" : ",") + std::to_string(r);
      }
      log_info("parameters to actors: ", dist::delivery_path_name(a.parameter_delivery),
               a.parameter_delivery == dist::DeliveryPath::kTree
                   ? " (" + std::to_string(route->actor_nodes()) +
                         " node(s) with actors; leader rank(s) " + leaders +
                         (members > 1 ? " in member 0" : "") + ")"
                   : std::string(" (a copy to each actor)"));
    }
  }
  // Signals reach every rank; learners decide when the run stops and tell the others.
  SignalGuard signals;
  const bool leader = world.rank() == 0;  // writes every file and log line of the run
  if (role == dist::Role::kReplay) {
    set_log_identity(world.rank(), "replay");
    return run_replay_holder(member_world, *async_options, signals);
  }
  if (role == dist::Role::kActor) {
    set_log_identity(world.rank(), "actor");
    learn::TrainerConfig member_settings = settings;
    if (members > 1) member_settings.seed = member_seed(settings.seed, member_index);
    learn::Trainer actor(actor_config(config, member_settings, world.rank(), node_rank), dataset);
    return run_actor(member_world, *async_options, *route, actor, signals);
  }
  if (async) set_log_identity(world.rank(), "learner");
  // Every member of the population (one for a single agent) over the ranks that learn: every rank
  // in sync mode, every member's learners in async mode.
  Population population(async ? learner_group.get() : world, population_setup, settings.seed,
                        learn::HyperParameters{settings.policy_lr, settings.a2c.entropy_cost});
  const bool pbt = members > 1;
  // The ranks that learn one policy together, and the ranks that stop together.
  const dist::Communicator team = population.team();
  const dist::Communicator group = population.everyone();
  // The member's learner 0 sends its policy to the member's actors.
  const bool publisher = async && member_world.rank() == 0;
  GradientAverager averager(team, &settings);
  std::optional<GradientAverager> shared_averager;  // a shared D's, over every member's ranks
  if (pbt) {
    settings.seed = population.member_seed(settings.seed);
    const learn::HyperParameters& mine = population.hyper()[population.member()];
    settings.policy_lr = mine.policy_lr;
    settings.a2c.entropy_cost = mine.entropy_cost;
    if (population_setup.shared_discriminator) {
      learn::TrainerConfig everyone = settings;
      shared_averager.emplace(group, &everyone);
      settings.average_discriminator_gradients = everyone.average_gradients;
    }
  }
  if (!async && config.get_int("envs") != settings.batch) {
    log_info("--mode sync steps --batch (", settings.batch, ") environments; --envs is unused");
  }
  learn::Trainer trainer(settings, dataset);
  if (pbt && population_setup.shared_discriminator) population.share_discriminator(trainer);
  std::optional<LearnerLink> link;
  if (async) link.emplace(member_world, *async_options, *route);
  if (leader) {
    log_info(model::parameter_summary("policy", *trainer.policy()));
    log_info(model::parameter_summary("discriminator", *trainer.discriminator()));
    if (pbt) {
      log_info("population of ", members, " members of ", member_size, " rank(s) each, ",
               population_setup.shared_discriminator ? "one shared discriminator"
                                                     : "a discriminator each",
               ", PBT every ", population_setup.interval, " updates",
               async ? " among the " + std::to_string(team.size()) + " learner(s) of each member"
                     : std::string());
      for (int m = 0; m < population.members(); ++m) {
        log_info("  member ", m, ": policy lr ", population.hyper()[m].policy_lr, ", entropy cost ",
                 population.hyper()[m].entropy_cost);
      }
    }
  }
  std::optional<std::filesystem::path> resume_from;
  if (resume == "auto") {
    resume_from = learn::newest_valid_checkpoint(run_dir);
    if (!resume_from && std::filesystem::exists(metrics_path)) {
      throw UserError("--resume auto: " + (run_dir / "checkpoints").string() +
                      " holds no valid checkpoint to continue " + metrics_path.string() + " from");
    }
    if (!resume_from) log_info("--resume auto: no checkpoint in ", run_dir.string(), ", fresh run");
  } else if (!resume.empty()) {
    resume_from = resume;
  }
  learn::CheckpointCounters counters;
  if (resume_from) {
    const learn::CheckpointFile checkpoint(*resume_from);
    const std::string layout =
        "members=" + std::to_string(members) + " ranks=" + std::to_string(world.size());
    if (checkpoint.has_population() != pbt) {
      throw UserError(resume_from->string() + " is a checkpoint of " +
                      (pbt ? std::string("a single agent") : std::string("a population")) +
                      ", this run has --population " + std::to_string(members));
    }
    if (pbt && checkpoint.population_part("layout") != layout) {
      throw UserError(resume_from->string() + " holds a population laid out as " +
                      checkpoint.population_part("layout") + ", this run's is " + layout +
                      " (resume a population on as many ranks)");
    }
    counters = checkpoint.load_trainer(trainer, team.rank());
    if (pbt) {
      population.restore(checkpoint.population_part("pbt"));
      if (group.rank() > 0)
        checkpoint.load_member_rank(trainer, "rank_" + std::to_string(group.rank()));
      const learn::HyperParameters& mine = population.hyper()[population.member()];
      trainer.set_hyper_parameters(mine.policy_lr, mine.entropy_cost);
    }
    if (checkpoint.header().ranks != team.size()) {
      if (leader) {
        log_warning(resume_from->string(), " holds the random streams of ",
                    checkpoint.header().ranks, " learning rank(s), this run has ", team.size(),
                    ": it goes on, but not exactly as an uninterrupted run would");
      }
      if (team.rank() >= checkpoint.header().ranks) {
        trainer.reseed(settings.seed ^ static_cast<uint64_t>(counters.step) << 20);
      }
    }
    log_info("resumed from ", resume_from->string(), " at step ", counters.step, ", ",
             counters.frames, " frames");
  }

  std::optional<MetricsFile> metrics;
  std::optional<PopulationFile> population_file;
  const bool conditional = settings.conditional;
  if (leader) {
    std::filesystem::create_directories(run_dir / "images");
    metrics = resume_from && std::filesystem::exists(metrics_path)
                  ? reopen_metrics(metrics_path, counters.step, members)
                  : create_metrics(metrics_path, members);
    metrics->file.start_swmr_write();
    if (pbt) {
      const std::filesystem::path path = run_dir / "population.h5";
      population_file =
          resume_from && std::filesystem::exists(path)
              ? PopulationFile::reopen(path, counters.step)
              : PopulationFile::create(
                    path, members, population_setup.interval, population_setup.shared_discriminator,
                    conditional ? "held_out_mse: held-out reconstruction MSE, lower is better"
                                : "discriminator_score: mean D score of the member's held-out "
                                  "samples, higher is better",
                    population.hyper());
      population_file->start_swmr_write();
    }
    // Last, so that a resume refused by its files leaves the configuration it had. The heading
    // --print-config writes, so that the file and its re-read compare equal.
    write_file_atomically((run_dir / "config.cfg").string(),
                          config.to_ini("spiral train --config FILE reads this"));
  }

  const Budget budget = budget_of(config);
  const int64_t eval_every = config.get_int("eval-every");
  const int64_t images_every = config.get_int("images-every");
  const double progress_every = config.get_real("progress-every");
  const double checkpoint_every = config.get_real("checkpoint-every") * 60;
  const int keep_checkpoints = static_cast<int>(config.get_int("keep-checkpoints"));
  const int64_t max_skipped = config.get_int("max-skipped-updates");
  const bool checkpoint_replay = config.get_bool("checkpoint-replay");
  const bool linear_lr_decay = config.get_text("policy-lr-decay") == "linear";
  double lr_scale = 1;  // of the policy's learning rate, for --policy-lr-decay
  const std::string config_ini = config.to_ini("spiral train --config FILE reads this");
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  // The actors start acting while learner 0 evaluates.
  if (publisher) link->publish(trainer.policy(), counters.step);

  // A resumed run skips the start evaluation, so that it draws the same random numbers as a run
  // that was never interrupted.
  learn::HeldOutResult held;
  held.mse = held.blank_mse = std::numeric_limits<double>::quiet_NaN();
  // Each member's first rank evaluates its member and sends the member's rows to rank 0.
  const bool member_leader = team.rank() == 0;
  if (!resume_from && member_leader) {
    held = trainer.held_out();
    if (leader && conditional) {
      log_info("held-out MSE at start ", held.mse, " (blank canvas ", held.blank_mse, ")");
    } else if (leader) {
      log_info("samples at start: ", sample_text(held));
    }
  }
  learn::HeldOutResult last_held = held;
  int64_t grid_step = -1;  // the update of the last grid this start wrote
  int64_t step = counters.step;
  int64_t frames = counters.frames;
  const double wall_offset = counters.wall_time;
  double last_progress = 0;
  double last_step_seconds = 0;
  double last_checkpoint = 0;
  StopReason reason = StopReason::kFrames;
  int64_t skipped_in_a_row = 0;
  bool diverged = false;
  // Collective: rank 0 writes every rank's state.
  const auto write_checkpoint = [&] {
    std::vector<std::string> other_ranks =
        team.gather(member_leader ? std::string() : learn::rank_state(trainer, checkpoint_replay));
    // A population's every other rank, whole: its member's networks and its own streams.
    std::vector<std::string> member_ranks;
    if (pbt) {
      member_ranks = group.gather(leader ? std::string()
                                         : learn::member_rank_state(trainer, checkpoint_replay));
    }
    if (!leader) return;
    other_ranks.erase(other_ranks.begin());
    std::vector<std::pair<std::string, std::string>> population_parts;
    if (pbt) {
      population_parts.emplace_back("layout", "members=" + std::to_string(members) +
                                                  " ranks=" + std::to_string(world.size()));
      population_parts.emplace_back("pbt", population.state());
      for (size_t r = 1; r < member_ranks.size(); ++r) {
        population_parts.emplace_back("rank_" + std::to_string(r), std::move(member_ranks[r]));
      }
    }
    const std::filesystem::path path = learn::checkpoint_path(run_dir, step);
    try {
      learn::save_checkpoint(path, trainer, {step, frames, wall_offset + elapsed()}, config_ini,
                             checkpoint_replay, other_ranks, population_parts);
    } catch (const std::exception& error) {
      throw std::runtime_error("checkpoint of update " + std::to_string(step) +
                               " not written: " + error.what() + "; the newest checkpoint is " +
                               newest_checkpoint_name(run_dir));
    }
    for (const std::filesystem::path& old : learn::prune_checkpoints(run_dir, keep_checkpoints)) {
      log_debug("removed ", old.string());
    }
    log_info("checkpoint ", path.string(), " (step ", step, ", ", frames, " frames)");
    last_checkpoint = elapsed();
  };
  // Stops every member's actors and holders; rank 0 writes every rank's report.
  const auto finish_roles = [&](int exit_code) {
    std::vector<RoleReport> reports = link->finish(exit_code);
    if (pbt) reports = gather_reports(group, reports);
    if (leader) write_role_reports(run_dir / "roles.h5", reports);
  };
  while (frames < budget.frames) {
    // Every rank stops at the same update: when any of them was signalled, has reached the
    // duration or would pass the time limit during the next update; rank 0's clock says when to
    // checkpoint.
    const bool signalled = signals.received() != 0 || (link && link->forwarded_signal() != 0);
    double due[] = {signalled ? 1.0 : 0.0,
                    limit_due(budget.duration, wall_offset + elapsed(), 0) ? 1.0 : 0.0,
                    limit_due(budget.time_limit, elapsed(), last_step_seconds) ? 1.0 : 0.0,
                    leader && checkpoint_every > 0 && step > counters.step &&
                            elapsed() - last_checkpoint >= checkpoint_every
                        ? 1.0
                        : 0.0,
                    skipped_in_a_row >= max_skipped ? 1.0 : 0.0,
                    leader ? budget_spent(budget, frames, wall_offset + elapsed()) : 0.0};
    group.allreduce_sum(due, 6);
    if (due[0] > 0 || due[1] > 0 || due[2] > 0) {
      reason = due[0] > 0   ? StopReason::kSignal
               : due[1] > 0 ? StopReason::kDuration
                            : StopReason::kTimeLimit;
      break;
    }
    if (due[3] > 0) write_checkpoint();
    if (linear_lr_decay) {
      lr_scale = std::max(0.0, 1.0 - due[5]);
      trainer.set_lr_scale(lr_scale);
    }
    if (due[4] > 0) {  // a member diverged: the whole run stops
      diverged = true;
      break;
    }
    const double step_start = elapsed();
    const learn::TrainStepStats stats =
        link ? trainer.learn(link->next_batch(trainer, settings.batch, step))
             : trainer.train_step();
    ++step;
    if (publisher) link->publish(trainer.policy(), step);
    frames += stats.frames * group.size();
    // Skip decisions come from averaged gradients: every rank makes the same ones.
    const int64_t skipped = (stats.policy_skipped ? 1 : 0) + (stats.discriminator_skipped ? 2 : 0);
    skipped_in_a_row = skipped != 0 ? skipped_in_a_row + 1 : 0;
    if (skipped != 0 && leader) {
      log_warning("update ", step, ": NaN or infinite gradient of the ",
                  skipped == 1   ? "policy"
                  : skipped == 2 ? "discriminator"
                                 : "policy and the discriminator",
                  ", not applied (", skipped_in_a_row, " in a row)");
    }
    double mse = std::numeric_limits<double>::quiet_NaN();
    const bool last = frames >= budget.frames;
    if (team.size() > 1 && step % eval_every == 0) check_ranks_agree(team, trainer, step);
    const bool pbt_due = pbt && step % population_setup.interval == 0;
    if (!member_leader && !pbt) continue;
    // The member's row of metrics (its first rank's), and its fitness when PBT ranks it.
    std::vector<double> row;
    double fitness = std::numeric_limits<double>::quiet_NaN();
    double now = 0;
    FlowStats flow;
    double produced = 0;
    if (member_leader) {
      if (step % eval_every == 0 || step % images_every == 0 || last || pbt_due) {
        held = trainer.held_out();
        mse = held.mse;
        last_held = held;
        if (leader && (step % images_every == 0 || last)) {
          write_grid(run_dir, step, held);
          grid_step = step;
        }
        if (pbt_due) fitness = conditional ? held.mse : trainer.sample_score(held);
      }
      now = elapsed();
      last_step_seconds = now - step_start;
      // Sync mode learns from all it plays at once: nothing queued, no lag, no waiting.
      if (link) flow = link->stats();
      produced = link ? static_cast<double>(flow.holders.received * (stats.frames / settings.batch))
                      : static_cast<double>(frames);
      row = {static_cast<double>(step),
             static_cast<double>(frames),
             wall_offset + now,
             stats.policy_loss,
             stats.value_loss,
             stats.entropy,
             stats.reward,
             stats.discriminator_loss,
             stats.grad_norm,
             mse,
             static_cast<double>(skipped),
             produced,
             static_cast<double>(flow.holders.queued),
             static_cast<double>(flow.holders.dropped),
             flow.lag_mean,
             static_cast<double>(flow.lag_max),
             flow.wait_seconds,
             static_cast<double>(flow.bytes_received)};
      if (pbt) {
        const learn::HyperParameters& mine = population.hyper()[population.member()];
        row.push_back(mine.policy_lr);
        row.push_back(mine.entropy_cost);
      }
    }
    std::vector<std::vector<double>> rows = {row};
    std::vector<learn::PbtEvent> events;
    if (pbt) {
      rows = population.gather_rows(row);
      if (pbt_due) events = population.round(trainer, fitness, conditional);
    }
    if (!leader) continue;
    for (size_t m = 0; m < rows.size(); ++m) append_row(*metrics, rows[m], static_cast<int>(m));
    if (pbt_due) {
      population_file->append(step, events);
      for (const learn::PbtEvent& e : events) {
        log_info("PBT after update ", step, ": member ", e.member, " (fitness ", e.member_fitness,
                 ") copies member ", e.source, " (fitness ", e.source_fitness, "): policy lr ",
                 e.before.policy_lr, " -> ", e.after.policy_lr, ", entropy cost ",
                 e.before.entropy_cost, " -> ", e.after.entropy_cost);
      }
    }
    if (now - last_progress >= progress_every || last) {
      last_progress = now;
      // This process's rate: frames of earlier parts of a resumed run do not count.
      const double fps = static_cast<double>(frames - counters.frames) / std::max(now, 1e-9);
      const double eta = seconds_to_end(budget, frames, fps, wall_offset + now, now);
      std::string flow_part;  // where an asynchronous run's time goes
      if (link) {
        std::ostringstream part;
        part.precision(3);
        part << " | produced " << static_cast<int64_t>(produced) << " queue " << flow.holders.queued
             << " lag " << flow.lag_mean << " waiting "
             << static_cast<int64_t>(100 * flow.total_wait_seconds / std::max(now, 1e-9)) << "%";
        flow_part = part.str();
      }
      std::ostringstream lr_part;  // the decaying rate, when it decays
      if (linear_lr_decay) lr_part << " policy_lr " << trainer.config().policy_lr * lr_scale;
      std::ostringstream discriminator_part;  // none when the reward trains no D
      if (!std::isnan(stats.discriminator_loss)) {
        discriminator_part << " D_loss " << stats.discriminator_loss;
      }
      log_info("frames ", frames, " frames/s ", static_cast<int64_t>(fps + 0.5), " policy_loss ",
               stats.policy_loss, " value_loss ", stats.value_loss, " entropy ", stats.entropy,
               lr_part.str(), discriminator_part.str(), " reward ", stats.reward,
               progress_quality(conditional, last_held), " elapsed ", format_duration(now), " ETA ",
               format_duration(eta), flow_part);
    }
  }
  if (!diverged) {  // the last update may have been the last of too many skipped in a row
    double late = skipped_in_a_row >= max_skipped ? 1.0 : 0.0;
    group.allreduce_sum(&late, 1);
    diverged = late > 0;
  }
  if (diverged) {
    // The networks are as after the last applied update, but that state produced nothing else:
    // the checkpoints on disk stay the newest.
    log_error(skipped_in_a_row, " updates in a row had NaN or infinite gradients (see ",
              metrics_path.string(), ", column skipped): stopped after ", frames,
              " frames without a new checkpoint; the newest is ", newest_checkpoint_name(run_dir),
              " (try a lower learning rate or --grad-clip)");
    if (link) finish_roles(kDivergedExitCode);
    return kDivergedExitCode;
  }
  // The final checkpoint comes before any further evaluation, so that resuming from it draws the
  // same random numbers as going on would have.
  write_checkpoint();
  // A rank stopped by another rank's signal exits as if it had been sent SIGTERM itself (learner 0
  // knows the signal of an actor or replay holder).
  const int forwarded = link ? link->forwarded_signal() : 0;
  const int stop_signal = reason != StopReason::kSignal ? 0
                          : signals.received() != 0     ? signals.received()
                          : forwarded != 0              ? forwarded
                                                        : SIGTERM;
  // Unless a signal asks for a quick exit, the run ends evaluated, with a grid of its last update.
  if (reason != StopReason::kSignal && leader && grid_step != step) {
    held = trainer.held_out();
    write_grid(run_dir, step, held);
  }
  const int exit_code = stop_exit_code(reason, stop_signal);
  if (link) {
    finish_roles(exit_code);
  } else {
    // Every rank acted and learnt: one report each, in roles.h5 as in async mode.
    RoleReport report;
    report.rank = world.rank();
    report.role = static_cast<int32_t>(dist::Role::kLearner);
    report.episodes = (step - counters.step) * settings.batch;
    report.frames = (frames - counters.frames) / group.size();
    report.seconds = elapsed();
    report.peak_rss_mb = peak_rss_mb();
    const std::vector<RoleReport> reports = gather_reports(group, {report});
    if (leader) write_role_reports(run_dir / "roles.h5", reports);
  }
  // The last lines: why the run stopped, what it did, and where its pictures are.
  log_info(stop_message(reason, stop_signal, budget, frames));
  std::ostringstream outcome;  // the last evaluation
  if (conditional) {
    outcome << "held-out MSE " << held.mse << " (blank canvas " << held.blank_mse << ")";
  } else {
    outcome << "samples " << sample_text(held);
  }
  log_info("done: ", step, " updates, ", frames, " frames in ", format_duration(elapsed()), "; ",
           outcome.str(), "; files in ", run_dir.string());
  if (leader) {
    const std::optional<std::filesystem::path> grid = newest_grid(run_dir, step);
    log_info(grid ? "newest image grid: " + grid->string()
                  : std::string("no image grid yet (one every --images-every updates and at the "
                                "end of a run)"));
  }
  return exit_code;
}

}  // namespace spiral::run
