// metrics.h5 of a training run: its series, creating it, continuing it after a checkpoint, and
// appending a row per policy update.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "spiral/io/hdf5.h"

namespace spiral::app {

// One extendible 1-D series of metrics.h5.
struct Series {
  std::string name;
  std::string units;
  std::string description;
};

// Every series, in the order of a row.
const std::vector<Series>& metric_series();

// metrics.h5 and its columns, in metric_series() order.
struct MetricsFile {
  io::File file;
  std::vector<io::Dataset> columns;
};

// A new metrics.h5 with every series empty.
MetricsFile create_metrics(const std::filesystem::path& path);

// Reopens a run's metrics.h5 for appending after a checkpoint of `step`. Its rows up to that
// step are copied into a new file that replaces it: rows of later steps (written after that
// checkpoint by a run that then died) are dropped, and so is the open-for-writing mark a killed
// writer leaves in the file, which would refuse opening it for writing. UserError when a series
// is missing.
MetricsFile reopen_metrics(const std::filesystem::path& path, int64_t step);

// Appends one row of metrics, `row` in metric_series() order (integers are exact up to 2^53),
// and flushes it for readers.
void append_row(MetricsFile& metrics, const std::vector<double>& row);

}  // namespace spiral::app
