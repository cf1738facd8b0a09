#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/logging.h"
#include "spiral/dist/relay.h"
#include "spiral/run/async_roles.h"
#include "spiral/run/policy_message.h"

namespace spiral::run {

int run_actor(const dist::Communicator& world, const AsyncSettings& settings,
              const dist::DeliveryRoute& route, learn::Trainer& trainer,
              const SignalGuard& signals) {
  const dist::RoleLayout& layout = settings.layout;
  const int rank = world.rank();
  const int holder = layout.holder_of_actor(layout.index(rank));
  constexpr int kLearner0 = 0;
  const int upstream = route.upstream_world_rank();  // learner 0, or this node's leader
  const auto start = std::chrono::steady_clock::now();
  const learn::EpisodeShape shape = trainer.episode_shape();
  RoleReport report;
  report.rank = settings.first_rank + rank;
  report.role = static_cast<int32_t>(dist::Role::kActor);
  PeerWatch watch(layout, settings.peer_timeout, settings.first_rank);
  watch.heard(holder);
  int64_t version = -1;
  bool stop = false;
  int exit_code = 0;
  SignalForwarder forwarder(world, signals);
  dist::Relay relay(route, kTagParameters, kTagStop);
  // Learner 0's messages in the order it sent them: parameters, and at last the stop (a leader
  // passes them on to its node's actors).
  const auto read_learner = [&] {
    while (std::optional<dist::Message> message = relay.next()) {
      if (message->tag == kTagStop) {
        stop = true;
        exit_code = from_bytes<int32_t>(message->bytes);
      } else if (message->tag == kTagParameters) {
        version = load_policy_message(message->bytes, trainer.policy());
        ++report.parameter_updates;
      }
    }
  };
  auto last_heartbeat = std::chrono::steady_clock::now();
  // The holder's heartbeats, and ours to it while this actor waits.
  const auto keep_in_touch = [&] {
    forwarder.poll();
    relay.poll();
    while (world.try_receive(holder, kTagHeartbeat)) watch.heard(holder);
    if (seconds_since(last_heartbeat) >= settings.heartbeat_seconds()) {
      world.send({}, holder, kTagHeartbeat);
      last_heartbeat = std::chrono::steady_clock::now();
    }
  };

  // The first parameters: episodes of the initial network would be wasted on a resumed run.
  PeerWatch learner_watch(layout, settings.peer_timeout, settings.first_rank);
  learner_watch.heard(upstream);
  while (version < 0 && !stop) {
    read_learner();
    keep_in_touch();
    learner_watch.check("waiting for the first parameters");
    if (version < 0 && !stop) idle_pause();
  }
  // A resumed run's actors must not replay the episodes of the run before.
  if (version > 0) trainer.reseed(settings.seed ^ static_cast<uint64_t>(version) << 20);

  std::vector<std::unique_ptr<dist::PendingSend>> sends;
  const auto reap = [&] { drop_finished(sends); };
  while (!stop) {
    const auto acting = std::chrono::steady_clock::now();
    const learn::EpisodeBatch batch = trainer.act();
    const std::vector<learn::Episode> episodes =
        trainer.episodes_of(batch, version, settings.first_rank + rank);
    auto bytes = std::make_shared<const std::string>(learn::encode_episodes(shape, episodes));
    report.seconds_working += seconds_since(acting);
    const auto blocked = std::chrono::steady_clock::now();
    for (reap(); static_cast<int>(sends.size()) >= settings.max_outstanding_sends; reap()) {
      keep_in_touch();
      read_learner();  // takes newer parameters, so that learner 0 can send the next ones
      watch.check("waiting for its replay holder to take episodes");
      idle_pause();
    }
    report.seconds_blocked += seconds_since(blocked);
    sends.push_back(std::make_unique<dist::PendingSend>(world, bytes, holder, kTagEpisodes));
    report.episodes += static_cast<int64_t>(episodes.size());
    report.frames += static_cast<int64_t>(episodes.size()) * shape.steps;
    report.bytes_sent += static_cast<double>(bytes->size());
    keep_in_touch();
    read_learner();
  }
  // Every episode message taken by the holder, every parameter message passed on taken by this
  // node's actors, then the count the holder must have received.
  for (reap(); !sends.empty() || !relay.passed_on(); reap()) {
    keep_in_touch();
    watch.check("handing its last episodes to its replay holder");
    idle_pause();
  }
  report.parameter_copies = relay.copies_passed_on();
  report.bytes_sent += static_cast<double>(relay.bytes_passed_on());
  world.send(to_bytes(report.episodes), holder, kTagDone);
  report.seconds = seconds_since(start);
  report.peak_rss_mb = peak_rss_mb();
  world.send(to_bytes(report), kLearner0, kTagReport);
  log_debug("actor: ", report.episodes, " episodes sent");
  return exit_code;
}

}  // namespace spiral::run
