// --mode async: what actors, replay holders and learners say to each other, and how long they wait.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "spiral/core/signals.h"
#include "spiral/dist/delivery.h"
#include "spiral/dist/layout.h"
#include "spiral/dist/mpi.h"

namespace spiral::run {

// Message tags of an asynchronous run.
enum AsyncTag : int {
  kTagEpisodes = 11,  // actor -> its holder: encoded episodes
  kTagRequest,        // learner -> holder: AsyncRequest
  kTagBatch,          // holder -> learner: HolderStatus, then encoded episodes
  kTagParameters,     // learner 0 (or a node's leader) -> actor: the policy version (int64), then
                      // float parameters
  kTagStop,           // learner 0 (or a node's leader) -> actor, learner 0 -> holder: finish,
                      // with this exit code (int32)
  kTagDone,           // actor -> its holder: episodes sent in all (int64), after the last one
  kTagReport,         // actor, holder -> learner 0: RoleReport at the end
  kTagHeartbeat,      // holder -> its actors and the learners: still here
  kTagSignal,         // actor, holder -> learner 0: this rank received a signal (int32)
};

// Exit code of a job ended because a rank went silent (died or hung).
inline constexpr int kPeerLostExitCode = 5;

// The options every role of an asynchronous run reads.
struct AsyncSettings {
  dist::RoleLayout layout;
  double peer_timeout = 300;         // s of silence from a peer before the job is ended
  int queue_episodes = 256;          // capacity of a replay holder's queue
  int64_t max_policy_lag = 0;        // holders drop episodes older than this (0: keep all)
  double trajectory_fraction = 0.1;  // share of episodes a holder writes to its file
  int max_outstanding_sends = 2;     // an actor's episode messages not yet taken by its holder
  std::filesystem::path run_dir;
  bool resume = false;  // holders append to their trajectory files
  uint64_t seed = 1;
  dist::DeliveryPath parameter_delivery = dist::DeliveryPath::kDirect;  // learner 0 to the actors
  int ranks_per_node = 0;  // > 0: consecutive ranks taken as one node by the tree (0: MPI's nodes)
  // The job's rank of the roles' communicator's rank 0: a population member's first rank (0 for a
  // single agent). Reports, log lines and trajectory files name ranks of the job.
  int first_rank = 0;

  // Seconds between heartbeats: often enough that a peer hears several within the timeout.
  double heartbeat_seconds() const { return peer_timeout / 5; }
};

// A learner's request for episodes.
struct AsyncRequest {
  int64_t episodes = 0;
  int64_t policy_version = 0;  // the learner's: older episodes than the lag allows are dropped
};

// A replay holder's counters, sent ahead of every batch.
struct HolderStatus {
  int64_t received = 0;     // episodes received from actors
  int64_t to_learners = 0;  // episodes sent to learners
  int64_t dropped = 0;      // episodes dropped as too old for --max-policy-lag
  int64_t queued = 0;       // episodes waiting
};

// What a rank did, sent to learner 0 at the end (fields a role does not use stay 0).
struct RoleReport {
  int32_t rank = 0;
  int32_t role = 0;               // dist::Role
  int64_t episodes = 0;           // actor: sent; holder: received
  int64_t frames = 0;             // actor: agent steps played
  int64_t to_learners = 0;        // holder
  int64_t dropped = 0;            // holder
  int64_t left = 0;               // holder: still queued at the end
  int64_t written = 0;            // holder: episodes written to its trajectory file
  int64_t parameter_updates = 0;  // actor: policy versions received
  int64_t parameter_copies = 0;   // learner 0: parameter messages sent; actor: passed on (leaders)
  double seconds = 0;             // time in the role's loop
  double seconds_working = 0;     // actor: acting; holder: receiving, writing, sending
  double seconds_blocked = 0;     // actor: waiting on its holder (back-pressure)
  double bytes_sent = 0;
  double peak_rss_mb = 0;  // peak resident memory of the process
};

// A plain struct as message bytes, and back (std::runtime_error for another size).
template <typename T>
std::string to_bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}
template <typename T>
T from_bytes(const std::string& bytes, size_t offset = 0) {
  if (bytes.size() < offset + sizeof(T)) throw std::runtime_error("message too short");
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// Peak resident memory of this process in MB.
double peak_rss_mb();

// Seconds since `since` on the steady clock.
double seconds_since(std::chrono::steady_clock::time_point since);

// When each watched rank was last heard from; ends the job naming a rank silent for longer than
// the timeout.
class PeerWatch {
 public:
  // `first_rank` is the job's rank of the layout's rank 0 (for messages).
  PeerWatch(const dist::RoleLayout& layout, double timeout_seconds, int first_rank = 0)
      : layout_(layout), timeout_(timeout_seconds), first_rank_(first_rank) {}

  // Starts (or restarts) the clock of `rank`.
  void heard(int rank);
  void forget(int rank) { last_.erase(rank); }
  // Ends the job (MPI_Abort, kPeerLostExitCode) when a watched rank has been silent too long;
  // `doing` says what this rank was waiting for.
  void check(const std::string& doing) const;

 private:
  dist::RoleLayout layout_;
  double timeout_;
  int first_rank_ = 0;
  std::map<int, std::chrono::steady_clock::time_point> last_;
};

// Tells learner 0 once that this rank received a signal, so that it stops the run.
class SignalForwarder {
 public:
  SignalForwarder(const dist::Communicator& world, const SignalGuard& signals)
      : world_(world), signals_(signals) {}
  void poll();

 private:
  dist::Communicator world_;
  const SignalGuard& signals_;
  bool forwarded_ = false;
};

// Forgets the sends MPI is done with.
template <typename Sends>
void drop_finished(Sends& sends) {
  sends.erase(std::remove_if(sends.begin(), sends.end(), [](const auto& s) { return s->done(); }),
              sends.end());
}

// Sleeps a little: the polling loops' pause when no message has come.
void idle_pause();

}  // namespace spiral::run
