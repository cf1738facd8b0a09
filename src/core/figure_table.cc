#include "spiral/core/figure_table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"

namespace spiral {
namespace {

bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return *end == '\0';
}

}  // namespace

FigureTable::FigureTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}

void FigureTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) {
    throw std::logic_error("FigureTable: a row has " + std::to_string(cells.size()) +
                           " cells for " + std::to_string(columns_.size()) + " columns");
  }
  rows_.push_back(std::move(cells));
}

std::string FigureTable::aligned() const {
  std::vector<size_t> widths;
  for (const auto& column : columns_) widths.push_back(column.size());
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string text;
  auto add_line = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(widths[c] - cells[c].size(), ' ');
      const bool right = !header && looks_numeric(cells[c]);
      if (c > 0) line += "  ";
      line += right ? pad + cells[c] : cells[c] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  };
  add_line(columns_, true);
  for (const auto& row : rows_) add_line(row, false);
  return text;
}

std::string FigureTable::csv() const {
  auto join = [](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) line += (c ? "," : "") + cells[c];
    return line + "\n";
  };
  std::string text = join(columns_);
  for (const auto& row : rows_) text += join(row);
  return text;
}

void write_csv_file(const std::string& path, const std::string& text) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!folder.empty()) std::filesystem::create_directories(folder, error);
  if (error) throw UserError(path + ": cannot create its folder (" + error.message() + ")");
  write_file_atomically(path, text);
}

void emit_table(const FigureTable& table, const std::string& csv_path) {
  std::cout << table.aligned() << std::flush;
  if (!csv_path.empty()) write_csv_file(csv_path, table.csv());
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

}  // namespace spiral
