// `spiral bench oracle`: the reconstruction error a greedy program search reaches on held-out
// images in a training input file's action space, against the blank canvas and the best program
// painted identically under every target.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/preprocess.h"
#include "spiral/io/png.h"
#include "spiral/learn/program_search.h"
#include "spiral/learn/trainer.h"
#include "spiral/render/action_spec.h"
#include "spiral/render/options.h"
#include "spiral/render/program.h"

namespace spiral::app {
namespace {

std::string ratio_text(double mse, double blank) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", mse / blank);
  return text;
}

int run_bench_oracle(const Config& config, CommandContext&) {
  const render::EnvironmentSettings settings = render::environment_settings(config);
  if (!config.get_bool("conditional")) {
    throw UserError("spiral bench oracle: the input file's agent is unconditional (no targets)");
  }
  const std::shared_ptr<const data::Dataset> dataset =
      data::open_dataset(config.get_text("dataset"));
  // The first --count of the fixed held-out images training evaluates on.
  std::vector<size_t> indices =
      learn::held_out_images(*dataset, static_cast<int>(config.get_int("held-out")));
  const size_t count = static_cast<size_t>(config.get_int("count"));
  if (count > 0 && count < indices.size()) indices.resize(count);
  const std::unique_ptr<render::Environment> probe = render::make_environment(settings);
  const render::Observation& blank_canvas = probe->reset(1);
  const int canvas = blank_canvas.width;
  const int channels = blank_canvas.channels;

  std::vector<Image> target_images;
  std::vector<std::vector<float>> targets;
  for (size_t index : indices) {
    target_images.push_back(learn::target_image(*dataset, index, canvas, channels));
    targets.push_back(data::to_unit_floats(target_images.back()));
  }
  std::vector<double> blank_mse;  // each target's
  double blank = 0;
  for (const std::vector<float>& target : targets) {
    blank_mse.push_back(learn::mean_squared_error(blank_canvas.canvas, target));
    blank += blank_mse.back() / static_cast<double>(targets.size());
  }

  learn::ProgramSearchOptions options;
  options.candidates = config.get_int("candidates");
  options.environment_seed = static_cast<uint64_t>(config.get_int("seed"));
  options.sample_seed = options.environment_seed;
  options.threads = static_cast<int>(config.get_int("render-threads"));
  if (options.threads == 0) options.threads = static_cast<int>(config.get_int("threads"));
  if (options.threads == 0) options.threads = 1;
  const double distinct = learn::distinct_command_count(settings);
  std::printf("oracle: %s, %.0f distinct commands, %d steps, %zu held-out images of %s; %s\n",
              probe->action_spec().describe().c_str(), distinct, probe->episode_length(),
              indices.size(), dataset->name().c_str(),
              options.candidates > 0 ? ("a sample of " + std::to_string(options.candidates) +
                                        " commands per step, then one pass over each part")
                                           .c_str()
                                     : "every command at every step");
  std::fflush(stdout);

  log_info("searching the best target-independent program (one program for all ", targets.size(),
           " targets)");
  const learn::ProgramSearchResult independent =
      learn::greedy_program_search(settings, targets, options);
  std::vector<learn::ProgramSearchResult> greedy;
  double greedy_mse = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    greedy.push_back(learn::greedy_program_search(settings, {targets[i]}, options));
    greedy_mse += greedy.back().mse;
    log_info("target ", i + 1, "/", targets.size(), " (dataset index ", indices[i],
             "): greedy mse ", greedy.back().mse, ", blank ", blank_mse[i]);
  }
  greedy_mse /= static_cast<double>(targets.size());

  BenchTable table({"program", "mse", "x_blank", "share_of_gain"});
  const double gain = blank - greedy_mse;
  const auto share = [&](double value) { return fixed((blank - value) / gain, 3); };
  table.add_row({"blank_canvas", fixed(blank, 5), "1.000", "0.000"});
  table.add_row({"best_target_independent", fixed(independent.mse, 5),
                 ratio_text(independent.mse, blank), share(independent.mse)});
  table.add_row({"greedy_search", fixed(greedy_mse, 5), ratio_text(greedy_mse, blank), "1.000"});
  emit_table(table, config.get_text("csv"));
  std::printf(
      "an agent's share of the reachable gain: (blank - agent) / (blank - greedy) = "
      "(%.5f - agent) / %.5f\n",
      blank, gain);

  const std::string out = config.get_text("out");
  if (!out.empty()) {
    const auto picture = [&](const std::vector<float>& values) {
      return image_from_unit_floats(values, canvas, canvas, channels);
    };
    // Targets, the target-independent program's canvas, then each target's greedy canvas.
    const size_t columns = std::min<size_t>(8, targets.size());
    std::vector<Image> cells(target_images.begin(), target_images.begin() + columns);
    cells.insert(cells.end(), columns, picture(independent.canvas));
    for (size_t i = 0; i < columns; ++i) {
      cells.push_back(picture(greedy[i].canvas));
    }
    std::filesystem::create_directories(out);
    const std::string path = (std::filesystem::path(out) / "oracle.png").string();
    io::write_png(path, tile_grid(cells, static_cast<int>(columns), 128));
    std::printf("oracle: %s (rows: targets, the target-independent program, greedy search)\n",
                path.c_str());
  }
  return 0;
}

}  // namespace

Command bench_oracle_action() {
  std::vector<OptionGroup> groups = train_option_groups();
  groups.push_back(
      {"oracle",
       {
           int_option("count", 0, 0, 65536, "images",
                      "Held-out images searched: the first of the fixed set training evaluates "
                      "on (--held-out; 0: all of them)"),
           int_option("candidates", 0, 0, 1 << 24, "commands",
                      "Commands scored per step (0: every distinct command; else a random "
                      "sample, then every value of each part of the best)"),
           text_option("out", "", "Folder for oracle.png (targets above the programs' canvases)"),
           text_option("csv", "", "Also write the table to this CSV file"),
       }});
  return {"oracle",
          "Greedy program search on held-out images: blank, best target-independent and "
          "per-target MSE in a training input file's action space.",
          groups,
          run_bench_oracle,
          {}};
}

}  // namespace spiral::app
