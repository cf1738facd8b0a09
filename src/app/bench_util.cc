#include "bench_util.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"

namespace spiral::app {
namespace {

bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return *end == '\0';
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) items.push_back(item);
  return items;
}

}  // namespace

BenchTable::BenchTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}

void BenchTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) {
    throw std::logic_error("BenchTable: a row has " + std::to_string(cells.size()) + " cells for " +
                           std::to_string(columns_.size()) + " columns");
  }
  rows_.push_back(std::move(cells));
}

std::string BenchTable::aligned() const {
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

std::string BenchTable::csv() const {
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

void emit_table(const BenchTable& table, const std::string& csv_path) {
  std::cout << table.aligned() << std::flush;
  if (!csv_path.empty()) write_csv_file(csv_path, table.csv());
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

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

std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min,
                                int max) {
  std::vector<int> values;
  for (const std::string& item : split_commas(text)) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < min || value > max) {
      throw UserError("--" + option + ": expected integers in [" + std::to_string(min) + ", " +
                      std::to_string(max) + "] separated by commas, got '" + text + "'");
    }
    values.push_back(static_cast<int>(value));
  }
  if (values.empty()) throw UserError("--" + option + ": expected at least one value");
  return values;
}

std::vector<double> parse_real_list(const std::string& option, const std::string& text,
                                    double above, double below) {
  std::vector<double> values;
  for (const std::string& item : split_commas(text)) {
    char* end = nullptr;
    const double value = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(value > above && value < below)) {
      std::ostringstream expected;
      expected << "--" << option << ": expected numbers above " << above << " and below " << below
               << " separated by commas, got '" << text << "'";
      throw UserError(expected.str());
    }
    values.push_back(value);
  }
  if (values.empty()) throw UserError("--" + option + ": expected at least one value");
  return values;
}

std::vector<std::string> parse_word_list(const std::string& option, const std::string& text,
                                         const std::vector<std::string>& allowed) {
  std::vector<std::string> words = split_commas(text);
  std::string choices;
  for (const auto& word : allowed) choices += (choices.empty() ? "" : ", ") + word;
  for (const std::string& word : words) {
    if (std::find(allowed.begin(), allowed.end(), word) == allowed.end()) {
      throw UserError("--" + option + ": expected a comma-separated list of " + choices +
                      ", got '" + text + "'");
    }
  }
  if (words.empty()) throw UserError("--" + option + ": expected at least one of " + choices);
  return words;
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

}  // namespace spiral::app
