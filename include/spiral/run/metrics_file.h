// metrics.h5 of a training run: its series, creating it, continuing it after a checkpoint, and
// appending a row per policy update. A population run keeps each member's series in a group
// member-<m> (with its hyper-parameters); the table helpers also serve population.h5.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "spiral/io/hdf5.h"

namespace spiral::run {

// One extendible 1-D series of metrics.h5 (a description ending in "(int64)" holds integers).
struct Series {
  std::string name;
  std::string units;
  std::string description;
};

// Every series, in the order of a row.
const std::vector<Series>& metric_series();

// The series a population member has besides metric_series(), in row order after them.
const std::vector<Series>& member_series();

// A group's series, in the order of their Series list.
struct Table {
  std::vector<Series> series;
  std::vector<io::Dataset> columns;
};

// metrics.h5 and its tables: one at the root (a single agent), or one per member of a population
// (groups member-0, member-1, ...).
struct MetricsFile {
  io::File file;
  std::vector<Table> tables;
};

// The group of population member `member` in metrics.h5: "member-<member>".
std::string member_group(int member);

// A new table of empty series in `group`.
Table create_table(io::Group group, const std::vector<Series>& series);

// Truncates the tables of `group_names` (empty: the root) in the file at `path` to whole rows whose
// first series (a step) is at most `step`, by copying them into a new file that replaces it (rows
// written after a checkpoint by a run that then died are dropped, and so is the open-for-writing
// mark a killed writer leaves), and reopens it for appending; its root attributes are kept.
// UserError when a series is missing.
io::File reopen_tables(const std::filesystem::path& path, const std::vector<std::string>& groups,
                       const std::vector<Series>& series, int64_t step, std::vector<Table>* tables);

// Appends one row, `row` in the table's series order (integers are exact up to 2^53).
void append_table_row(Table& table, const std::vector<double>& row);

// A new metrics.h5 with every series empty (`members` above 1: a table per member).
MetricsFile create_metrics(const std::filesystem::path& path, int members = 1);

// Reopens a run's metrics.h5 for appending after a checkpoint of `step` (see reopen_tables()).
MetricsFile reopen_metrics(const std::filesystem::path& path, int64_t step, int members = 1);

// Appends one row of metrics to table `table` (the member's), `row` in the table's series order,
// and flushes it for readers.
void append_row(MetricsFile& metrics, const std::vector<double>& row, int table = 0);

}  // namespace spiral::run
