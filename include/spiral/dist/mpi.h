// MPI: RAII start-up and shutdown, and a communicator with the collectives the project uses.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>
#include <vector>

namespace spiral::dist {

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
  MPI_Comm raw() const { return comm_; }

 private:
  MPI_Comm comm_;
};

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
