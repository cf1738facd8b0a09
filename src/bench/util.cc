#include "spiral/bench/util.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "spiral/core/errors.h"

namespace spiral::bench {
double Timing::spread_percent() const { return median > 0 ? 100.0 * (max - min) / median : 0.0; }

Timing summarize(std::vector<double> seconds) {
  if (seconds.empty()) throw std::logic_error("summarize: no timings");
  std::sort(seconds.begin(), seconds.end());
  const size_t n = seconds.size();
  Timing timing;
  timing.median = n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  timing.min = seconds.front();
  timing.max = seconds.back();
  timing.repeats = static_cast<int>(n);
  return timing;
}

Timing time_repeats(const std::function<void()>& work, int warmup, int repeats,
                    const std::function<void()>& sync) {
  for (int i = 0; i < warmup; ++i) work();
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    sync();
    const auto start = std::chrono::steady_clock::now();
    work();
    sync();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return summarize(std::move(seconds));
}

OptionSpec device_option() {
  return choice_option("device", "cpu", {"cpu", "cuda"},
                       "Where the networks run (cuda: the first visible GPU)");
}

c10::Device bench_device(const Config& config) {
  if (config.get_text("device") != "cuda") return c10::Device(c10::kCPU);
  if (!torch::cuda::is_available()) {
    throw UserError(
        "--device cuda: LibTorch sees no CUDA device (no GPU here, or a CPU-only LibTorch); "
        "use --device cpu");
  }
  return c10::Device(c10::kCUDA, 0);
}

std::function<void()> device_sync(const c10::Device& device) {
  if (!device.is_cuda()) return [] {};
  const int64_t index = device.index();
  return [index] { torch::cuda::synchronize(index); };
}

}  // namespace spiral::bench
