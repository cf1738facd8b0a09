// What a training run says: rank 0's lines at start, on progress and at the end, and the image
// grids of its evaluations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "spiral/core/config.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/async_learner.h"
#include "spiral/run/budget.h"

namespace spiral::run {

// The start-up summary rank 0 prints: where the run goes, what it trains (with `held_out` images
// to evaluate on, over `ranks` ranks) and for how long.
std::vector<std::string> run_summary(const Config& config, const learn::TrainerConfig& settings,
                                     size_t held_out, int ranks,
                                     const std::filesystem::path& run_dir);

// What an async run does about policy lag, for its start lines.
std::string policy_lag_text(const Config& config);

// An unconditional agent's held-out samples in words: "distinct 12/32 blank 3/32" ("-" when
// not evaluated yet).
std::string sample_text(const learn::HeldOutResult& held);

// The held-out MSE beside that of the canvas episodes start from: "0.06 (blank canvas 0.1)", or a
// scene builder's "0.002 (empty floor 0.004)".
std::string mse_beside_start(const learn::HeldOutResult& held);

// An evaluation in words: "held-out MSE 0.06 (blank canvas 0.1)", or an unconditional agent's
// "samples distinct 12/32 blank 3/32".
std::string evaluation_text(bool conditional, const learn::HeldOutResult& held);

// What a progress line reports besides the frames: the last update's figures and evaluation, the
// rates and times, and an async run's flow of episodes.
struct Progress {
  int64_t frames = 0;
  double fps = 0;  // this start's frames per second
  learn::TrainStepStats stats;
  double policy_lr = 0;  // the decaying rate (NaN: the rate does not decay)
  bool conditional = true;
  learn::HeldOutResult held;        // the last evaluation
  std::string recognition;          // what --classifier read in its samples ("" without one)
  double elapsed = 0;               // s of this start
  double eta = 0;                   // s until the budget ends the run
  const FlowStats* flow = nullptr;  // async runs
  double produced = 0;              // frames the actors produced (async)
};

// The progress line rank 0 logs.
std::string progress_line(const Progress& progress);

// Writes images/reconstruction-<step>.png (held-out targets above their reconstructions), or
// images/samples-<step>.png for an unconditional agent.
void write_grid(const std::filesystem::path& run_dir, int64_t step,
                const learn::HeldOutResult& held);

// The newest image grid of a run up to `max_step` (images/<kind>-<step>.png with the highest such
// step), if any: grids of a killed start's later updates are not this run's.
std::optional<std::filesystem::path> newest_grid(const std::filesystem::path& run_dir,
                                                 int64_t max_step);

// The newest checkpoint file of a run, or "none", for messages.
std::string newest_checkpoint_name(const std::filesystem::path& run_dir);

}  // namespace spiral::run
