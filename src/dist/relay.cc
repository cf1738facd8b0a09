#include "spiral/dist/relay.h"

#include <memory>

namespace spiral::dist {

Relay::Relay(const DeliveryRoute& route, int tag, int stop_tag)
    : route_(route), tag_(tag), stop_tag_(stop_tag) {
  if (!route.downstream_ranks().empty()) {
    fanout_.emplace(route.downstream(), route.downstream_ranks(), tag);
  }
}

std::optional<Message> Relay::next() {
  std::optional<Message> message =
      route_.upstream().try_receive(route_.upstream_rank(), MPI_ANY_TAG);
  if (!message || !fanout_) return message;
  if (message->tag == tag_) {
    fanout_->offer(std::make_shared<const std::string>(message->bytes));
  } else if (message->tag == stop_tag_) {
    fanout_->close(message->bytes, stop_tag_, /*flush=*/true);
  }
  return message;
}

void Relay::poll() {
  if (fanout_) fanout_->poll();
}

bool Relay::passed_on() { return !fanout_ || fanout_->idle(); }

}  // namespace spiral::dist
