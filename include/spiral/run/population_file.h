// population.h5 of a population run: one row per PBT event (a member's start, and each exploit
// and explore), readable while the run writes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "spiral/learn/pbt.h"
#include "spiral/run/metrics_file.h"

namespace spiral::run {

// The series of population.h5, in row order.
const std::vector<Series>& population_series();

// population.h5, open for appending.
class PopulationFile {
 public:
  // A new file for `members` members evolved every `interval` updates; `fitness` says what the
  // fitness is. Its first rows are every member's initial hyper-parameters (update 0, copied
  // from itself, fitness NaN).
  static PopulationFile create(const std::filesystem::path& path, int members, int64_t interval,
                               bool shared_discriminator, const std::string& fitness,
                               const std::vector<learn::HyperParameters>& initial);
  // Reopens it after a checkpoint of `step`, dropping rows of later updates.
  static PopulationFile reopen(const std::filesystem::path& path, int64_t step);

  // Appends the events of the round after update `step`, and flushes them for readers.
  void append(int64_t step, const std::vector<learn::PbtEvent>& events);
  // Switches to single-writer/multiple-reader mode.
  void start_swmr_write() { file_.start_swmr_write(); }

 private:
  PopulationFile(io::File file, Table table) : file_(std::move(file)), table_(std::move(table)) {}

  io::File file_;
  Table table_;
};

}  // namespace spiral::run
