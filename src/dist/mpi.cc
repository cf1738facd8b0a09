#include "spiral/dist/mpi.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <utility>

#include "spiral/core/logging.h"

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

std::vector<std::string> Communicator::gather(const std::string& bytes, int root) const {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("gather: " + std::to_string(bytes.size()) + " bytes is over 2 GiB");
  }
  const int mine = static_cast<int>(bytes.size());
  const bool is_root = rank() == root;
  std::vector<int> sizes(is_root ? size() : 0);
  check_mpi(MPI_Gather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, comm_), "MPI_Gather");
  std::vector<int> offsets(sizes.size());
  int64_t total = 0;
  for (size_t r = 0; r < sizes.size(); ++r) {
    if (total + sizes[r] > INT_MAX) throw std::runtime_error("gather: over 2 GiB in all");
    offsets[r] = static_cast<int>(total);
    total += sizes[r];
  }
  std::string all(static_cast<size_t>(total), '\0');
  check_mpi(MPI_Gatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(),
                        MPI_BYTE, root, comm_),
            "MPI_Gatherv");
  std::vector<std::string> parts;
  for (size_t r = 0; r < sizes.size(); ++r) parts.push_back(all.substr(offsets[r], sizes[r]));
  return parts;
}

std::string Communicator::broadcast(const std::string& bytes, int root) const {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("broadcast: " + std::to_string(bytes.size()) + " bytes is over 2 GiB");
  }
  int length = static_cast<int>(bytes.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_INT, root, comm_), "MPI_Bcast");
  std::string all = rank() == root ? bytes : std::string(static_cast<size_t>(length), '\0');
  check_mpi(MPI_Bcast(all.data(), length, MPI_BYTE, root, comm_), "MPI_Bcast");
  return all;
}

void Communicator::send(const std::string& bytes, int destination, int tag) const {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("send: " + std::to_string(bytes.size()) + " bytes is over 2 GiB");
  }
  check_mpi(
      MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination, tag, comm_),
      "MPI_Send");
}

std::optional<Message> Communicator::try_receive(int source, int tag) const {
  int arrived = 0;
  MPI_Status status;
  check_mpi(MPI_Iprobe(source, tag, comm_, &arrived, &status), "MPI_Iprobe");
  if (!arrived) return std::nullopt;
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message message{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<size_t>(count), '\0')};
  check_mpi(MPI_Recv(message.bytes.data(), count, MPI_BYTE, message.source, message.tag, comm_,
                     MPI_STATUS_IGNORE),
            "MPI_Recv");
  return message;
}

int Communicator::node_rank() const {
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  const OwnedCommunicator owned(node);
  return owned.get().rank();
}

MPI_Comm Communicator::split(int color) const {
  MPI_Comm part = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm_, color, rank(), &part), "MPI_Comm_split");
  return part;
}

PendingSend::PendingSend(const Communicator& comm, std::shared_ptr<const std::string> bytes,
                         int destination, int tag)
    : bytes_(std::move(bytes)), destination_(destination) {
  if (bytes_->size() > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("send: " + std::to_string(bytes_->size()) + " bytes is over 2 GiB");
  }
  check_mpi(MPI_Isend(bytes_->data(), static_cast<int>(bytes_->size()), MPI_BYTE, destination, tag,
                      comm.raw(), &request_),
            "MPI_Isend");
}

PendingSend::~PendingSend() {
  if (request_ == MPI_REQUEST_NULL) return;
  // MPI may still read the bytes: they must outlive the request, so they are kept for good.
  static std::vector<std::shared_ptr<const std::string>> kept;
  kept.push_back(bytes_);
  MPI_Request_free(&request_);
}

bool PendingSend::done() {
  if (request_ == MPI_REQUEST_NULL) return true;
  int complete = 0;
  check_mpi(MPI_Test(&request_, &complete, MPI_STATUS_IGNORE), "MPI_Test");
  return complete != 0;
}

OwnedCommunicator::~OwnedCommunicator() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

OwnedCommunicator::OwnedCommunicator(OwnedCommunicator&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)) {}

OwnedCommunicator& OwnedCommunicator::operator=(OwnedCommunicator&& other) noexcept {
  if (this != &other) {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
  }
  return *this;
}

void abort_job(const std::string& message, int exit_code) {
  log_error(message);
  std::cerr << std::flush;
  std::cout << std::flush;
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return
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
