#include <sys/resource.h>

#include <sstream>
#include <thread>

#include "spiral/core/logging.h"
#include "spiral/run/async.h"

namespace spiral::run {

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void PeerWatch::heard(int rank) { last_[rank] = std::chrono::steady_clock::now(); }

void PeerWatch::check(const std::string& doing) const {
  for (const auto& [rank, when] : last_) {
    const double silent = seconds_since(when);
    if (silent <= timeout_) continue;
    std::ostringstream message;
    message << dist::role_name(layout_.role(rank)) << " rank " << first_rank_ + rank
            << " has sent nothing for " << static_cast<int64_t>(silent) << " s (--peer-timeout "
            << timeout_ << ") while this "
            << "rank was " << doing << ": it died or hung; ending the job";
    dist::abort_job(message.str(), kPeerLostExitCode);
  }
}

void SignalForwarder::poll() {
  if (forwarded_ || signals_.received() == 0) return;
  const int32_t signal = signals_.received();
  log_info(signal_name(signal), " received: asking learner 0 to stop the run");
  world_.send(to_bytes(signal), 0, kTagSignal);
  forwarded_ = true;
}

void idle_pause() { std::this_thread::sleep_for(std::chrono::microseconds(500)); }

}  // namespace spiral::run
