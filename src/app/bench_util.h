// Shared pieces of the `spiral bench` actions: figure tables, timing statistics, list options
// and the compute device.
#pragma once

#include <c10/core/Device.h>

#include <functional>
#include <string>
#include <vector>

#include "command.h"
#include "spiral/core/config.h"

namespace spiral::app {

// A benchmark's figures: named columns and rows of cells, printed aligned or written as CSV.
class BenchTable {
 public:
  explicit BenchTable(std::vector<std::string> columns);

  // Appends a row; it must have one cell per column (std::logic_error otherwise).
  void add_row(std::vector<std::string> cells);
  // The header and the rows, each column padded to its widest cell (numbers right-aligned).
  std::string aligned() const;
  // The header and the rows as comma-separated values (cells must not contain commas).
  std::string csv() const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Writes a benchmark's CSV `text` to `path` atomically, creating its folder first.
void write_csv_file(const std::string& path, const std::string& text);

// Prints `table` aligned to stdout and, when `csv_path` is not empty, writes it there as CSV
// (write_csv_file).
void emit_table(const BenchTable& table, const std::string& csv_path);

// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);

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

// The integers of a comma-separated list ("1,8,32"), each in [min, max]; UserError naming
// `option` otherwise.
std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min,
                                int max);

// The numbers of a comma-separated list ("1,6.5"), each above `above` and below `below`;
// UserError naming `option` otherwise.
std::vector<double> parse_real_list(const std::string& option, const std::string& text,
                                    double above, double below);

// The words of a comma-separated list, each one of `allowed`; UserError naming `option` otherwise.
std::vector<std::string> parse_word_list(const std::string& option, const std::string& text,
                                         const std::vector<std::string>& allowed);

// The `--device` option (cpu or cuda).
OptionSpec device_option();

// The device `--device` names. UserError when it is cuda and LibTorch sees no CUDA device.
c10::Device bench_device(const Config& config);

// A function that waits for `device`'s queued work (nothing on the CPU).
std::function<void()> device_sync(const c10::Device& device);

// The actions of `spiral bench` besides `env`.
Command bench_inference_action();
Command bench_learner_action();
Command bench_allreduce_action();
Command bench_delivery_action();
Command bench_oracle_action();
Command bench_discriminator_action();
Command bench_profile_action();

}  // namespace spiral::app
