// Stop requests by signal: SIGINT, SIGTERM and SIGUSR1 set a flag that a long loop polls.
#pragma once

#include <csignal>

namespace spiral {

// Exit code of a run that stopped early on a signal or time limit after writing a checkpoint:
// "checkpointed, requeue me" (continue with --resume auto).
inline constexpr int kCheckpointedExitCode = 3;

// While alive, SIGINT, SIGTERM and SIGUSR1 only record that they arrived (the first one wins);
// the handlers that were installed before are restored on destruction. One guard at a time.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  // The first signal received since the guard was made, or 0 when none.
  int received() const;
  // Forgets the signal received so far (tests).
  void clear();

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_usr1_ {};
};

// "SIGINT", "SIGTERM", "SIGUSR1" or "signal N".
const char* signal_name(int signal_number);

}  // namespace spiral
