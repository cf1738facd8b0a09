#include "spiral/dist/allreduce.h"

#include <stdexcept>
#include <string>

#ifdef SPIRAL_HAVE_NCCL
#include <nccl.h>
#endif

namespace spiral::dist {
namespace {

// A bucket kind: dtype and device, packed into one int.
int tensor_kind(const torch::Tensor& tensor) {
  const torch::Device device = tensor.device();
  return (static_cast<int>(tensor.scalar_type()) * 64 + static_cast<int>(device.type())) * 256 +
         (device.index() + 1);
}

void check_cpu_tensor(const torch::Tensor& tensor) {
  if (!tensor.defined()) throw std::invalid_argument("allreduce: undefined tensor");
  if (!tensor.device().is_cpu()) {
    throw std::invalid_argument("allreduce: MPI path needs CPU tensors, got one on " +
                                tensor.device().str());
  }
  const auto type = tensor.scalar_type();
  if (type != torch::kFloat && type != torch::kDouble) {
    throw std::invalid_argument(std::string("allreduce: MPI path takes float or double, got ") +
                                c10::toString(type));
  }
}

// Sums a contiguous CPU float or double tensor in place over the ranks.
void sum_in_place(const Communicator& comm, const torch::Tensor& flat) {
  if (flat.scalar_type() == torch::kFloat) {
    comm.allreduce_sum(flat.data_ptr<float>(), static_cast<size_t>(flat.numel()));
  } else {
    comm.allreduce_sum(flat.data_ptr<double>(), static_cast<size_t>(flat.numel()));
  }
}

// Copies the bucket's tensors into `flat` (numel of the bucket), back to back.
void pack(const std::vector<torch::Tensor>& tensors, const Bucket& bucket,
          const torch::Tensor& flat) {
  int64_t offset = 0;
  for (size_t i = bucket.begin; i < bucket.end; ++i) {
    const int64_t n = tensors[i].numel();
    flat.narrow(0, offset, n).view(tensors[i].sizes()).copy_(tensors[i]);
    offset += n;
  }
}

// Copies `flat` back into the bucket's tensors.
void unpack(const torch::Tensor& flat, const Bucket& bucket,
            const std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (size_t i = bucket.begin; i < bucket.end; ++i) {
    const int64_t n = tensors[i].numel();
    tensors[i].copy_(flat.narrow(0, offset, n).view(tensors[i].sizes()));
    offset += n;
  }
}

int64_t bucket_numel(const std::vector<torch::Tensor>& tensors, const Bucket& bucket) {
  int64_t numel = 0;
  for (size_t i = bucket.begin; i < bucket.end; ++i) numel += tensors[i].numel();
  return numel;
}

}  // namespace

std::vector<Bucket> plan_tensor_buckets(const std::vector<torch::Tensor>& tensors,
                                        size_t bucket_bytes) {
  std::vector<BucketItem> items;
  items.reserve(tensors.size());
  for (const torch::Tensor& tensor : tensors) {
    items.push_back(
        {static_cast<size_t>(tensor.numel()) * tensor.element_size(), tensor_kind(tensor)});
  }
  return plan_buckets(items, bucket_bytes);
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> gradients;
  gradients.reserve(parameters.size());
  for (const torch::Tensor& parameter : parameters) {
    torch::Tensor grad = parameter.grad();
    if (!grad.defined()) {
      grad = torch::zeros_like(parameter);
      parameter.mutable_grad() = grad;
    }
    gradients.push_back(grad);
  }
  return gradients;
}

void average_per_tensor(const Communicator& comm, const std::vector<torch::Tensor>& tensors) {
  for (const torch::Tensor& tensor : tensors) check_cpu_tensor(tensor);
  const double ranks = comm.size();
  for (const torch::Tensor& tensor : tensors) {
    if (tensor.is_contiguous()) {
      sum_in_place(comm, tensor);
      tensor.div_(ranks);
    } else {
      const torch::Tensor copy = tensor.contiguous();
      sum_in_place(comm, copy);
      tensor.copy_(copy.div_(ranks));
    }
  }
}

FusedAllreduce::FusedAllreduce(Communicator comm, size_t bucket_bytes)
    : comm_(comm), bucket_bytes_(bucket_bytes) {
  if (bucket_bytes == 0) throw std::invalid_argument("FusedAllreduce: bucket_bytes must be > 0");
}

void FusedAllreduce::average(const std::vector<torch::Tensor>& tensors) {
  for (const torch::Tensor& tensor : tensors) check_cpu_tensor(tensor);
  const double ranks = comm_.size();
  const std::vector<Bucket> buckets = plan_tensor_buckets(tensors, bucket_bytes_);
  if (buffers_.size() < buckets.size()) buffers_.resize(buckets.size());
  for (size_t b = 0; b < buckets.size(); ++b) {
    const Bucket& bucket = buckets[b];
    const torch::Tensor& first = tensors[bucket.begin];
    if (bucket.end - bucket.begin == 1 && first.is_contiguous()) {
      sum_in_place(comm_, first);
      first.div_(ranks);
      continue;
    }
    const int64_t numel = bucket_numel(tensors, bucket);
    torch::Tensor& buffer = buffers_[b];
    if (!buffer.defined() || buffer.scalar_type() != first.scalar_type() ||
        buffer.numel() < numel) {
      buffer = torch::empty({numel}, first.options());
    }
    const torch::Tensor flat = buffer.narrow(0, 0, numel);
    pack(tensors, bucket, flat);
    sum_in_place(comm_, flat);
    flat.div_(ranks);
    unpack(flat, bucket, tensors);
  }
}

#ifdef SPIRAL_HAVE_NCCL

namespace {

void check_nccl(ncclResult_t result, const char* call) {
  if (result != ncclSuccess) {
    throw std::runtime_error(std::string(call) + " failed: " + ncclGetErrorString(result));
  }
}

ncclDataType_t nccl_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat:
      return ncclFloat;
    case torch::kDouble:
      return ncclDouble;
    case torch::kHalf:
      return ncclHalf;
    default:
      throw std::invalid_argument(std::string("allreduce: NCCL path takes float, double or half, "
                                              "got ") +
                                  c10::toString(type));
  }
}

}  // namespace

