// Data-parallel --mode sync on several ranks: gradient averaging and the parameter agreement check.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "spiral/dist/allreduce.h"
#include "spiral/dist/mpi.h"
#include "spiral/learn/trainer.h"

namespace spiral::run {

// Averages both networks' gradients over the ranks of a multi-rank --mode sync run: one fused
// MPI_Allreduce per bucket for CPU training, ncclAllReduce (one GPU per rank) for CUDA training.
class GradientAverager {
 public:
  // Installs itself in `settings` (and picks this rank's GPU) when `world` has several ranks.
  GradientAverager(const dist::Communicator& world, learn::TrainerConfig* settings);

 private:
  std::unique_ptr<dist::FusedAllreduce> fused_;
  std::unique_ptr<dist::NcclAllreduce> nccl_;
};

// Throws std::runtime_error naming this rank when its parameters (their sum, for both networks)
// differ from the ranks' mean: data-parallel ranks must stay identical. Collective.
void check_ranks_agree(const dist::Communicator& world, learn::Trainer& trainer, int64_t step);

}  // namespace spiral::run
