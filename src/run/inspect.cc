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

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/checkpoint.h"
#include "spiral/run/commands.h"

namespace spiral::run {
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

// A column of a metrics.h5 table (empty when the group has none of that name).
template <typename T>
std::vector<T> column(const io::Group& group, const std::string& name) {
  if (!group.has(name)) return {};
  return group.open_dataset(name).read<T>();
}

// The summary of one table of metrics.h5 (the root, or a population member's group) under `label`.
void print_table(const io::Group& file, const std::string& label) {
  const std::vector<int64_t> steps = column<int64_t>(file, "step");
  if (steps.empty()) {
    std::cout << label << ", no update yet\n";
    return;
  }
  const size_t last = steps.size() - 1;
  const std::vector<int64_t> frames = column<int64_t>(file, "frames");
  const std::vector<double> wall = column<double>(file, "wall_time");
  std::cout << label << ", " << steps.size() << " rows: update " << steps[last] << ", "
            << (frames.size() > last ? frames[last] : 0) << " frames, "
            << format_duration(wall.size() > last ? wall[last] : NAN) << " of training\n ";
  for (const char* name : {"policy_loss", "value_loss", "entropy", "reward", "discriminator_loss",
                           "grad_norm", "policy_lr", "entropy_cost"}) {
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
  if (!file.root().has_attribute("members")) {
    print_table(file.root(), "metrics: " + path.string());
    return;
  }
  const int64_t members = file.root().int_attribute("members");
  std::cout << "metrics: " << path.string() << ", a population of " << members << " members\n";
  for (int64_t m = 0; m < members; ++m) {
    const std::string group = "member-" + std::to_string(m);
    if (file.root().has(group)) print_table(file.root().open_group(group), "  " + group);
  }
}

// population.h5 of a population run: its settings, every member's current hyper-parameters and
// the last PBT events.
void print_population(const fs::path& run) {
  const fs::path path = run / "population.h5";
  if (!fs::exists(path)) return;
  try {
    const io::File file = io::File::open(path.string(), io::File::Mode::kSwmrRead);
    const io::Group root = file.root();
    const int64_t members = root.int_attribute("members");
    std::cout << "population: " << path.string() << ", " << members << " members, PBT every "
              << root.int_attribute("pbt_interval") << " updates, "
              << (root.int_attribute("shared_discriminator") != 0 ? "one shared discriminator"
                                                                  : "a discriminator each")
              << ", fitness " << root.string_attribute("fitness") << '\n';
    const std::vector<int64_t> update = column<int64_t>(root, "update");
    const std::vector<int64_t> member = column<int64_t>(root, "member");
    const std::vector<int64_t> source = column<int64_t>(root, "source");
    const std::vector<double> lr = column<double>(root, "new_policy_lr");
    const std::vector<double> entropy = column<double>(root, "new_entropy_cost");
    const std::vector<double> fitness = column<double>(root, "member_fitness");
    const std::vector<double> source_fitness = column<double>(root, "source_fitness");
    const size_t rows = std::min({update.size(), member.size(), source.size(), lr.size(),
                                  entropy.size(), fitness.size(), source_fitness.size()});
    std::vector<std::pair<double, double>> now(static_cast<size_t>(std::max<int64_t>(members, 0)),
                                               {NAN, NAN});
    size_t exploits = 0;
    for (size_t i = 0; i < rows; ++i) {
      if (member[i] >= 0 && member[i] < members) now[member[i]] = {lr[i], entropy[i]};
      exploits += update[i] > 0;
    }
    for (size_t m = 0; m < now.size(); ++m) {
      std::cout << "  member " << m << ": policy lr " << now[m].first << ", entropy cost "
                << now[m].second << '\n';
    }
    std::cout << "  " << exploits << " exploit step(s)" << (exploits > 0 ? ", the last:" : "")
              << '\n';
    for (size_t i = rows, shown = 0; i-- > 0 && shown < 3 && update[i] > 0; ++shown) {
      std::cout << "    update " << update[i] << ": member " << member[i] << " (fitness "
                << fitness[i] << ") copied member " << source[i] << " (fitness "
                << source_fitness[i] << ")\n";
    }
  } catch (const UserError& error) {
    std::cout << "population: unreadable: " << error.what() << '\n';
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
                << (checkpoint.has_population() ? ", the whole population" : "")
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
  if (!fs::is_directory(run)) {
    const bool exists = fs::exists(run);
    throw UserError(run.string() + (exists ? ": not a folder; spiral inspect takes a run folder"
                                           : ": no such folder"));
  }
  if (!fs::exists(run / "metrics.h5") && !fs::exists(run / "checkpoints")) {
    throw UserError(run.string() +
                    " is not a run folder (it holds neither metrics.h5 nor checkpoints/)");
  }
  std::cout << "run " << run.string() << '\n';
  print_configuration(run);
  print_metrics(run);
  print_population(run);
  print_checkpoints(run);
  print_trajectories(run);
  return 0;
}

}  // namespace

Command inspect_command() {
  return {"inspect",
          "Summarise a run folder: configuration, progress and last metrics (each member's, and "
          "the PBT events of a population), checkpoints (valid or why not), trajectory files.",
          inspect_options(),
          run_inspect,
          {}};
}

}  // namespace spiral::run
