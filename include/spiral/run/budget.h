// When a training run stops: its budget of frames and time, the reasons it stops for, their exit
// codes and the line that says which.
#pragma once

#include <cstdint>
#include <string>

#include "spiral/core/config.h"

namespace spiral::run {

// What ends a run's training loop (besides diverging).
enum class StopReason { kFrames, kDuration, kTimeLimit, kSignal };

// When a run stops: the first of its frame budget, planned training time and this start's limit.
struct Budget {
  int64_t frames = 0;
  double duration = 0;    // s of training over every start of the run (0: none)
  double time_limit = 0;  // s of this start (0: none)
};

// The budget the options of `config` set (--frames, --duration, --time-limit).
Budget budget_of(const Config& config);

// Whether a limit of `limit` seconds (0: none) is reached by the end of the next update, when
// `spent` seconds have gone and the next update takes `next_update` (0: reached already).
bool limit_due(double limit, double spent, double next_update);

// The share of `budget` spent after `frames` frames and `trained` seconds over all starts: the
// larger of the frames' and the duration's.
double budget_spent(const Budget& budget, int64_t frames, double trained);

// Seconds until the budget ends the run at `fps` frames/s, when the run has trained `trained`
// seconds over all its starts and `now` seconds in this one.
double seconds_to_end(const Budget& budget, int64_t frames, double fps, double trained, double now);

// A limit in seconds for messages: "660 s", or "none" for 0.
std::string limit_text(double seconds);

// The exit code of a run stopped for `reason` (by `signal` for kSignal): 0 when its planned
// training is done or the user interrupted it (SIGINT), else kCheckpointedExitCode (requeue it).
int stop_exit_code(StopReason reason, int signal);

// The log line that says what stopped the run after `frames` frames, and what its exit code asks.
std::string stop_message(StopReason reason, int signal, const Budget& budget, int64_t frames);

}  // namespace spiral::run