struct NcclAllreduce::State {
  ncclComm_t comm = nullptr;
  torch::Device device{torch::kCUDA, 0};
  int ranks = 1;
  size_t bucket_bytes = kDefaultBucketBytes;
  std::vector<torch::Tensor> buffers;
};

NcclAllreduce::NcclAllreduce(const Communicator& comm, size_t bucket_bytes)
    : state_(std::make_unique<State>()) {
  if (bucket_bytes == 0) throw std::invalid_argument("NcclAllreduce: bucket_bytes must be > 0");
  if (!torch::cuda::is_available()) {
    throw std::runtime_error("NCCL allreduce: LibTorch sees no CUDA device");
  }
  const int gpus = static_cast<int>(torch::cuda::device_count());
  state_->device =
      torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.node_rank() % gpus));
  state_->ranks = comm.size();
  state_->bucket_bytes = bucket_bytes;
  ncclUniqueId id;
  if (comm.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  check_mpi(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, comm.raw()), "MPI_Bcast");
  const c10::DeviceGuard guard(state_->device);
  check_nccl(ncclCommInitRank(&state_->comm, state_->ranks, id, comm.rank()), "ncclCommInitRank");
}

NcclAllreduce::~NcclAllreduce() {
  if (state_ && state_->comm != nullptr) ncclCommDestroy(state_->comm);
}

torch::Device NcclAllreduce::device() const { return state_->device; }

void NcclAllreduce::average(const std::vector<torch::Tensor>& tensors) {
  for (const torch::Tensor& tensor : tensors) {
    if (!tensor.defined() || tensor.device() != state_->device) {
      throw std::invalid_argument("NCCL allreduce: every tensor must be on " +
                                  state_->device.str());
    }
    nccl_type(tensor.scalar_type());
  }
  const c10::DeviceGuard guard(state_->device);
  const std::vector<Bucket> buckets = plan_tensor_buckets(tensors, state_->bucket_bytes);
  if (state_->buffers.size() < buckets.size()) state_->buffers.resize(buckets.size());
  std::vector<torch::Tensor> flats(buckets.size());
  std::vector<bool> packed(buckets.size(), false);
  for (size_t b = 0; b < buckets.size(); ++b) {
    const Bucket& bucket = buckets[b];
    const torch::Tensor& first = tensors[bucket.begin];
    if (bucket.end - bucket.begin == 1 && first.is_contiguous()) {
      flats[b] = first;  // reduced in place
      continue;
    }
    packed[b] = true;
    const int64_t numel = bucket_numel(tensors, bucket);
    torch::Tensor& buffer = state_->buffers[b];
    if (!buffer.defined() || buffer.scalar_type() != first.scalar_type() ||
        buffer.numel() < numel) {
      buffer = torch::empty({numel}, first.options());
    }
    flats[b] = buffer.narrow(0, 0, numel);
    pack(tensors, bucket, flats[b]);
  }
  // The packing and the gradients were written on LibTorch's streams; NCCL runs on the legacy
  // default stream after they have finished, and everything after waits for NCCL.
  torch::cuda::synchronize(state_->device.index());
  for (const torch::Tensor& flat : flats) {
    check_nccl(ncclAllReduce(flat.data_ptr(), flat.data_ptr(), static_cast<size_t>(flat.numel()),
                             nccl_type(flat.scalar_type()), ncclSum, state_->comm, nullptr),
               "ncclAllReduce");
  }
  torch::cuda::synchronize(state_->device.index());
  for (size_t b = 0; b < buckets.size(); ++b) {
    flats[b].div_(static_cast<double>(state_->ranks));
    if (packed[b]) unpack(flats[b], buckets[b], tensors);
  }
}

#else

struct NcclAllreduce::State {};

NcclAllreduce::NcclAllreduce(const Communicator&, size_t) {
  throw std::runtime_error("NCCL allreduce: this build of spiral has no NCCL");
}

NcclAllreduce::~NcclAllreduce() = default;

torch::Device NcclAllreduce::device() const { return torch::Device(torch::kCPU); }

void NcclAllreduce::average(const std::vector<torch::Tensor>&) {
  throw std::runtime_error("NCCL allreduce: this build of spiral has no NCCL");
}

#endif

}  // namespace spiral::dist
