// `spiral bench oracle`: the reconstruction error a greedy program search reaches on held-out
// images in a training input file's action space, against the blank canvas and the best program
// painted identically under every target.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/util.h"
#include "spiral/core/command.h"
#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/scenes.h"
#include "spiral/io/png.h"
#include "spiral/learn/digit_classifier.h"
#include "spiral/learn/program_search.h"
#include "spiral/learn/rollout.h"
#include "spiral/learn/trainer.h"
#include "spiral/render/action_spec.h"
#include "spiral/render/options.h"
#include "spiral/render/program.h"
#include "spiral/run/train_settings.h"

namespace spiral::bench {
namespace {

// Spaces of at most this many distinct commands are searched command by command by default;
// larger ones (the scene builder's 393,217) by a sample of kDefaultSample commands per step.
constexpr double kLargestSearchedWhole = 1 << 16;
constexpr int64_t kDefaultSample = 1024;

std::string ratio_text(double mse, double blank) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", mse / blank);
  return text;
}

// How the programs' scenes recover the targets' objects (scene datasets only).
class ParseColumns {
 public:
  ParseColumns(const render::EnvironmentSettings& settings, const data::Dataset& dataset,
               const std::vector<size_t>& indices)
      : settings_(settings.scene),
        scenes_(data::matching_scenes(dataset, settings)),
        indices_(indices) {}

  std::vector<std::string> names() const {
    if (!scenes_) return {};
    return {"objects_exact", "within_one_cell", "count_error"};
  }
  // The columns of `programs`, the i-th built under target i (or one program under every target).
  std::vector<std::string> cells(const std::vector<std::vector<render::Command>>& programs) const {
    if (!scenes_) return {};
    const render::SceneParseTotals totals(
        data::parse_programs(*scenes_, settings_, indices_, programs));
    return {fixed(totals.exact_share(), 3), fixed(totals.within_one_cell_share(), 3),
            fixed(totals.mean_absolute_count_error(), 2)};
  }

 private:
  render::SceneSettings settings_;
  const data::ScenesDataset* scenes_;
  std::vector<size_t> indices_;
};

// What --classifier reads in the programs' canvases: the share classified as their target's
// label (labelled datasets only).
class ClassifierColumn {
 public:
  ClassifierColumn(const std::string& path, const data::Dataset& dataset, const std::string& spec,
                   const std::vector<size_t>& indices) {
    if (path.empty()) return;
    const learn::TrainedClassifier classifier = learn::load_digit_classifier(path);
    learn::check_classifier_fits(classifier, path, dataset, spec);
    network_ = classifier.network;
    std::vector<int64_t> labels;
    for (size_t index : indices) labels.push_back(dataset.label(index));
    targets_.labels = torch::tensor(labels, torch::kInt64);
    targets_.indices = indices;
  }

  std::vector<std::string> names() const {
    if (!network_) return {};
    return {"classified_as_target"};
  }
  // The column of `canvases` (the observation's layout), the i-th painted under target i, or one
  // painted under every target.
  std::vector<std::string> cells(const std::vector<std::vector<float>>& canvases, int canvas,
                                 int channels) const {
    if (!network_) return {};
    std::vector<torch::Tensor> images;
    for (const std::vector<float>& values : canvases) {
      images.push_back(
          learn::image_to_tensor(image_from_unit_floats(values, canvas, canvas, channels)));
    }
    learn::LabelledImages scored = targets_;
    scored.images = torch::stack(images).expand({targets_.labels.size(0), -1, -1, -1});
    model::DigitClassifier network = network_;
    return {fixed(learn::classifier_accuracy(network, scored), 3)};
  }

 private:
  model::DigitClassifier network_{nullptr};
  learn::LabelledImages targets_;  // the targets' labels, without images
};

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The columns each row adds after its MSE: the scene parse's and the classifier's.
struct RowColumns {
  const ParseColumns& parse;
  const ClassifierColumn& classifier;
  int canvas = 0;
  int channels = 0;

