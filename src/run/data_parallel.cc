#include "spiral/run/data_parallel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::run {

GradientAverager::GradientAverager(const dist::Communicator& world,
                                   learn::TrainerConfig* settings) {
  settings->rank = world.rank();
  if (world.size() == 1) return;
  if (settings->device.is_cuda()) {
    try {
      nccl_ = std::make_unique<dist::NcclAllreduce>(world);
    } catch (const std::runtime_error& error) {
      throw UserError(std::string("--device cuda on several ranks needs NCCL: ") + error.what());
    }
    settings->device = nccl_->device();
    settings->average_gradients = [this](const std::vector<torch::Tensor>& grads) {
      nccl_->average(grads);
    };
  } else {
    fused_ = std::make_unique<dist::FusedAllreduce>(world);
    settings->average_gradients = [this](const std::vector<torch::Tensor>& grads) {
      fused_->average(grads);
    };
  }
}

void check_ranks_agree(const dist::Communicator& world, learn::Trainer& trainer, int64_t step) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const torch::Tensor& p : trainer.policy()->parameters()) sum += p.sum().item<double>();
  for (const torch::Tensor& p : trainer.discriminator()->parameters()) {
    sum += p.sum().item<double>();
  }
  double mean = sum;
  world.allreduce_sum(&mean, 1);
  mean /= world.size();
  if (std::abs(mean - sum) > 1e-9 * std::max(1.0, std::abs(sum))) {
    throw std::runtime_error("rank " + std::to_string(world.rank()) + ": parameters differ from " +
                             "the other ranks' after update " + std::to_string(step) + " (sum " +
                             std::to_string(sum) + ", mean " + std::to_string(mean) + ")");
  }
}

}  // namespace spiral::run
