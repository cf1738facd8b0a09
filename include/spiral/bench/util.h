// Shared pieces of the `spiral bench` actions: timing statistics and the compute device.
#pragma once

#include <c10/core/Device.h>

#include <functional>
#include <string>
#include <vector>

#include "spiral/core/config.h"
#include "spiral/core/figure_table.h"
#include "spiral/core/option_lists.h"

namespace spiral::bench {

// Statistics of repeated timings, in seconds.
struct Timing {
  double median = 0;
  double min = 0;
  double max = 0;
  int repeats = 0;
  // (max - min) / median, in percent.
  double spread_percent() const;
};

// Median, min and max of `seconds` (not empty).
Timing summarize(std::vector<double> seconds);

// Runs `work` `warmup` times untimed, then `repeats` times, each timed with a steady clock;
// `sync` runs before every clock reading (it waits for a GPU's queued work).
Timing time_repeats(const std::function<void()>& work, int warmup, int repeats,
                    const std::function<void()>& sync);

// The `--device` option (cpu or cuda).
OptionSpec device_option();

// The device `--device` names. UserError when it is cuda and LibTorch sees no CUDA device.
c10::Device bench_device(const Config& config);

// A function that waits for `device`'s queued work (nothing on the CPU).
std::function<void()> device_sync(const c10::Device& device);

}  // namespace spiral::bench
