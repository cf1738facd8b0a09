// Averaging a list of tensors (a module's gradients) over the ranks of a communicator: fused
// bucketed MPI_Allreduce on CPU tensors, ncclAllReduce on CUDA tensors, and a per-tensor reference.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "spiral/dist/buckets.h"
#include "spiral/dist/mpi.h"

namespace spiral::dist {

// The buckets of `tensors` (kind: dtype and device) as plan_buckets makes them.
std::vector<Bucket> plan_tensor_buckets(const std::vector<torch::Tensor>& tensors,
                                        size_t bucket_bytes);

// The gradients of `parameters`, creating zero gradients where there are none, so that every
// rank reduces the same list (a parameter unused on one rank still takes part).
std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters);

// The reference: averages each CPU float or double tensor in place with its own MPI_Allreduce.
// Every rank passes the same list (order, shapes, dtypes). Throws std::invalid_argument for an
// undefined tensor, one not on the CPU, or another dtype.
void average_per_tensor(const Communicator& comm, const std::vector<torch::Tensor>& tensors);

// Averages CPU float or double tensors in place with one MPI_Allreduce per bucket: the tensors of
// a bucket are packed into a flat buffer (kept between calls), summed, divided by the rank count
// and unpacked. A bucket of one contiguous tensor is reduced in place. Same contract as
// average_per_tensor; the results agree with it up to the summation order of the MPI library.
class FusedAllreduce {
 public:
  // `bucket_bytes`: the most bytes one collective reduces (a larger tensor goes alone); > 0.
  explicit FusedAllreduce(Communicator comm, size_t bucket_bytes = kDefaultBucketBytes);

  // Averages `tensors` in place (collective: every rank of the communicator calls it).
  void average(const std::vector<torch::Tensor>& tensors);

  size_t bucket_bytes() const { return bucket_bytes_; }

 private:
  Communicator comm_;
  size_t bucket_bytes_;
  std::vector<torch::Tensor> buffers_;  // one flat buffer per bucket, reused when it fits
};

// An NCCL communicator over the ranks of an MPI communicator, one GPU per rank (the rank's index
// among the ranks of its node, modulo the visible GPUs). The unique id is broadcast over MPI.
class NcclAllreduce {
 public:
  // Collective over `comm`. Throws std::runtime_error when the build has no NCCL or LibTorch
  // sees no CUDA device.
  explicit NcclAllreduce(const Communicator& comm, size_t bucket_bytes = kDefaultBucketBytes);
  ~NcclAllreduce();
  NcclAllreduce(const NcclAllreduce&) = delete;
  NcclAllreduce& operator=(const NcclAllreduce&) = delete;

  // Averages CUDA tensors (float, double or half, all on device()) in place with one ncclAllReduce
  // per bucket; returns when the results are in the tensors. Collective.
  void average(const std::vector<torch::Tensor>& tensors);

  // The GPU this rank uses.
  torch::Device device() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spiral::dist
