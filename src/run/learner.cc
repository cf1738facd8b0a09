#include "spiral/run/learner.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/logging.h"
#include "spiral/core/signals.h"
#include "spiral/dist/layout.h"
#include "spiral/learn/checkpoint.h"
#include "spiral/learn/rollout.h"
#include "spiral/learn/trainer.h"
#include "spiral/model/discriminator.h"
#include "spiral/run/async_learner.h"
#include "spiral/run/budget.h"
#include "spiral/run/data_parallel.h"
#include "spiral/run/metrics_file.h"
#include "spiral/run/population.h"
#include "spiral/run/population_file.h"
#include "spiral/run/report.h"

namespace spiral::run {
namespace {

// Exit code of a run stopped by --max-skipped-updates non-finite updates in a row (diverged).
constexpr int kDivergedExitCode = 4;

// How often a learning run evaluates, reports and checkpoints, from its options.
struct Schedule {
  explicit Schedule(const Config& config);

  Budget budget;
  int64_t eval_every;
  int64_t images_every;
  double progress_every;    // s
  double checkpoint_every;  // s (0: only at the end)
  int keep_checkpoints;
  int64_t max_skipped;  // non-finite updates in a row that end the run
  bool checkpoint_replay;
  bool linear_lr_decay;
};

Schedule::Schedule(const Config& config)
    : budget(budget_of(config)),
      eval_every(config.get_int("eval-every")),
      images_every(config.get_int("images-every")),
      progress_every(config.get_real("progress-every")),
      checkpoint_every(config.get_real("checkpoint-every") * 60),
      keep_checkpoints(static_cast<int>(config.get_int("keep-checkpoints"))),
      max_skipped(config.get_int("max-skipped-updates")),
      checkpoint_replay(config.get_bool("checkpoint-replay")),
      linear_lr_decay(config.get_text("policy-lr-decay") == "linear") {}

// What one update did, for the metrics and the progress line.
struct UpdateRecord {
  learn::TrainStepStats stats;
  int64_t skipped = 0;  // 1: the policy's update, 2: D's, 3: both were not applied
  double started = 0;   // s into this start
};

// A learning rank's run: the member it trains in, its trainer and files, and the training loop.
class LearnerRun {
 public:
  LearnerRun(const Config& config, RunPlan& plan, const Membership& member, const Roles& roles,
             const dist::Communicator& world, const std::filesystem::path& run_dir,
             const SignalGuard& signals);

  // Trains until the budget, a signal or divergence stops the run; returns the exit code.
  int run();

 private:
  void set_up_member();
  void log_networks();
  void resume();
  void load_checkpoint(const std::filesystem::path& path);
  void open_files();
  void evaluate_at_start();
  void evaluate();
  bool stop_due();
  UpdateRecord apply_update();
  void record(const UpdateRecord& update);
  std::vector<double> member_row(const UpdateRecord& update, double mse, double now,
                                 double produced) const;
  void log_progress(const UpdateRecord& update, double now, double produced);
  void write_checkpoint();
  void finish_roles(int exit_code);
  bool diverged_after_loop();
  int end_diverged();
  int end();
  void report_sync_roles();
  double elapsed() const;

