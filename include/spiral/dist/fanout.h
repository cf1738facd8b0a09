// Passing the newest of a stream of messages on to a fixed set of ranks without waiting for them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/dist/mpi.h"

namespace spiral::dist {

// Non-blocking sends of the newest message to each destination: a destination whose previous copy
// MPI has not sent yet is skipped, and gets the newest message once it is free (poll). Every copy
// of a message shares its bytes.
class Fanout {
 public:
  Fanout(const Communicator& comm, std::vector<int> destinations, int tag);
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  // Whether some destination has no send under way (a new message would go out at once).
  bool any_free();
  // Makes `bytes` the newest message and sends it to every free destination.
  void offer(std::shared_ptr<const std::string> bytes);
  // Sends the newest message to the destinations that became free since it was offered.
  void poll();
  // Whether every destination has the newest message and MPI is done with every send.
  bool idle();
  // Ends the stream: with `flush`, first sends the newest message to every destination that has
  // not had it (MPI keeps the order of sends to one rank); then `stop` with `stop_tag` to all.
  void close(const std::string& stop, int stop_tag, bool flush);
  // Waits until MPI is done with every send (the destinations must be receiving).
  void wait();

  const std::vector<int>& destinations() const { return destinations_; }
  // Copies of messages sent (the stop not counted), and their bytes.
  int64_t copies_sent() const { return copies_sent_; }
  int64_t bytes_sent() const { return bytes_sent_; }

 private:
  // Drops finished sends; whether destination `d` has none left.
  bool free(size_t d);
  void send_newest(size_t d);

  Communicator comm_;
  std::vector<int> destinations_;
  int tag_;
  std::shared_ptr<const std::string> newest_;
  std::vector<std::vector<std::unique_ptr<PendingSend>>> sends_;  // per destination
  std::vector<bool> has_newest_;                                  // per destination
  int64_t copies_sent_ = 0;
  int64_t bytes_sent_ = 0;
};

}  // namespace spiral::dist
