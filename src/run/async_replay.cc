#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "spiral/core/logging.h"
#include "spiral/run/async_roles.h"
#include "spiral/run/trajectory_file.h"

namespace spiral::run {
namespace {

// A learner's request waiting for enough episodes.
struct PendingRequest {
  int learner = 0;
  AsyncRequest request;
};

}  // namespace

int run_replay_holder(const dist::Communicator& world, const AsyncSettings& settings,
                      const SignalGuard& signals) {
  const dist::RoleLayout& layout = settings.layout;
  const int rank = world.rank();
  const auto start = std::chrono::steady_clock::now();
  std::vector<int> actors;
  for (int a : layout.actors_of_holder(layout.index(rank))) actors.push_back(layout.actor_rank(a));
  RoleReport report;
  report.rank = settings.first_rank + rank;
  report.role = static_cast<int32_t>(dist::Role::kReplay);
  PeerWatch actor_watch(layout, settings.peer_timeout, settings.first_rank);
  for (int actor : actors) actor_watch.heard(actor);
  PeerWatch learner_watch(layout, settings.peer_timeout, settings.first_rank);
  for (int l = 0; l < layout.learners; ++l) learner_watch.heard(layout.learner_rank(l));

  std::deque<learn::Episode> queue;
  std::optional<learn::EpisodeShape> shape;  // from the first message
  std::optional<TrajectoryFile> file;
  // Named by the job's rank, so that the holders of a population's members write files of their
  // own.
  const int job_rank = settings.first_rank + rank;
  const std::filesystem::path file_path =
      settings.run_dir / "trajectories" / ("replay-" + std::to_string(job_rank) + ".h5");
  std::mt19937_64 sampler(settings.seed ^ (static_cast<uint64_t>(job_rank) << 32));
  std::bernoulli_distribution keep(settings.trajectory_fraction);
  std::map<int, int64_t> received_from;  // episodes per actor rank
  std::map<int, int64_t> sent_by;        // each finished actor's count
  std::deque<PendingRequest> requests;
  std::vector<std::unique_ptr<dist::PendingSend>> sends;
  HolderStatus status;
  size_t next_actor = 0;  // the actor whose episodes are taken first
  bool stopping = false;
  int exit_code = 0;
  SignalForwarder forwarder(world, signals);
  auto last_heartbeat = std::chrono::steady_clock::now();

  for (;;) {
    bool busy = false;
    forwarder.poll();
    if (!stopping) {
      if (std::optional<dist::Message> stop = world.try_receive(0, kTagStop)) {
        stopping = true;
        exit_code = from_bytes<int32_t>(stop->bytes);
      }
    }
    while (std::optional<dist::Message> beat = world.try_receive(MPI_ANY_SOURCE, kTagHeartbeat)) {
      actor_watch.heard(beat->source);
    }
    // Back-pressure: a full queue takes no more until learners empty it (all once stopping).
    // The actors take turns, so that none is starved while the queue is nearly full.
    for (size_t quiet = 0;  // actors in a row with nothing sent
         quiet < actors.size() &&
         (stopping || static_cast<int>(queue.size()) < settings.queue_episodes);) {
      const int actor = actors[next_actor];
      next_actor = (next_actor + 1) % actors.size();
      std::optional<dist::Message> message = world.try_receive(actor, kTagEpisodes);
      if (!message) {
        ++quiet;
        continue;
      }
      quiet = 0;
      busy = true;
      const auto working = std::chrono::steady_clock::now();
      if (!shape) {
        shape = learn::message_shape(message->bytes);
        std::filesystem::create_directories(file_path.parent_path());
        file.emplace(file_path, *shape, settings.resume);
      }
      std::vector<learn::Episode> episodes = learn::decode_episodes(message->bytes, *shape);
      actor_watch.heard(message->source);
      received_from[message->source] += static_cast<int64_t>(episodes.size());
      status.received += static_cast<int64_t>(episodes.size());
      for (learn::Episode& episode : episodes) {
        if (keep(sampler)) {
          file->write(episode);
          ++report.written;
        }
        queue.push_back(std::move(episode));
      }
      file->flush();
      report.seconds_working += seconds_since(working);
    }
    while (std::optional<dist::Message> done = world.try_receive(MPI_ANY_SOURCE, kTagDone)) {
      sent_by[done->source] = from_bytes<int64_t>(done->bytes);
      actor_watch.forget(done->source);
    }
    while (std::optional<dist::Message> ask = world.try_receive(MPI_ANY_SOURCE, kTagRequest)) {
      requests.push_back({ask->source, from_bytes<AsyncRequest>(ask->bytes)});
      learner_watch.heard(ask->source);
    }
    // Serve requests in arrival order once enough episodes young enough are queued.
    while (!requests.empty() && shape) {
      const PendingRequest& next = requests.front();
      if (settings.max_policy_lag > 0) {
        const int64_t oldest = next.request.policy_version - settings.max_policy_lag;
        while (!queue.empty() && queue.front().policy_version < oldest) {
          queue.pop_front();
          ++status.dropped;
        }
      }
      if (static_cast<int64_t>(queue.size()) < next.request.episodes) break;
      const auto working = std::chrono::steady_clock::now();
      std::vector<learn::Episode> batch(
          std::make_move_iterator(queue.begin()),
          std::make_move_iterator(queue.begin() + next.request.episodes));
      queue.erase(queue.begin(), queue.begin() + next.request.episodes);
      status.to_learners += next.request.episodes;
      status.queued = static_cast<int64_t>(queue.size());
      auto bytes = std::make_shared<const std::string>(to_bytes(status) +
                                                       learn::encode_episodes(*shape, batch));
      report.bytes_sent += static_cast<double>(bytes->size());
      sends.push_back(std::make_unique<dist::PendingSend>(world, bytes, next.learner, kTagBatch));
      requests.pop_front();
      report.seconds_working += seconds_since(working);
      busy = true;
    }
    drop_finished(sends);
    if (seconds_since(last_heartbeat) >= settings.heartbeat_seconds()) {
      for (int actor : actors) {
        if (!sent_by.count(actor)) world.send({}, actor, kTagHeartbeat);
      }
      if (!stopping) {
        for (int l = 0; l < layout.learners; ++l) {
          world.send({}, layout.learner_rank(l), kTagHeartbeat);
        }
      }
      last_heartbeat = std::chrono::steady_clock::now();
    }
    actor_watch.check("waiting for episodes");
    if (!stopping && requests.empty() &&
        static_cast<int>(queue.size()) >= settings.queue_episodes) {
      learner_watch.check("holding a full queue that no learner asked for");
    }
    if (stopping && sends.empty() && sent_by.size() == actors.size() &&
        std::all_of(actors.begin(), actors.end(),
                    [&](int actor) { return received_from[actor] == sent_by[actor]; })) {
      break;
    }
    if (!busy) idle_pause();
  }
  report.episodes = status.received;
  report.to_learners = status.to_learners;
  report.dropped = status.dropped;
  report.left = static_cast<int64_t>(queue.size());
  if (file) file->close(status.received, settings.trajectory_fraction);
  report.seconds = seconds_since(start);
  report.peak_rss_mb = peak_rss_mb();
  world.send(to_bytes(report), 0, kTagReport);
  return exit_code;
}

}  // namespace spiral::run
