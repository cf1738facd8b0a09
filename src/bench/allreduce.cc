// `spiral bench allreduce`: the fused (bucketed) gradient allreduce against one allreduce per
// parameter, for the policy's and the discriminator's parameter lists. Run it under mpirun.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/models.h"
#include "spiral/bench/util.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/dist/allreduce.h"
#include "spiral/dist/mpi.h"

namespace spiral::bench {
namespace {

// Random tensors with the shapes of `parameters`, on `device`.
std::vector<torch::Tensor> like(const std::vector<torch::Tensor>& parameters,
                                const torch::Device& device) {
  std::vector<torch::Tensor> tensors;
  for (const torch::Tensor& parameter : parameters) {
    tensors.push_back(torch::randn(parameter.sizes(), torch::TensorOptions().device(device)));
  }
  return tensors;
}

int run_bench_allreduce(const Config& config, CommandContext& context) {
  dist::MpiRuntime mpi(context.argc, context.argv);
  const dist::Communicator comm = mpi.world();
  set_log_identity(comm.rank(), "main");
  const torch::Device device = bench_device(config);
  const bool rgb = config.get_text("color") == "rgb";
  const bool conditional = config.get_bool("conditional");
  const std::string size = config.get_text("size");
  const int warmup = static_cast<int>(config.get_int("warmup"));
  const int repeats = static_cast<int>(config.get_int("repeats"));
  const double bucket_mb = config.get_real("bucket-mb");
  const size_t bucket_bytes = static_cast<size_t>(bucket_mb * (1 << 20));
  if (bucket_bytes == 0) throw UserError("--bucket-mb: expected at least one byte");
  torch::manual_seed(static_cast<uint64_t>(config.get_int("seed")) + comm.rank());
  const bool root = comm.rank() == 0;
  if (root) {
    std::cout << "gradient allreduce over " << comm.size() << " ranks, "
              << (device.is_cpu() ? "MPI on CPU tensors" : "NCCL on CUDA tensors") << ", " << size
              << " policy and discriminator (64x64 " << (rgb ? "rgb" : "gray") << ", "
              << (conditional ? "conditional" : "unconditional") << "), bucket "
              << fixed(bucket_mb, 1) << " MiB, " << repeats << " repeats after " << warmup
              << " warm-up\n";
  }

  // The fused path and the per-parameter reference for this device.
  std::unique_ptr<dist::FusedAllreduce> cpu_fused;
  std::unique_ptr<dist::NcclAllreduce> nccl_fused;
  std::unique_ptr<dist::NcclAllreduce> nccl_single;
  if (device.is_cpu()) {
    cpu_fused = std::make_unique<dist::FusedAllreduce>(comm, bucket_bytes);
  } else {
    nccl_fused = std::make_unique<dist::NcclAllreduce>(comm, bucket_bytes);
    nccl_single = std::make_unique<dist::NcclAllreduce>(comm, 1);  // one tensor per bucket
  }
  auto fused = [&](const std::vector<torch::Tensor>& tensors) {
    if (cpu_fused) {
      cpu_fused->average(tensors);
    } else {
      nccl_fused->average(tensors);
    }
  };
  auto per_tensor = [&](const std::vector<torch::Tensor>& tensors) {
    if (cpu_fused) {
      dist::average_per_tensor(comm, tensors);
    } else {
      nccl_single->average(tensors);
    }
  };
  const auto barrier = [&comm] { comm.barrier(); };

  const model::Policy policy(bench_policy_config(size, rgb, conditional), bench_action_spec(rgb));
  const model::Discriminator discriminator(bench_discriminator_config(rgb, conditional));
  struct List {
    std::string name;
    std::vector<torch::Tensor> tensors;
  };
  const std::vector<List> lists = {{"policy", like(policy->parameters(), device)},
                                   {"discriminator", like(discriminator->parameters(), device)}};
  FigureTable table({"parameters", "tensors", "mib", "ranks", "device", "bucket_mib", "fused_ms",
                     "fused_spread_pct", "per_tensor_ms", "per_tensor_spread_pct",
                     "per_tensor_over_fused", "repeats"});
  for (const List& list : lists) {
    int64_t bytes = 0;
    for (const auto& tensor : list.tensors) bytes += tensor.numel() * tensor.element_size();
    if (root) log_info("allreduce: ", list.name, ", ", list.tensors.size(), " tensors");
    // The two paths alternate, so that both see the same background load.
    std::vector<double> fused_seconds;
    std::vector<double> single_seconds;
    for (int i = 0; i < warmup + repeats; ++i) {
      const Timing a = time_repeats([&] { fused(list.tensors); }, 0, 1, barrier);
      const Timing b = time_repeats([&] { per_tensor(list.tensors); }, 0, 1, barrier);
      if (i < warmup) continue;
      fused_seconds.push_back(a.median);
      single_seconds.push_back(b.median);
    }
    const Timing fused_time = summarize(fused_seconds);
    const Timing single_time = summarize(single_seconds);
    table.add_row({list.name, std::to_string(list.tensors.size()),
                   fixed(static_cast<double>(bytes) / (1 << 20), 2), std::to_string(comm.size()),
                   device.str(), fixed(bucket_mb, 1), fixed(1000 * fused_time.median, 3),
                   fixed(fused_time.spread_percent(), 1), fixed(1000 * single_time.median, 3),
                   fixed(single_time.spread_percent(), 1),
                   fixed(single_time.median / fused_time.median, 2),
                   std::to_string(fused_time.repeats)});
  }
  if (root) emit_table(table, config.get_text("csv"));
  return 0;
}

}  // namespace

Command allreduce_action() {
  return {
      "allreduce",
      "Fused (bucketed) against per-parameter gradient allreduce; run under mpirun.",
      {{"bench",
        {
            real_option("bucket-mb", 25, 0, 1 << 20, "MiB", "Bucket size of the fused path"),
            choice_option("size", "paper", {"paper", "small"},
                          "Policy size: paper (8 blocks, LSTM 256), small (2 blocks, LSTM 128)"),
            choice_option("color", "gray", {"gray", "rgb"}, "Canvas colours"),
            bool_option("conditional", true, "Networks see a target image"),
            int_option("repeats", 20, 1, 100000, "repeats", "Timed allreduces per path"),
            int_option("warmup", 3, 0, 100000, "repeats", "Untimed allreduces first"),
            device_option(),
            text_option("csv", "", "Also write the table to this CSV file (rank 0)"),
        }}},
      run_bench_allreduce,
      {}};
}

}  // namespace spiral::bench
