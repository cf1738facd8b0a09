#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/checkpoint.h"

namespace spiral::app {
namespace {

namespace fs = std::filesystem;

std::vector<OptionGroup> inspect_options() {
  return {{"inspect",
           {
               positional(text_option("run", "", "Run folder (<run-dir>/<name>) to summarise")),
           }}};
}

// key -> value of the `key = value` lines of an INI file.
std::map<std::string, std::string> read_ini(const fs::path& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  static const std::regex line_pattern(R"(\s*([A-Za-z0-9_-]+)\s*=\s*(.*?)\s*)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch match;
    if (std::regex_match(line, match, line_pattern)) values[match[1]] = match[2];
  }
  return values;
}

std::string megabytes(uintmax_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e6 << " MB";
  return out.str();
}

// The configuration lines a reader of a run looks for first.
void print_configuration(const fs::path& run) {
  const fs::path path = run / "config.cfg";
  if (!fs::exists(path)) {
    std::cout << "configuration: none (no config.cfg)\n";
    return;
  }
  const std::map<std::string, std::string> values = read_ini(path);
  std::cout << "configuration: " << path.string() << "\n ";
  for (const char* key :
       {"mode", "dataset", "conditional", "canvas", "grid", "episode-length", "batch",
        "policy-size", "reward", "reward-timing", "lr", "frames", "seed"}) {
    const auto found = values.find(key);
    if (found != values.end()) std::cout << ' ' << key << '=' << found->second;
  }
  std::cout << '\n';
}

// A metrics.h5 column (empty when the file has none of that name).
template <typename T>
std::vector<T> column(const io::File& file, const std::string& name) {
  if (!file.root().has(name)) return {};
  return file.root().open_dataset(name).read<T>();
}

void print_metrics(const fs::path& run) {
  const fs::path path = run / "metrics.h5";
  if (!fs::exists(path)) {
    std::cout << "metrics: none (no metrics.h5)\n";
    return;
  }
  std::optional<io::File> opened;
  try {
    opened = io::File::open(path.string(), io::File::Mode::kSwmrRead);
  } catch (const UserError& error) {
    std::cout << "metrics: unreadable: " << error.what() << '\n';
    return;
  }
  const io::File& file = *opened;
  const std::vector<int64_t> steps = column<int64_t>(file, "step");
  if (steps.empty()) {
    std::cout << "metrics: " << path.string() << ", no update yet\n";
    return;
  }
  const size_t last = steps.size() - 1;
  const std::vector<int64_t> frames = column<int64_t>(file, "frames");
  const std::vector<double> wall = column<double>(file, "wall_time");
  std::cout << "metrics: " << path.string() << ", " << steps.size() << " rows: update "
            << steps[last] << ", " << (frames.size() > last ? frames[last] : 0) << " frames, "
            << format_duration(wall.size() > last ? wall[last] : NAN) << " of training\n ";
  for (const char* name :
       {"policy_loss", "value_loss", "entropy", "reward", "discriminator_loss", "grad_norm"}) {
    const std::vector<double> values = column<double>(file, name);
    if (values.size() > last) std::cout << ' ' << name << '=' << values[last];
  }
  const std::vector<double> mse = column<double>(file, "held_out_mse");
  for (size_t i = mse.size(); i-- > 0;) {
    if (std::isfinite(mse[i])) {
      std::cout << " held_out_mse=" << mse[i] << " (update " << steps[std::min(i, last)] << ')';
      break;
    }
  }
  std::cout << '\n';
  const std::vector<int64_t> skipped = column<int64_t>(file, "skipped");
  int64_t total = 0, in_a_row = 0;
  for (int64_t value : skipped) {
    total += value != 0;
    in_a_row = value != 0 ? in_a_row + 1 : 0;
  }
  if (total > 0) {
    std::cout << "  skipped updates (NaN or infinite gradients): " << total << ", " << in_a_row
              << " in a row at the end\n";
  }
}

void print_checkpoints(const fs::path& run) {
  const std::vector<fs::path> paths = learn::list_checkpoints(run);
  std::cout << "checkpoints: " << paths.size() << (paths.empty() ? "\n" : ", newest first\n");
  for (const fs::path& path : paths) {
    std::cout << "  " << path.filename().string() << "  " << megabytes(fs::file_size(path)) << "  ";
    try {
      const learn::CheckpointFile checkpoint(path);
      const learn::CheckpointCounters& counters = checkpoint.header().counters;
      std::cout << "valid: update " << counters.step << ", " << counters.frames << " frames, "
                << checkpoint.header().ranks << " rank(s)"
                << (checkpoint.header().has_replay ? ", with replay" : "") << '\n';
    } catch (const UserError& error) {
      std::cout << "INVALID: " << error.what() << '\n';
    }
  }
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run / "checkpoints", error)) {
    if (entry.path().extension() == ".tmp") {
      std::cout << "  " << entry.path().filename().string()
                << "  unfinished write (removed by the next checkpoint)\n";
    }
  }
}

void print_trajectories(const fs::path& run) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run / "trajectories", error)) {
    if (entry.path().extension() == ".h5") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::cout << "trajectory files: " << files.size() << '\n';
  for (const fs::path& path : files) {
    std::cout << "  " << path.filename().string() << "  ";
    try {
      const io::File file = io::File::open(path.string(), io::File::Mode::kSwmrRead);
      const std::vector<size_t> shape = file.root().open_dataset("commands").shape();
      std::cout << (shape.empty() ? 0 : shape.front()) << " episodes";
      // A replay holder records what it received when it closes the file.
      if (file.root().has_attribute("episodes_received")) {
        std::cout << " (of " << file.root().int_attribute("episodes_received")
                  << " received, fraction " << file.root().double_attribute("fraction_written")
                  << ")";
      }
      std::cout << '\n';
    } catch (const UserError& error) {
      std::cout << "unreadable: " << error.what() << '\n';
    }
  }
}

int run_inspect(const Config& config, CommandContext&) {
  const fs::path run(config.get_text("run"));
  if (run.empty()) throw UserError("spiral inspect RUN: expected a run folder (<run-dir>/<name>)");
  if (!fs::is_directory(run)) throw UserError(run.string() + ": no such folder");
  if (!fs::exists(run / "metrics.h5") && !fs::exists(run / "checkpoints")) {
    throw UserError(run.string() +
                    " is not a run folder (it holds neither metrics.h5 nor checkpoints/)");
  }
  std::cout << "run " << run.string() << '\n';
  print_configuration(run);
  print_metrics(run);
  print_checkpoints(run);
  print_trajectories(run);
  return 0;
}

}  // namespace

Command inspect_command() {
  return {"inspect",
          "Summarise a run folder: configuration, progress and last metrics, checkpoints (valid "
          "or why not), trajectory files.",
          inspect_options(),
          run_inspect,
          {}};
}

}  // namespace spiral::app
