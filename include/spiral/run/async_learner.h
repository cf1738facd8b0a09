// --mode async, learner side: batches from the replay holders, parameters to the actors, and the
// end of the job with every role's report.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "spiral/dist/delivery.h"
#include "spiral/dist/fanout.h"
#include "spiral/dist/mpi.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/async.h"

namespace spiral::run {

// What learner 0 knows of the flow of episodes, for metrics and progress lines.
struct FlowStats {
  HolderStatus holders;     // the holders' latest counters, summed
  double wait_seconds = 0;  // waiting for the last batch
  double total_wait_seconds = 0;
  double lag_mean = 0;  // policy updates between acting and learning, last batch
  int64_t lag_max = 0;
  int64_t bytes_received = 0;  // batches, in all
  int64_t parameter_bytes_sent = 0;
};

// A learner rank's link to the other roles.
class LearnerLink {
 public:
  // Learner 0 sends parameters along `route` (which must outlive the link).
  LearnerLink(const dist::Communicator& world, const AsyncSettings& settings,
              const dist::DeliveryRoute& route);

  // Learner 0: sends `policy` as `version` to every actor (direct path) or node leader (tree) that
  // has taken its previous copy (the others get a newer one later).
  void publish(model::Policy& policy, int64_t version);
  // `count` episodes from the next replay holder in turn, as a batch for `trainer`; waits for
  // them, and ends the job when the holder goes silent.
  learn::EpisodeBatch next_batch(const learn::Trainer& trainer, int count, int64_t version);
  // Learner 0: stops the actors and holders, collects every rank's report, logs a summary of each
  // role and checks that every episode is accounted for (std::runtime_error if not); returns the
  // reports, in rank order. Other learners send their report and return nothing.
  // `exit_code` goes to the actors and holders with the stop: the job's ranks end alike.
  std::vector<RoleReport> finish(int exit_code);
  // Learner 0: the first signal an actor or replay holder passed on (0: none yet).
  int forwarded_signal();

  const FlowStats& stats() const { return stats_; }

 private:
  dist::Communicator world_;
  AsyncSettings settings_;
  int learner_index_ = 0;
  int64_t requests_ = 0;
  std::vector<HolderStatus> holders_;       // latest per holder
  std::optional<dist::Fanout> parameters_;  // learner 0: to the actors or node leaders
  FlowStats stats_;
  RoleReport report_;
  int forwarded_signal_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// On rank 0 of `comm`: the `reports` of every rank of `comm` together, in the order of their ranks
// in the job (empty elsewhere). Collective.
std::vector<RoleReport> gather_reports(const dist::Communicator& comm,
                                       const std::vector<RoleReport>& reports);

// Writes `reports` (one per rank) to `path` (HDF5, one dataset per field, a row per rank).
void write_role_reports(const std::filesystem::path& path, const std::vector<RoleReport>& reports);

}  // namespace spiral::run
