// Figures as a table: named columns and rows of cells, printed aligned or written as CSV (the
// benchmarks' output and the sample figures of `spiral sample`).
#pragma once

#include <string>
#include <vector>

namespace spiral {

// Figures: named columns and rows of cells, printed aligned or written as CSV.
class FigureTable {
 public:
  explicit FigureTable(std::vector<std::string> columns);

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
void emit_table(const FigureTable& table, const std::string& csv_path);

// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);

}  // namespace spiral