  std::vector<std::string> names() const { return joined(parse.names(), classifier.names()); }
  // The cells of `programs` and their `canvases`: one of each per target, or one for every target.
  std::vector<std::string> cells(const std::vector<std::vector<render::Command>>& programs,
                                 const std::vector<std::vector<float>>& canvases) const {
    return joined(parse.cells(programs), classifier.cells(canvases, canvas, channels));
  }
};

// --local-search's budgets, smallest first (none for an empty text).
std::vector<int64_t> local_search_budgets(const std::string& text) {
  if (text.empty()) return {};
  const std::vector<int> listed = parse_int_list("local-search", text, 1, 1 << 24);
  std::vector<int64_t> budgets(listed.begin(), listed.end());
  std::sort(budgets.begin(), budgets.end());
  return budgets;
}

// Hill climbing's best programs after each budget: their mean MSE and, per target, the programs.
struct LocalSearches {
  std::vector<double> mse;                                          // [budget]
  std::vector<std::vector<std::vector<render::Command>>> programs;  // [budget][target]
  std::vector<std::vector<std::vector<float>>> canvases;            // [budget][target]
};

LocalSearches local_searches(const render::EnvironmentSettings& settings,
                             const std::vector<std::vector<float>>& targets,
                             const std::vector<int64_t>& budgets,
                             const learn::ProgramSearchOptions& options) {
  LocalSearches result;
  result.mse.assign(budgets.size(), 0);
  result.programs.resize(budgets.size());
  result.canvases.resize(budgets.size());
  if (budgets.empty()) return result;
  learn::LocalSearchOptions local;
  local.budgets = budgets;
  local.environment_seed = options.environment_seed;
  for (size_t i = 0; i < targets.size(); ++i) {
    local.sample_seed = options.sample_seed + i;
    const std::vector<learn::ProgramSearchResult> found =
        learn::local_program_search(settings, targets[i], local);
    for (size_t b = 0; b < found.size(); ++b) {
      result.mse[b] += found[b].mse / static_cast<double>(targets.size());
      result.programs[b].push_back(found[b].program);
      result.canvases[b].push_back(found[b].canvas);
    }
    log_info("target ", i + 1, "/", targets.size(), ": local search mse ", found.back().mse,
             " after ", budgets.back(), " programs");
  }
  return result;
}

// The oracle's targets: the first --count of the fixed held-out images training evaluates on, as
// images and unit floats, with the blank canvas's MSE to each.
struct OracleTargets {
  std::vector<size_t> indices;
  std::vector<Image> images;
  std::vector<std::vector<float>> values;
  std::vector<float> blank_canvas;
  std::vector<double> blank_mse;  // each target's
  double blank = 0;               // their mean
  int canvas = 0;
  int channels = 0;
};

OracleTargets oracle_targets(const Config& config, const data::Dataset& dataset,
                             const render::Observation& blank_canvas) {
  OracleTargets t;
  t.indices = learn::held_out_images(dataset, static_cast<int>(config.get_int("held-out")));
  const size_t count = static_cast<size_t>(config.get_int("count"));
  if (count > 0 && count < t.indices.size()) t.indices.resize(count);
  t.canvas = blank_canvas.width;
  t.channels = blank_canvas.channels;
  t.blank_canvas = blank_canvas.canvas;
  for (size_t index : t.indices) {
    t.images.push_back(learn::target_image(dataset, index, t.canvas, t.channels));
    t.values.push_back(data::to_unit_floats(t.images.back()));
  }
  for (const std::vector<float>& target : t.values) {
    t.blank_mse.push_back(learn::mean_squared_error(blank_canvas.canvas, target));
    t.blank += t.blank_mse.back() / static_cast<double>(t.values.size());
  }
  return t;
}

// The greedy search's options from --candidates (0: every command, or a sample in a space too
// large to search whole), --seed and the rendering threads.
learn::ProgramSearchOptions search_options(const Config& config, double distinct) {
  learn::ProgramSearchOptions options;
  options.candidates = config.get_int("candidates");
  if (options.candidates == 0 && distinct > kLargestSearchedWhole) {
    options.candidates = kDefaultSample;
  }
  options.environment_seed = static_cast<uint64_t>(config.get_int("seed"));
  options.sample_seed = options.environment_seed;
  options.threads = static_cast<int>(config.get_int("render-threads"));
  if (options.threads == 0) options.threads = static_cast<int>(config.get_int("threads"));
  if (options.threads == 0) options.threads = 1;
  return options;
}

// The searches' figures: one row per program (blank canvas, the best target-independent program,
// the greedy search, each local-search budget), with the scene parse's columns.
FigureTable oracle_table(const OracleTargets& targets, const RowColumns& columns,
                         const learn::ProgramSearchResult& independent,
                         const std::vector<learn::ProgramSearchResult>& greedy, double greedy_mse,
                         const std::vector<int64_t>& budgets, const LocalSearches& local) {
  const double blank = targets.blank;
  FigureTable table(joined({"program", "mse", "x_blank", "share_of_gain"}, columns.names()));
  const double gain = blank - greedy_mse;
  const auto share = [&](double value) { return fixed((blank - value) / gain, 3); };
  table.add_row(joined({"blank_canvas", fixed(blank, 5), "1.000", "0.000"},
                       columns.cells({{}}, {targets.blank_canvas})));
  table.add_row(joined({"best_target_independent", fixed(independent.mse, 5),
                        ratio_text(independent.mse, blank), share(independent.mse)},
                       columns.cells({independent.program}, {independent.canvas})));
  std::vector<std::vector<render::Command>> greedy_programs;
  std::vector<std::vector<float>> greedy_canvases;
  for (const learn::ProgramSearchResult& result : greedy) {
    greedy_programs.push_back(result.program);
    greedy_canvases.push_back(result.canvas);
  }
  table.add_row(
      joined({"greedy_search", fixed(greedy_mse, 5), ratio_text(greedy_mse, blank), "1.000"},
             columns.cells(greedy_programs, greedy_canvases)));
  for (size_t b = 0; b < budgets.size(); ++b) {
    table.add_row(joined({"local_search_" + std::to_string(budgets[b]), fixed(local.mse[b], 5),
                          ratio_text(local.mse[b], blank), share(local.mse[b])},
                         columns.cells(local.programs[b], local.canvases[b])));
  }
  return table;
}

// Writes <out>/oracle.png: targets, the target-independent program's canvas, then each target's
// greedy canvas.
void write_oracle_picture(const std::string& out, const OracleTargets& targets,
                          const learn::ProgramSearchResult& independent,
                          const std::vector<learn::ProgramSearchResult>& greedy) {
  const auto picture = [&](const std::vector<float>& values) {
    return image_from_unit_floats(values, targets.canvas, targets.canvas, targets.channels);
  };
  const size_t columns = std::min<size_t>(8, targets.values.size());
  std::vector<Image> cells(targets.images.begin(), targets.images.begin() + columns);
  cells.insert(cells.end(), columns, picture(independent.canvas));
  for (size_t i = 0; i < columns; ++i) cells.push_back(picture(greedy[i].canvas));
  std::filesystem::create_directories(out);
  const std::string path = (std::filesystem::path(out) / "oracle.png").string();
  io::write_png(path, tile_grid(cells, static_cast<int>(columns), 128));
  std::printf("oracle: %s (rows: targets, the target-independent program, greedy search)\n",
              path.c_str());
}

int run_bench_oracle(const Config& config, CommandContext&) {
  const render::EnvironmentSettings settings = render::environment_settings(config);
  if (!config.get_bool("conditional")) {
    throw UserError("spiral bench oracle: the input file's agent is unconditional (no targets)");
  }
  const std::shared_ptr<const data::Dataset> dataset =
      data::open_dataset(config.get_text("dataset"));
  const std::unique_ptr<render::Environment> probe = render::make_environment(settings);
  const OracleTargets targets = oracle_targets(config, *dataset, probe->reset(1));
  const ClassifierColumn classifier(config.get_text("classifier"), *dataset,
                                    config.get_text("dataset"), targets.indices);
  const std::vector<int64_t> budgets = local_search_budgets(config.get_text("local-search"));
  const double distinct = learn::distinct_command_count(settings);
  const learn::ProgramSearchOptions options = search_options(config, distinct);
  std::printf("oracle: %s, %.0f distinct commands, %d steps, %zu held-out images of %s; %s\n",
              probe->action_spec().describe().c_str(), distinct, probe->episode_length(),
              targets.indices.size(), dataset->name().c_str(),
              options.candidates > 0 ? ("a sample of " + std::to_string(options.candidates) +
                                        " commands per step, then one pass over each part")
                                           .c_str()
                                     : "every command at every step");
  std::fflush(stdout);

  log_info("searching the best target-independent program (one program for all ",
           targets.values.size(), " targets)");
  const learn::ProgramSearchResult independent =
      learn::greedy_program_search(settings, targets.values, options);
  std::vector<learn::ProgramSearchResult> greedy;
  double greedy_mse = 0;
  for (size_t i = 0; i < targets.values.size(); ++i) {
    greedy.push_back(learn::greedy_program_search(settings, {targets.values[i]}, options));
    greedy_mse += greedy.back().mse;
    log_info("target ", i + 1, "/", targets.values.size(), " (dataset index ", targets.indices[i],
             "): greedy mse ", greedy.back().mse, ", blank ", targets.blank_mse[i]);
  }
  greedy_mse /= static_cast<double>(targets.values.size());
  const LocalSearches local = local_searches(settings, targets.values, budgets, options);

  const ParseColumns parse(settings, *dataset, targets.indices);
  const RowColumns columns{parse, classifier, targets.canvas, targets.channels};
  emit_table(oracle_table(targets, columns, independent, greedy, greedy_mse, budgets, local),
             config.get_text("csv"));
  std::printf(
      "an agent's share of the reachable gain: (blank - agent) / (blank - greedy) = "
      "(%.5f - agent) / %.5f\n",
      targets.blank, targets.blank - greedy_mse);
  const std::string out = config.get_text("out");
  if (!out.empty()) write_oracle_picture(out, targets, independent, greedy);
  return 0;
}

}  // namespace

