#include "spiral/core/signals.h"

#include <atomic>
#include <stdexcept>

namespace spiral {
namespace {

// Lock-free so that the handler may touch them.
std::atomic<int> g_received{0};
std::atomic<bool> g_installed{false};

extern "C" void record_signal(int signal_number) {
  int expected = 0;
  g_received.compare_exchange_strong(expected, signal_number);
}

void install(int signal_number, struct sigaction* old) {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(signal_number, &action, old) != 0) {
    throw std::runtime_error("sigaction failed for " + std::string(signal_name(signal_number)));
  }
}

}  // namespace

SignalGuard::SignalGuard() {
  if (g_installed.exchange(true)) throw std::logic_error("only one SignalGuard may be alive");
  g_received = 0;
  install(SIGINT, &old_int_);
  install(SIGTERM, &old_term_);
  install(SIGUSR1, &old_usr1_);
}

SignalGuard::~SignalGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGUSR1, &old_usr1_, nullptr);
  g_installed = false;
}

int SignalGuard::received() const { return g_received.load(); }

void SignalGuard::clear() { g_received = 0; }

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "another signal";
  }
}

}  // namespace spiral
