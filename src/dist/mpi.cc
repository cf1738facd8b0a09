#include "spiral/dist/mpi.h"

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace spiral::dist {
namespace {

template <typename T>
void allreduce_in_chunks(T* values, size_t count, MPI_Datatype type, MPI_Comm comm) {
  constexpr size_t kMaxChunk = INT_MAX;
  for (size_t offset = 0; offset < count; offset += kMaxChunk) {
    const int chunk = static_cast<int>(std::min(kMaxChunk, count - offset));
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + offset, chunk, type, MPI_SUM, comm),
              "MPI_Allreduce");
  }
}

}  // namespace

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, length));
}

int Communicator::rank() const {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm_, &rank), "MPI_Comm_rank");
  return rank;
}

int Communicator::size() const {
  int size = 0;
  check_mpi(MPI_Comm_size(comm_, &size), "MPI_Comm_size");
  return size;
}

void Communicator::barrier() const { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

void Communicator::allreduce_sum(float* values, size_t count) const {
  allreduce_in_chunks(values, count, MPI_FLOAT, comm_);
}

void Communicator::allreduce_sum(double* values, size_t count) const {
  allreduce_in_chunks(values, count, MPI_DOUBLE, comm_);
}

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;  // someone else owns MPI's lifetime
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  finalize_ = true;
}

MpiRuntime::~MpiRuntime() {
  if (finalize_) MPI_Finalize();
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, length);
  while (!version.empty() && (version.back() == '\n' || version.back() == '\0')) {
    version.pop_back();
  }
  const size_t comma = version.find(',');  // Open MPI appends package details after a comma
  return comma == std::string::npos ? version : version.substr(0, comma);
}

}  // namespace spiral::dist
