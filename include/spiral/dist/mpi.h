// MPI: RAII start-up and shutdown, and a communicator with the collectives the project uses.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spiral::dist {

// A point-to-point message as received.
struct Message {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

// A communicator (not owned: the world, or one a caller keeps alive).
class Communicator {
 public:
  explicit Communicator(MPI_Comm comm) : comm_(comm) {}

  int rank() const;
  int size() const;
  void barrier() const;
  // Sums `count` values element-wise over all ranks, in place (any count, even beyond INT_MAX).
  void allreduce_sum(float* values, size_t count) const;
  void allreduce_sum(double* values, size_t count) const;
  // Every rank's `bytes`, in rank order, on rank `root`; an empty list on the other ranks.
  // Each rank's part must be under 2 GiB.
  std::vector<std::string> gather(const std::string& bytes, int root = 0) const;
  // Rank `root`'s `bytes` on every rank (the others' `bytes` are ignored); under 2 GiB.
  std::string broadcast(const std::string& bytes, int root) const;
  // Sends `bytes` to `destination` with `tag`, returning when the buffer may be reused (meant for
  // small control messages, which MPI sends without waiting for the receiver).
  void send(const std::string& bytes, int destination, int tag) const;
  // The next message from `source` (or MPI_ANY_SOURCE) with `tag` (or MPI_ANY_TAG) when one has
  // arrived; nothing otherwise. Never blocks.
  std::optional<Message> try_receive(int source, int tag) const;
  // This rank's index among the ranks of the communicator that share its node (collective).
  int node_rank() const;
  // Splits off the communicator of the ranks passing the same `color` (ordered by rank).
  MPI_Comm split(int color) const;
  MPI_Comm raw() const { return comm_; }

 private:
  MPI_Comm comm_;
};

// A non-blocking send that keeps its bytes alive until MPI has sent them.
class PendingSend {
 public:
  PendingSend(const Communicator& comm, std::shared_ptr<const std::string> bytes, int destination,
              int tag);
  // A send still under way is left to finish: its bytes are kept until the process ends.
  ~PendingSend();
  PendingSend(const PendingSend&) = delete;
  PendingSend& operator=(const PendingSend&) = delete;

  // Whether MPI is done with the bytes (the receiver may not have them yet).
  bool done();
  int destination() const { return destination_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  int destination_;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

// An owned communicator, freed at the end.
class OwnedCommunicator {
 public:
  explicit OwnedCommunicator(MPI_Comm comm) : comm_(comm) {}
  ~OwnedCommunicator();
  OwnedCommunicator(const OwnedCommunicator&) = delete;
  OwnedCommunicator& operator=(const OwnedCommunicator&) = delete;
  OwnedCommunicator(OwnedCommunicator&& other) noexcept;
  OwnedCommunicator& operator=(OwnedCommunicator&& other) noexcept;

  Communicator get() const { return Communicator(comm_); }
  // Whether this rank belongs to the communicator (MPI_Comm_split gives MPI_COMM_NULL otherwise).
  bool member() const { return comm_ != MPI_COMM_NULL; }

 private:
  MPI_Comm comm_;
};

// Ends the whole job from any rank: logs `message` as an error and calls MPI_Abort with
// `exit_code`, which every rank's mpirun or srun reports.
[[noreturn]] void abort_job(const std::string& message, int exit_code);

// Starts MPI (thread level MPI_THREAD_FUNNELED) for the life of the object; finalizes at the end.
// MPI errors in the world communicator raise exceptions instead of aborting silently.
class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  Communicator world() const { return Communicator(MPI_COMM_WORLD); }

 private:
  bool finalize_ = false;
};

// The MPI library's own version line (callable before MPI starts).
std::string mpi_library_version();

// Throws std::runtime_error naming `call` when an MPI call did not return MPI_SUCCESS.
void check_mpi(int code, const char* call);

}  // namespace spiral::dist
