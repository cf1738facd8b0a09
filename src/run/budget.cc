#include "spiral/run/budget.h"

#include <algorithm>
#include <csignal>
#include <sstream>

#include "spiral/core/errors.h"
#include "spiral/core/signals.h"

namespace spiral::run {

Budget budget_of(const Config& config) {
  return {config.get_int("frames"), config.get_real("duration"), config.get_real("time-limit")};
}

bool limit_due(double limit, double spent, double next_update) {
  return limit > 0 && spent + next_update >= limit;
}

double budget_spent(const Budget& budget, int64_t frames, double trained) {
  double spent = static_cast<double>(frames) / static_cast<double>(budget.frames);
  if (budget.duration > 0) spent = std::max(spent, trained / budget.duration);
  return spent;
}

double seconds_to_end(const Budget& budget, int64_t frames, double fps, double trained,
                      double now) {
  double eta = static_cast<double>(budget.frames - frames) / fps;
  if (budget.duration > 0) eta = std::min(eta, std::max(0.0, budget.duration - trained));
  if (budget.time_limit > 0) eta = std::min(eta, std::max(0.0, budget.time_limit - now));
  return eta;
}

std::string limit_text(double seconds) {
  if (seconds <= 0) return "none";
  std::ostringstream text;
  text << seconds << " s";
  return text.str();
}

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

}  // namespace spiral::run