  const Config& config_;
  learn::TrainerConfig& settings_;
  const RunPlan& plan_;
  const Membership& member_;
  const dist::Communicator world_;
  const std::filesystem::path run_dir_;
  const std::filesystem::path metrics_path_;
  const SignalGuard& signals_;
  const bool async_;
  const bool leader_;  // writes every file and log line of the run
  const bool pbt_;
  Population population_;
  const dist::Communicator team_;   // the ranks that learn one policy together
  const dist::Communicator group_;  // the ranks that stop together
  const bool publisher_;      // the member's learner 0 sends its policy to the member's actors
  const bool member_leader_;  // evaluates its member and sends the member's rows to rank 0
  GradientAverager averager_;
  std::optional<GradientAverager> shared_averager_;  // a shared D's, over every member's ranks
  std::optional<learn::Trainer> trainer_;
  std::optional<LearnerLink> link_;
  std::optional<std::filesystem::path> resume_from_;
  learn::CheckpointCounters counters_;
  std::optional<MetricsFile> metrics_;
  std::optional<PopulationFile> population_file_;
  Schedule schedule_;
  std::string config_ini_;
  std::chrono::steady_clock::time_point start_;
  // The loop's state.
  double lr_scale_ = 1;  // of the policy's learning rate, for --policy-lr-decay
  learn::HeldOutResult held_;
  learn::HeldOutResult last_held_;
  std::string recognition_;  // --classifier on held_'s samples: " digits confident ..." or ""
  int64_t grid_step_ = -1;   // the update of the last grid this start wrote
  int64_t step_ = 0;
  int64_t frames_ = 0;
  double wall_offset_ = 0;
  double last_progress_ = 0;
  double last_step_seconds_ = 0;
  double last_checkpoint_ = 0;
  StopReason reason_ = StopReason::kFrames;
  int64_t skipped_in_a_row_ = 0;
  bool diverged_ = false;
};

LearnerRun::LearnerRun(const Config& config, RunPlan& plan, const Membership& member,
                       const Roles& roles, const dist::Communicator& world,
                       const std::filesystem::path& run_dir, const SignalGuard& signals)
    : config_(config),
      settings_(plan.settings),
      plan_(plan),
      member_(member),
      world_(world),
      run_dir_(run_dir),
      metrics_path_(run_dir / "metrics.h5"),
      signals_(signals),
      async_(plan.async),
      leader_(world.rank() == 0),
      pbt_(member.members > 1),
      population_(async_ ? roles.learner_group.get() : world, plan.population, settings_.seed,
                  learn::HyperParameters{settings_.policy_lr, settings_.a2c.entropy_cost}),
      team_(population_.team()),
      group_(population_.everyone()),
      publisher_(async_ && member.world.rank() == 0),
      member_leader_(team_.rank() == 0),
      averager_(team_, &settings_),
      schedule_(config) {
  set_up_member();
  if (!async_ && config.get_int("envs") != settings_.batch) {
    log_info("--mode sync steps --batch (", settings_.batch, ") environments; --envs is unused");
  }
  trainer_.emplace(settings_, plan.dataset);
  if (pbt_ && plan.population.shared_discriminator) population_.share_discriminator(*trainer_);
  if (async_) link_.emplace(member.world, *plan.async_settings, *roles.route);
  if (leader_) log_networks();
  resume();
  open_files();
  config_ini_ = config.to_ini("spiral train --config FILE reads this");
  step_ = counters_.step;
  frames_ = counters_.frames;
  wall_offset_ = counters_.wall_time;
  held_.mse = held_.blank_mse = std::numeric_limits<double>::quiet_NaN();
  start_ = std::chrono::steady_clock::now();
}

// A population member's seed and hyperparameters, and its share of a shared D's gradients.
void LearnerRun::set_up_member() {
  if (!pbt_) return;
  settings_.seed = population_.member_seed(settings_.seed);
  const learn::HyperParameters& mine = population_.hyper()[population_.member()];
  settings_.policy_lr = mine.policy_lr;
  settings_.a2c.entropy_cost = mine.entropy_cost;
  if (plan_.population.shared_discriminator) {
    learn::TrainerConfig everyone = settings_;
    shared_averager_.emplace(group_, &everyone);
    settings_.average_discriminator_gradients = everyone.average_gradients;
  }
}

// Rank 0's lines on the networks and the population.
void LearnerRun::log_networks() {
  log_info(model::parameter_summary("policy", *trainer_->policy()));
  log_info(model::parameter_summary("discriminator", *trainer_->discriminator()));
  if (!pbt_) return;
  const PopulationSettings& setup = plan_.population;
  log_info("population of ", member_.members, " members of ", member_.size, " rank(s) each, ",
           setup.shared_discriminator ? "one shared discriminator" : "a discriminator each",
           ", PBT every ", setup.interval, " updates",
           async_ ? " among the " + std::to_string(team_.size()) + " learner(s) of each member"
                  : std::string());
  for (int m = 0; m < population_.members(); ++m) {
    log_info("  member ", m, ": policy lr ", population_.hyper()[m].policy_lr, ", entropy cost ",
             population_.hyper()[m].entropy_cost);
  }
}

// Picks the checkpoint --resume names (auto: the newest valid one, if any) and loads it.
void LearnerRun::resume() {
  const std::string resume = config_.get_text("resume");
  if (resume == "auto") {
    resume_from_ = learn::newest_valid_checkpoint(run_dir_);
    if (!resume_from_ && std::filesystem::exists(metrics_path_)) {
      throw UserError("--resume auto: " + (run_dir_ / "checkpoints").string() +
                      " holds no valid checkpoint to continue " + metrics_path_.string() + " from");
    }
    if (!resume_from_)
      log_info("--resume auto: no checkpoint in ", run_dir_.string(), ", fresh run");
  } else if (!resume.empty()) {
    resume_from_ = resume;
  }
  if (resume_from_) load_checkpoint(*resume_from_);
}

// Loads this rank's state (its member's, in a population) from the checkpoint at `path`.
void LearnerRun::load_checkpoint(const std::filesystem::path& path) {
  const learn::CheckpointFile checkpoint(path);
  const std::string layout =
      "members=" + std::to_string(member_.members) + " ranks=" + std::to_string(world_.size());
  if (checkpoint.has_population() != pbt_) {
    throw UserError(path.string() + " is a checkpoint of " +
                    (pbt_ ? std::string("a single agent") : std::string("a population")) +
                    ", this run has --population " + std::to_string(member_.members));
  }
  if (pbt_ && checkpoint.population_part("layout") != layout) {
    throw UserError(path.string() + " holds a population laid out as " +
                    checkpoint.population_part("layout") + ", this run's is " + layout +
                    " (resume a population on as many ranks)");
  }
  counters_ = checkpoint.load_trainer(*trainer_, team_.rank());
  if (pbt_) {
    population_.restore(checkpoint.population_part("pbt"));
    if (group_.rank() > 0) {
      checkpoint.load_member_rank(*trainer_, "rank_" + std::to_string(group_.rank()));
    }
    const learn::HyperParameters& mine = population_.hyper()[population_.member()];
    trainer_->set_hyper_parameters(mine.policy_lr, mine.entropy_cost);
  }
  if (checkpoint.header().ranks != team_.size()) {
    if (leader_) {
      log_warning(path.string(), " holds the random streams of ", checkpoint.header().ranks,
                  " learning rank(s), this run has ", team_.size(),
                  ": it goes on, but not exactly as an uninterrupted run would");
    }
    if (team_.rank() >= checkpoint.header().ranks) {
      trainer_->reseed(settings_.seed ^ static_cast<uint64_t>(counters_.step) << 20);
    }
  }
  log_info("resumed from ", path.string(), " at step ", counters_.step, ", ", counters_.frames,
           " frames");
}

// Rank 0 opens (or reopens, on resume) metrics.h5 and population.h5, then writes config.cfg.
void LearnerRun::open_files() {
  if (!leader_) return;
  const int members = member_.members;
  std::filesystem::create_directories(run_dir_ / "images");
  metrics_ = resume_from_ && std::filesystem::exists(metrics_path_)
                 ? reopen_metrics(metrics_path_, counters_.step, members)
                 : create_metrics(metrics_path_, members);
  metrics_->file.start_swmr_write();
  if (pbt_) {
    const std::filesystem::path path = run_dir_ / "population.h5";
    const PopulationSettings& setup = plan_.population;
    population_file_ = resume_from_ && std::filesystem::exists(path)
                           ? PopulationFile::reopen(path, counters_.step)
                           : PopulationFile::create(
                                 path, members, setup.interval, setup.shared_discriminator,
                                 settings_.conditional
                                     ? "held_out_mse: held-out reconstruction MSE, lower is better"
                                     : "discriminator_score: mean D score of the member's held-out "
                                       "samples, higher is better",
                                 population_.hyper());
    population_file_->start_swmr_write();
  }
  // Last, so that a resume refused by its files leaves the configuration it had. The heading
  // --print-config writes, so that the file and its re-read compare equal.
  write_file_atomically((run_dir_ / "config.cfg").string(),
                        config_.to_ini("spiral train --config FILE reads this"));
}

double LearnerRun::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

// A resumed run skips the start evaluation, so that it draws the same random numbers as a run
// that was never interrupted.
void LearnerRun::evaluate_at_start() {
  if (leader_ && plan_.digits) {
    // The two ends of the classifier's scale, on as many images as an evaluation paints.
    const int count = static_cast<int>(plan_.held_out);
    log_info("classifier ", plan_.digits->path(), " on ", count,
             " held-out digits: ", recognition_text(plan_.digits->held_out_row()), "; on ", count,
             " random programs: ",
             recognition_text(plan_.digits->score(
                 "random programs", "random",
                 random_program_canvases(settings_.environment, count, settings_.seed,
                                         settings_.render_threads))));
  }
  if (!resume_from_ && member_leader_) {
    evaluate();
    if (leader_ && settings_.conditional) {
      log_info("held-out MSE at start ", mse_beside_start(held_));
    } else if (leader_) {
      log_info("samples at start: ", sample_text(held_), recognition_);
    }
  }
  last_held_ = held_;
}

// The held-out evaluation, and what the classifier recognises in its samples.
void LearnerRun::evaluate() {
  held_ = trainer_->held_out();
  if (!leader_ || !plan_.digits) return;
  recognition_ = " digits " + recognition_text(plan_.digits->score(
                                  "samples", "samples", learn::images_to_tensor(held_.renders)));
}

// Whether the run stops before the next update. Every rank stops at the same update: when any of
// them was signalled, has reached the duration or would pass the time limit during the next
// update; rank 0's clock says when to checkpoint (done here) and how far the budget is spent (for
// --policy-lr-decay). A member that diverged stops the whole run. Collective.
bool LearnerRun::stop_due() {
  const Budget& budget = schedule_.budget;
  const bool signalled = signals_.received() != 0 || (link_ && link_->forwarded_signal() != 0);
  double due[] = {signalled ? 1.0 : 0.0,
                  limit_due(budget.duration, wall_offset_ + elapsed(), 0) ? 1.0 : 0.0,
                  limit_due(budget.time_limit, elapsed(), last_step_seconds_) ? 1.0 : 0.0,
                  leader_ && schedule_.checkpoint_every > 0 && step_ > counters_.step &&
                          elapsed() - last_checkpoint_ >= schedule_.checkpoint_every
                      ? 1.0
                      : 0.0,
                  skipped_in_a_row_ >= schedule_.max_skipped ? 1.0 : 0.0,
                  leader_ ? budget_spent(budget, frames_, wall_offset_ + elapsed()) : 0.0};
  group_.allreduce_sum(due, 6);
  if (due[0] > 0 || due[1] > 0 || due[2] > 0) {
    reason_ = due[0] > 0   ? StopReason::kSignal
              : due[1] > 0 ? StopReason::kDuration
                           : StopReason::kTimeLimit;
    return true;
  }
  if (due[3] > 0) write_checkpoint();
  if (schedule_.linear_lr_decay) {
    lr_scale_ = std::max(0.0, 1.0 - due[5]);
    trainer_->set_lr_scale(lr_scale_);
  }
  diverged_ = due[4] > 0;
  return diverged_;
}

// One policy (and D) update from this rank's own episodes (sync) or a batch from the replay
// holders (async); the member's learner 0 publishes the new policy.
UpdateRecord LearnerRun::apply_update() {
  UpdateRecord update;
  update.started = elapsed();
  update.stats = link_ ? trainer_->learn(link_->next_batch(*trainer_, settings_.batch, step_))
                       : trainer_->train_step();
  ++step_;
  if (publisher_) link_->publish(trainer_->policy(), step_);
  frames_ += update.stats.frames * group_.size();
  // Skip decisions come from averaged gradients: every rank makes the same ones.
  update.skipped =
      (update.stats.policy_skipped ? 1 : 0) + (update.stats.discriminator_skipped ? 2 : 0);
  skipped_in_a_row_ = update.skipped != 0 ? skipped_in_a_row_ + 1 : 0;
  if (update.skipped != 0 && leader_) {
    log_warning("update ", step_, ": NaN or infinite gradient of the ",
                update.skipped == 1   ? "policy"
                : update.skipped == 2 ? "discriminator"
                                      : "policy and the discriminator",
                ", not applied (", skipped_in_a_row_, " in a row)");
  }
  return update;
}

// The member's row of metrics.h5 after `update`.
std::vector<double> LearnerRun::member_row(const UpdateRecord& update, double mse, double now,
                                           double produced) const {
  const learn::TrainStepStats& stats = update.stats;
  const FlowStats flow = link_ ? link_->stats() : FlowStats{};
  std::vector<double> row = {static_cast<double>(step_),
                             static_cast<double>(frames_),
                             wall_offset_ + now,
                             stats.policy_loss,
                             stats.value_loss,
                             stats.entropy,
                             stats.reward,
                             stats.discriminator_loss,
                             stats.grad_norm,
                             mse,
                             static_cast<double>(update.skipped),
                             produced,
                             static_cast<double>(flow.holders.queued),
                             static_cast<double>(flow.holders.dropped),
                             flow.lag_mean,
                             static_cast<double>(flow.lag_max),
                             flow.wait_seconds,
                             static_cast<double>(flow.bytes_received)};
  if (pbt_) {
    const learn::HyperParameters& mine = population_.hyper()[population_.member()];
    row.push_back(mine.policy_lr);
    row.push_back(mine.entropy_cost);
  }
  return row;
}

// After an update: evaluation and image grids when due, the rows of metrics.h5, a PBT round when
// due, and the progress line.
void LearnerRun::record(const UpdateRecord& update) {
  double mse = std::numeric_limits<double>::quiet_NaN();
  const bool last = frames_ >= schedule_.budget.frames;
  if (team_.size() > 1 && step_ % schedule_.eval_every == 0) {
    check_ranks_agree(team_, *trainer_, step_);
  }
  const bool pbt_due = pbt_ && step_ % plan_.population.interval == 0;
  if (!member_leader_ && !pbt_) return;
  std::vector<double> row;
  double fitness = std::numeric_limits<double>::quiet_NaN();  // when PBT ranks the member
  double now = 0;
  double produced = 0;
  if (member_leader_) {
    if (step_ % schedule_.eval_every == 0 || step_ % schedule_.images_every == 0 || last ||
        pbt_due) {
      evaluate();
      mse = held_.mse;
      last_held_ = held_;
      if (leader_ && (step_ % schedule_.images_every == 0 || last)) {
        write_grid(run_dir_, step_, held_);
        grid_step_ = step_;
      }
      if (pbt_due) fitness = settings_.conditional ? held_.mse : trainer_->sample_score(held_);
    }
    now = elapsed();
    last_step_seconds_ = now - update.started;
    // Sync mode learns from all it plays at once: nothing queued, no lag, no waiting.
    produced = link_ ? static_cast<double>(link_->stats().holders.received *
                                           (update.stats.frames / settings_.batch))
                     : static_cast<double>(frames_);
    row = member_row(update, mse, now, produced);
  }
  std::vector<std::vector<double>> rows = {row};
  std::vector<learn::PbtEvent> events;
  if (pbt_) {
    rows = population_.gather_rows(row);
    if (pbt_due) events = population_.round(*trainer_, fitness, settings_.conditional);
  }
  if (!leader_) return;
  for (size_t m = 0; m < rows.size(); ++m) append_row(*metrics_, rows[m], static_cast<int>(m));
  if (pbt_due) {
    population_file_->append(step_, events);
    for (const learn::PbtEvent& e : events) {
      log_info("PBT after update ", step_, ": member ", e.member, " (fitness ", e.member_fitness,
               ") copies member ", e.source, " (fitness ", e.source_fitness, "): policy lr ",
               e.before.policy_lr, " -> ", e.after.policy_lr, ", entropy cost ",
               e.before.entropy_cost, " -> ", e.after.entropy_cost);
    }
  }
  if (now - last_progress_ >= schedule_.progress_every || last) log_progress(update, now, produced);
}

// Rank 0's progress line.
void LearnerRun::log_progress(const UpdateRecord& update, double now, double produced) {
  last_progress_ = now;
  Progress progress;
  progress.frames = frames_;
  // This process's rate: frames of earlier parts of a resumed run do not count.
  progress.fps = static_cast<double>(frames_ - counters_.frames) / std::max(now, 1e-9);
  progress.stats = update.stats;
  progress.policy_lr = schedule_.linear_lr_decay ? trainer_->config().policy_lr * lr_scale_
                                                 : std::numeric_limits<double>::quiet_NaN();
  progress.conditional = settings_.conditional;
  progress.held = last_held_;
  progress.recognition = recognition_;
  progress.elapsed = now;
  progress.eta = seconds_to_end(schedule_.budget, frames_, progress.fps, wall_offset_ + now, now);
  if (link_) progress.flow = &link_->stats();
  progress.produced = produced;
  log_info(progress_line(progress));
}

// Writes the run's checkpoint of this update: rank 0 writes every rank's state. Collective.
void LearnerRun::write_checkpoint() {
  std::vector<std::string> other_ranks = team_.gather(
      member_leader_ ? std::string() : learn::rank_state(*trainer_, schedule_.checkpoint_replay));
  // A population's every other rank, whole: its member's networks and its own streams.
  std::vector<std::string> member_ranks;
  if (pbt_) {
    member_ranks = group_.gather(
        leader_ ? std::string() : learn::member_rank_state(*trainer_, schedule_.checkpoint_replay));
  }
  if (!leader_) return;
  other_ranks.erase(other_ranks.begin());
  std::vector<std::pair<std::string, std::string>> population_parts;
  if (pbt_) {
    population_parts.emplace_back("layout", "members=" + std::to_string(member_.members) +
                                                " ranks=" + std::to_string(world_.size()));
    population_parts.emplace_back("pbt", population_.state());
    for (size_t r = 1; r < member_ranks.size(); ++r) {
      population_parts.emplace_back("rank_" + std::to_string(r), std::move(member_ranks[r]));
    }
  }
  const std::filesystem::path path = learn::checkpoint_path(run_dir_, step_);
  try {
    learn::save_checkpoint(path, *trainer_, {step_, frames_, wall_offset_ + elapsed()}, config_ini_,
                           schedule_.checkpoint_replay, other_ranks, population_parts);
  } catch (const std::exception& error) {
    throw std::runtime_error("checkpoint of update " + std::to_string(step_) +
                             " not written: " + error.what() + "; the newest checkpoint is " +
                             newest_checkpoint_name(run_dir_));
  }
  for (const std::filesystem::path& old :
       learn::prune_checkpoints(run_dir_, schedule_.keep_checkpoints)) {
    log_debug("removed ", old.string());
  }
  log_info("checkpoint ", path.string(), " (step ", step_, ", ", frames_, " frames)");
  last_checkpoint_ = elapsed();
}

// Stops every member's actors and holders; rank 0 writes every rank's report.
void LearnerRun::finish_roles(int exit_code) {
  std::vector<RoleReport> reports = link_->finish(exit_code);
  if (pbt_) reports = gather_reports(group_, reports);
  if (leader_) write_role_reports(run_dir_ / "roles.h5", reports);
}

// Sync mode: every rank acted and learnt; one report each, in roles.h5 as in async mode.
void LearnerRun::report_sync_roles() {
  RoleReport report;
  report.rank = world_.rank();
  report.role = static_cast<int32_t>(dist::Role::kLearner);
  report.episodes = (step_ - counters_.step) * settings_.batch;
  report.frames = (frames_ - counters_.frames) / group_.size();
  report.seconds = elapsed();
  report.peak_rss_mb = peak_rss_mb();
  const std::vector<RoleReport> reports = gather_reports(group_, {report});
  if (leader_) write_role_reports(run_dir_ / "roles.h5", reports);
}

// Whether the run diverged: the last update may have been the last of too many skipped in a row.
// Collective.
bool LearnerRun::diverged_after_loop() {
  if (diverged_) return true;
  double late = skipped_in_a_row_ >= schedule_.max_skipped ? 1.0 : 0.0;
  group_.allreduce_sum(&late, 1);
  return late > 0;
}

// The networks are as after the last applied update, but that state produced nothing else: the
// checkpoints on disk stay the newest.
int LearnerRun::end_diverged() {
  log_error(skipped_in_a_row_, " updates in a row had NaN or infinite gradients (see ",
            metrics_path_.string(), ", column skipped): stopped after ", frames_,
            " frames without a new checkpoint; the newest is ", newest_checkpoint_name(run_dir_),
            " (try a lower learning rate or --grad-clip)");
  if (link_) finish_roles(kDivergedExitCode);
  return kDivergedExitCode;
}

// The end of a run that did not diverge: the final checkpoint, an evaluation, the roles' reports
// and the last lines.
int LearnerRun::end() {
  // The final checkpoint comes before any further evaluation, so that resuming from it draws the
  // same random numbers as going on would have.
  write_checkpoint();
  // A rank stopped by another rank's signal exits as if it had been sent SIGTERM itself (learner 0
  // knows the signal of an actor or replay holder).
  const int forwarded = link_ ? link_->forwarded_signal() : 0;
  const int stop_signal = reason_ != StopReason::kSignal ? 0
                          : signals_.received() != 0     ? signals_.received()
                          : forwarded != 0               ? forwarded
                                                         : SIGTERM;
  // Unless a signal asks for a quick exit, the run ends evaluated, with a grid of its last update.
  if (reason_ != StopReason::kSignal && leader_ && grid_step_ != step_) {
    evaluate();
    write_grid(run_dir_, step_, held_);
  }
  const int exit_code = stop_exit_code(reason_, stop_signal);
  if (link_) {
    finish_roles(exit_code);
  } else {
    report_sync_roles();
  }
  // The last lines: why the run stopped, what it did, and where its pictures are.
  log_info(stop_message(reason_, stop_signal, schedule_.budget, frames_));
  const std::string done = "done: " + std::to_string(step_) + " updates, " +
                           std::to_string(frames_) + " frames in " + format_duration(elapsed());
  if (!leader_) {  // only rank 0 evaluates and writes files
    log_info(done);
  } else {
    log_info(done, "; ", evaluation_text(settings_.conditional, held_), recognition_, "; files in ",
             run_dir_.string());
    const std::optional<std::filesystem::path> grid = newest_grid(run_dir_, step_);
    log_info(grid ? "newest image grid: " + grid->string()
                  : std::string("no image grid yet (one every --images-every updates and at the "
                                "end of a run)"));
  }
  return exit_code;
}

int LearnerRun::run() {
  // The actors start acting while learner 0 evaluates.
  if (publisher_) link_->publish(trainer_->policy(), counters_.step);
  evaluate_at_start();
  while (frames_ < schedule_.budget.frames && !stop_due()) record(apply_update());
  return diverged_after_loop() ? end_diverged() : end();
}

}  // namespace

int run_learner(const Config& config, RunPlan& plan, const Membership& member, const Roles& roles,
                const dist::Communicator& world, const std::filesystem::path& run_dir,
                const SignalGuard& signals) {
  return LearnerRun(config, plan, member, roles, world, run_dir, signals).run();
}

}  // namespace spiral::run
