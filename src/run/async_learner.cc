#include "spiral/run/async_learner.h"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>

#include "spiral/core/logging.h"
#include "spiral/io/hdf5.h"
#include "spiral/run/policy_message.h"

namespace spiral::run {
namespace {

// One line on what a rank did in its role.
std::string describe(const RoleReport& r) {
  std::ostringstream line;
  line.setf(std::ios::fixed);
  line.precision(1);
  const dist::Role role = static_cast<dist::Role>(r.role);
  line << dist::role_name(role) << " rank " << r.rank << ": ";
  switch (role) {
    case dist::Role::kActor:
      line << r.episodes << " episodes (" << r.frames << " frames, "
           << static_cast<double>(r.frames) / std::max(r.seconds, 1e-9) << " frames/s), "
           << r.seconds_working << " s acting, " << r.seconds_blocked
           << " s waiting on its holder, " << r.parameter_updates << " parameter updates, ";
      if (r.parameter_copies > 0) line << r.parameter_copies << " passed on, ";
      line << r.bytes_sent / 1e6 << " MB sent";
      break;
    case dist::Role::kReplay:
      line << r.episodes << " episodes received, " << r.to_learners << " to learners, " << r.dropped
           << " dropped as too old, " << r.left << " left, " << r.written << " written; "
           << r.seconds_working << " s busy, " << r.bytes_sent / 1e6 << " MB sent";
      break;
    case dist::Role::kLearner:
      line << r.episodes << " episodes learnt from (" << r.frames << " frames, "
           << static_cast<double>(r.frames) / std::max(r.seconds, 1e-9) << " frames/s), "
           << r.seconds_blocked << " s waiting for episodes, " << r.bytes_sent / 1e6
           << " MB of parameters sent";
      if (r.parameter_copies > 0) line << " (" << r.parameter_copies << " copies)";
      break;
  }
  line << "; peak RSS " << r.peak_rss_mb << " MB";
  return line.str();
}

}  // namespace

LearnerLink::LearnerLink(const dist::Communicator& world, const AsyncSettings& settings,
                         const dist::DeliveryRoute& route)
    : world_(world),
      settings_(settings),
      learner_index_(settings.layout.index(world.rank())),
      holders_(static_cast<size_t>(settings.layout.replay)),
      start_(std::chrono::steady_clock::now()) {
  report_.rank = settings.first_rank + world.rank();
  report_.role = static_cast<int32_t>(dist::Role::kLearner);
  if (world.rank() == 0) {
    parameters_.emplace(route.downstream(), route.downstream_ranks(), kTagParameters);
  }
}

void LearnerLink::publish(model::Policy& policy, int64_t version) {
  // The message is made once, and only when some actor or leader is ready for it.
  if (!parameters_->any_free()) return;
  parameters_->offer(std::make_shared<const std::string>(policy_message(policy, version)));
  stats_.parameter_bytes_sent = parameters_->bytes_sent();
  report_.bytes_sent = static_cast<double>(stats_.parameter_bytes_sent);
  report_.parameter_copies = parameters_->copies_sent();
}

learn::EpisodeBatch LearnerLink::next_batch(const learn::Trainer& trainer, int count,
                                            int64_t version) {
  const dist::RoleLayout& layout = settings_.layout;
  const int holder_index = static_cast<int>((learner_index_ + requests_++) % layout.replay);
  const int holder = layout.replay_rank(holder_index);
  const auto waiting = std::chrono::steady_clock::now();
  world_.send(to_bytes(AsyncRequest{count, version}), holder, kTagRequest);
  PeerWatch watch(layout, settings_.peer_timeout, settings_.first_rank);
  watch.heard(holder);
  std::optional<dist::Message> reply;
  while (!(reply = world_.try_receive(holder, kTagBatch))) {
    while (world_.try_receive(holder, kTagHeartbeat)) watch.heard(holder);
    watch.check("waiting for episodes");
    idle_pause();
  }
  stats_.wait_seconds = seconds_since(waiting);
  stats_.total_wait_seconds += stats_.wait_seconds;
  // Heartbeats of the other holders that came while this learner was busy.
  while (world_.try_receive(MPI_ANY_SOURCE, kTagHeartbeat)) {
  }
  holders_[static_cast<size_t>(holder_index)] = from_bytes<HolderStatus>(reply->bytes);
  stats_.holders = HolderStatus{};
  for (const HolderStatus& h : holders_) {
    stats_.holders.received += h.received;
    stats_.holders.to_learners += h.to_learners;
    stats_.holders.dropped += h.dropped;
    stats_.holders.queued += h.queued;
  }
  stats_.bytes_received += static_cast<int64_t>(reply->bytes.size());
  const std::vector<learn::Episode> episodes =
      learn::decode_episodes(reply->bytes.substr(sizeof(HolderStatus)), trainer.episode_shape());
  int64_t lag_sum = 0;
  stats_.lag_max = 0;
  for (const learn::Episode& e : episodes) {
    const int64_t lag = version - e.policy_version;
    lag_sum += lag;
    stats_.lag_max = std::max(stats_.lag_max, lag);
  }
  stats_.lag_mean = static_cast<double>(lag_sum) / std::max<size_t>(1, episodes.size());
  report_.episodes += static_cast<int64_t>(episodes.size());
  report_.frames += static_cast<int64_t>(episodes.size()) * trainer.episode_shape().steps;
  report_.seconds_blocked = stats_.total_wait_seconds;
  return trainer.batch_of(episodes);
}

int LearnerLink::forwarded_signal() {
  while (std::optional<dist::Message> message = world_.try_receive(MPI_ANY_SOURCE, kTagSignal)) {
    if (forwarded_signal_ == 0) forwarded_signal_ = from_bytes<int32_t>(message->bytes);
  }
  return forwarded_signal_;
}

std::vector<RoleReport> LearnerLink::finish(int exit_code) {
  const dist::RoleLayout& layout = settings_.layout;
  report_.seconds = seconds_since(start_);
  report_.peak_rss_mb = peak_rss_mb();
  if (world_.rank() != 0) {
    world_.send(to_bytes(report_), 0, kTagReport);
    return {};
  }
  // Actors read learner 0's messages in order: the stop follows their last parameters (node
  // leaders pass it on after the parameters they received).
  const std::string stop = to_bytes(static_cast<int32_t>(exit_code));
  parameters_->close(stop, kTagStop, /*flush=*/false);
  for (int h = 0; h < layout.replay; ++h) world_.send(stop, layout.replay_rank(h), kTagStop);
  std::vector<RoleReport> reports(static_cast<size_t>(layout.size()));
  reports[0] = report_;
  PeerWatch watch(layout, settings_.peer_timeout, settings_.first_rank);
  for (int rank = 1; rank < layout.size(); ++rank) watch.heard(rank);
  for (int missing = layout.size() - 1; missing > 0;) {
    if (std::optional<dist::Message> message = world_.try_receive(MPI_ANY_SOURCE, kTagReport)) {
      reports[static_cast<size_t>(message->source)] = from_bytes<RoleReport>(message->bytes);
      watch.forget(message->source);
      --missing;
      continue;
    }
    while (world_.try_receive(MPI_ANY_SOURCE, kTagHeartbeat) ||
           world_.try_receive(MPI_ANY_SOURCE, kTagSignal)) {
    }
    watch.check("waiting for the other ranks' reports at the end");
    idle_pause();
  }
  parameters_->wait();
  int64_t sent = 0, received = 0, to_learners = 0, dropped = 0, left = 0, learnt = 0;
  for (const RoleReport& r : reports) {
    log_info(describe(r));
    switch (static_cast<dist::Role>(r.role)) {
      case dist::Role::kActor:
        sent += r.episodes;
        break;
      case dist::Role::kReplay:
        received += r.episodes;
        to_learners += r.to_learners;
        dropped += r.dropped;
        left += r.left;
        break;
      case dist::Role::kLearner:
        learnt += r.episodes;
        break;
    }
  }
  log_info("episodes: actors sent ", sent, ", holders received ", received, ": ", to_learners,
           " to learners (who learnt from ", learnt, "), ", dropped, " dropped as too old, ", left,
           " left in the queues");
  if (sent != received || received != to_learners + dropped + left || to_learners != learnt) {
    throw std::runtime_error("episodes are not all accounted for (see the line above)");
  }
  return reports;
}

std::vector<RoleReport> gather_reports(const dist::Communicator& comm,
                                       const std::vector<RoleReport>& reports) {
  std::string bytes;
  for (const RoleReport& r : reports) bytes += to_bytes(r);
  std::vector<RoleReport> all;
  for (const std::string& part : comm.gather(bytes)) {
    for (size_t offset = 0; offset < part.size(); offset += sizeof(RoleReport)) {
      all.push_back(from_bytes<RoleReport>(part, offset));
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const RoleReport& a, const RoleReport& b) { return a.rank < b.rank; });
  return all;
}

void write_role_reports(const std::filesystem::path& path, const std::vector<RoleReport>& reports) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    io::File file = io::File::create(temporary.string());
    io::Group root = file.root();
    root.set_attribute("roles", "0 learner, 1 replay holder, 2 actor");
    const auto column = [&](const char* name, const char* units, const char* description,
                            auto field) {
      using Value = decltype(field(reports[0]));
      std::vector<Value> values;
      for (const RoleReport& r : reports) values.push_back(field(r));
      io::Dataset dataset = root.create_dataset<Value>(name, {});
      dataset.append(values);
      dataset.set_attribute("units", units);
      dataset.set_attribute("description", description);
    };
    column("rank", "", "MPI rank", [](const RoleReport& r) { return int64_t{r.rank}; });
    column("role", "", "0 learner, 1 replay holder, 2 actor",
           [](const RoleReport& r) { return int64_t{r.role}; });
    column("episodes", "episodes", "Actor: sent; replay holder: received; learner: learnt from",
           [](const RoleReport& r) { return r.episodes; });
    column("frames", "frames", "Actor: agent steps played; learner: learnt from",
           [](const RoleReport& r) { return r.frames; });
    column("to_learners", "episodes", "Replay holder: episodes sent to learners",
           [](const RoleReport& r) { return r.to_learners; });
    column("dropped", "episodes", "Replay holder: episodes dropped as older than --max-policy-lag",
           [](const RoleReport& r) { return r.dropped; });
    column("left", "episodes", "Replay holder: episodes still queued at the end",
           [](const RoleReport& r) { return r.left; });
    column("written", "episodes", "Replay holder: episodes written to its trajectory file",
           [](const RoleReport& r) { return r.written; });
    column("parameter_updates", "", "Actor: policy versions received",
           [](const RoleReport& r) { return r.parameter_updates; });
    column("parameter_copies", "",
           "Learner 0: parameter messages sent; actor: passed on to its node's actors (leaders)",
           [](const RoleReport& r) { return r.parameter_copies; });
    column("seconds", "s", "Time in the role's loop",
           [](const RoleReport& r) { return r.seconds; });
    column("seconds_working", "s", "Actor: acting; replay holder: taking, writing, sending",
           [](const RoleReport& r) { return r.seconds_working; });
    column("seconds_blocked", "s",
           "Actor: waiting for its holder to take episodes; learner: waiting for episodes",
           [](const RoleReport& r) { return r.seconds_blocked; });
    column("bytes_sent", "bytes",
           "Actor: episodes and parameters passed on; replay holder: batches; learner: parameters",
           [](const RoleReport& r) { return r.bytes_sent; });
    column("peak_rss_mb", "MB", "Peak resident memory of the rank's process",
           [](const RoleReport& r) { return r.peak_rss_mb; });
    file.close();
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace spiral::run