Command oracle_action() {
  std::vector<OptionGroup> groups = run::train_option_groups();
  groups.push_back(
      {"oracle",
       {
           int_option("count", 0, 0, 65536, "images",
                      "Held-out images searched: the first of the fixed set training evaluates "
                      "on (--held-out; 0: all of them)"),
           int_option("candidates", 0, 0, 1 << 24, "commands",
                      "Commands scored per step: a random sample, then every value of each part "
                      "of the best (0: every distinct command when there are at most 65,536, "
                      "else a sample of 1,024)"),
           text_option("local-search", "",
                       "Also hill-climb over whole programs for each target, reporting the best "
                       "after each of these numbers of programs played (e.g. 5,50,500)"),
           text_option("out", "", "Folder for oracle.png (targets above the programs' canvases)"),
           text_option("csv", "", "Also write the table to this CSV file"),
       }});
  // Training's --classifier scores unconditional samples; here it scores the programs.
  for (OptionGroup& group : groups) {
    for (OptionSpec& option : group.options) {
      if (option.name == "classifier") {
        option.help =
            "Digit classifier (spiral data train-classifier): add the share of each row's "
            "canvases it classifies as their target's label";
      }
    }
  }
  return {"oracle",
          "Greedy program search on held-out images: blank, best target-independent and "
          "per-target MSE in a training input file's action space.",
          groups,
          run_bench_oracle,
          {}};
}

}  // namespace spiral::bench
