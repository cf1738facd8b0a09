// An actor's end of the delivery of parameters: what comes from upstream, passed on down the tree.
#pragma once

#include <cstdint>
#include <optional>

#include "spiral/dist/delivery.h"
#include "spiral/dist/fanout.h"
#include "spiral/dist/mpi.h"

namespace spiral::dist {

// Receives the messages of an actor's upstream rank in the order they were sent; a node leader
// passes each parameter message on to its node's actors (newest first: an actor still taking an
// older copy gets the newest one once free) and, after everything it received, the stop.
class Relay {
 public:
  // `route` must outlive the relay; `tag` marks parameters, `stop_tag` the end of the stream.
  Relay(const DeliveryRoute& route, int tag, int stop_tag);

  // The next message from upstream, already passed on; nothing when none has arrived. Never
  // blocks (but for the small stop messages a leader sends on).
  std::optional<Message> next();
  // Sends the newest parameters to the node's actors that became free (leaders).
  void poll();
  // Whether MPI is done with every message passed on.
  bool passed_on();
  // Copies of parameters passed on, and their bytes (0 but on leaders).
  int64_t copies_passed_on() const { return fanout_ ? fanout_->copies_sent() : 0; }
  int64_t bytes_passed_on() const { return fanout_ ? fanout_->bytes_sent() : 0; }

 private:
  const DeliveryRoute& route_;
  int tag_;
  int stop_tag_;
  std::optional<Fanout> fanout_;  // leaders
};

}  // namespace spiral::dist
