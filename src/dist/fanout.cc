#include "spiral/dist/fanout.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

namespace spiral::dist {

Fanout::Fanout(const Communicator& comm, std::vector<int> destinations, int tag)
    : comm_(comm),
      destinations_(std::move(destinations)),
      tag_(tag),
      sends_(destinations_.size()),
      has_newest_(destinations_.size(), true) {}

bool Fanout::free(size_t d) {
  std::vector<std::unique_ptr<PendingSend>>& sends = sends_[d];
  sends.erase(std::remove_if(sends.begin(), sends.end(), [](const auto& s) { return s->done(); }),
              sends.end());
  return sends.empty();
}

void Fanout::send_newest(size_t d) {
  sends_[d].push_back(std::make_unique<PendingSend>(comm_, newest_, destinations_[d], tag_));
  has_newest_[d] = true;
  ++copies_sent_;
  bytes_sent_ += static_cast<int64_t>(newest_->size());
}

bool Fanout::any_free() {
  bool any = false;
  for (size_t d = 0; d < destinations_.size(); ++d) any = free(d) || any;
  return any;
}

void Fanout::offer(std::shared_ptr<const std::string> bytes) {
  newest_ = std::move(bytes);
  std::fill(has_newest_.begin(), has_newest_.end(), false);
  poll();
}

void Fanout::poll() {
  if (!newest_) return;
  for (size_t d = 0; d < destinations_.size(); ++d) {
    if (!has_newest_[d] && free(d)) send_newest(d);
  }
}

bool Fanout::idle() {
  poll();
  for (size_t d = 0; d < destinations_.size(); ++d) {
    if (!has_newest_[d] || !free(d)) return false;
  }
  return true;
}

void Fanout::close(const std::string& stop, int stop_tag, bool flush) {
  for (size_t d = 0; d < destinations_.size(); ++d) {
    if (flush && newest_ && !has_newest_[d]) send_newest(d);
    comm_.send(stop, destinations_[d], stop_tag);
  }
  newest_.reset();  // nothing more goes out
  std::fill(has_newest_.begin(), has_newest_.end(), true);
}

void Fanout::wait() {
  for (size_t d = 0; d < destinations_.size(); ++d) {
    while (!free(d)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace spiral::dist
