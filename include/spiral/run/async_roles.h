// --mode async: the loops of the actor and replay-holder ranks.
#pragma once

#include "spiral/dist/delivery.h"
#include "spiral/dist/mpi.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/async.h"

namespace spiral::run {

// Plays --envs episodes at a time with the newest parameters learner 0 has sent (through `route`:
// directly or by its node's leader; a leader passes them on) and hands them to this actor's
// replay holder (at most max_outstanding_sends messages in flight: when the holder
// is full the actor waits). A signal is passed on to learner 0. Returns the exit code learner 0
// sends with its stop.
int run_actor(const dist::Communicator& world, const AsyncSettings& settings,
              const dist::DeliveryRoute& route, learn::Trainer& trainer,
              const SignalGuard& signals);

// Queues the episodes of its actors for the learners (up to queue_episodes; beyond that the
// actors wait), drops those older than max_policy_lag, and writes a share of them to
// trajectories/replay-<rank>.h5. A signal is passed on to learner 0. Returns the exit code learner
// 0 sends with its stop, once every episode of its actors has arrived.
int run_replay_holder(const dist::Communicator& world, const AsyncSettings& settings,
                      const SignalGuard& signals);

}  // namespace spiral::run
