#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/scenes.h"
#include "spiral/data/split.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/png.h"
#include "spiral/learn/digit_classifier.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/agent.h"
#include "spiral/run/commands.h"
#include "spiral/run/human_points.h"

namespace spiral::run {
namespace {

std::vector<OptionGroup> reconstruct_options() {
  return {{"reconstruct",
           {
               input_file_option("checkpoint", "", "Checkpoint of a conditional agent (ckpt-*.h5)"),
               text_option("dataset", "",
                           "Images as kind:location (empty: the checkpoint's training set); the "
                           "held-out side of the split every:10 is used"),
               int_option("count", 16, 1, 65536, "images", "Held-out images to reconstruct"),
               bool_option("greedy", true, "Argmax commands (false: sample them)"),
               text_option("out", "reconstruction", "Folder for the files written"),
               bool_option("programs", false,
                           "Also write each program as JSON (and SVG for the painter)"),
               text_option("strokes", "auto",
                           "Human strokes of Omniglot targets to record: auto (the strokes_* set "
                           "beside an images_* set, when there is one), none, or a strokes folder "
                           "or zip"),
               input_file_option("classifier", "",
                                 "Digit classifier (spiral data train-classifier): print the share "
                                 "of reconstructions it classifies as their target's label (a "
                                 "labelled dataset only)"),
           }}};
}

// Mean and sample standard deviation.
std::pair<double, double> mean_sd(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  const double sd =
      values.size() > 1 ? std::sqrt(squares / static_cast<double>(values.size() - 1)) : 0.0;
  return {mean, sd};
}

// Targets in the first row, renders below, in blocks of at most 8 columns.
Image comparison_grid(const std::vector<Image>& targets, const std::vector<Image>& renders) {
  const size_t columns = std::min<size_t>(8, targets.size());
  std::vector<Image> cells;
  for (size_t start = 0; start < targets.size(); start += columns) {
    for (const auto* row : {&targets, &renders}) {
      for (size_t i = start; i < start + columns; ++i) {
        cells.push_back(i < row->size() ? (*row)[i] : Image{});
      }
    }
  }
  // Blank cells (a short last block) as white images of the same shape.
  for (Image& cell : cells) {
    if (cell.pixels.empty()) {
      cell = targets.front();
      std::fill(cell.pixels.begin(), cell.pixels.end(), 255);
    }
  }
  return tile_grid(cells, static_cast<int>(columns), 128);
}

// Each reconstruction's objects matched to its target scene's (scene datasets only).
struct SceneParses {
  std::vector<render::SceneParse> episodes;
  render::SceneParseTotals totals;
};

SceneParses scene_parses(const Agent& agent, const data::Dataset& dataset,
                         const std::vector<size_t>& indices, const Episodes& episodes) {
  SceneParses parses;
  const data::ScenesDataset* scenes = data::matching_scenes(dataset, agent.environment);
  if (!scenes) return parses;
  parses.episodes =
      data::parse_programs(*scenes, agent.environment.scene, indices, episodes.commands);
  parses.totals = render::SceneParseTotals(parses.episodes);
  return parses;
}

// One count of every episode's parse, and its name and meaning in reconstruction.h5.
struct ParseColumn {
  const char* name;
  int render::SceneParse::*count;
  const char* description;
};

const std::vector<ParseColumn>& parse_columns() {
  using P = render::SceneParse;
  static const std::vector<ParseColumn> columns = {
      {"target_objects", &P::target_objects, "objects in each target scene"},
      {"built_objects", &P::built_objects, "objects in each reconstruction's scene"},
      {"objects_exact", &P::exact,
       "target objects matched by a built one of the same type, size, colour and cell"},
      {"objects_within_one_cell", &P::within_one_cell,
       "target objects matched by a built one of the same type, size and colour at most one "
       "cell away (rows and columns)"},
      {"objects_on_their_cell", &P::on_cell, "target objects matched by a built one on their cell"},
      {"objects_on_their_cell_same_type", &P::on_cell_type,
       "target objects matched by a built one on their cell of the same type"},
      {"objects_on_their_cell_same_size", &P::on_cell_size,
       "target objects matched by a built one on their cell of the same size"},
      {"objects_on_their_cell_same_colour", &P::on_cell_colour,
       "target objects matched by a built one on their cell of the same colour"},
  };
  return columns;
}

void write_scene_parses(io::Group& root, const SceneParses& parses) {
  if (parses.episodes.empty()) return;
  const size_t count = parses.episodes.size();
  for (const ParseColumn& column : parse_columns()) {
    std::vector<int32_t> values;
    for (const render::SceneParse& parse : parses.episodes) values.push_back(parse.*column.count);
    root.write_array<int32_t>(column.name, {count}, values)
        .set_attribute("description", column.description);
  }
  // Per object type: [episodes, types] of each episode's counts.
  const std::vector<
      std::pair<const char*, std::array<int, render::kSceneObjectTypes> render::SceneParse::*>>
      by_type = {{"target_objects_by_type", &render::SceneParse::target_by_type},
                 {"built_objects_by_type", &render::SceneParse::built_by_type},
                 {"objects_exact_by_type", &render::SceneParse::exact_by_type}};
  for (const auto& [name, counts] : by_type) {
    std::vector<int32_t> values;
    for (const render::SceneParse& parse : parses.episodes) {
      values.insert(values.end(), (parse.*counts).begin(), (parse.*counts).end());
    }
    root.write_array<int32_t>(name, {count, render::kSceneObjectTypes}, values)
        .set_attribute("types", render::scene_object_type_list());
  }
  root.set_attribute("objects_exact_share", parses.totals.exact_share());
  root.set_attribute("objects_within_one_cell_share", parses.totals.within_one_cell_share());
}

void print_scene_parses(const SceneParses& parses) {
  if (parses.episodes.empty()) return;
  const render::SceneParseTotals& totals = parses.totals;
  // The counts after the first two columns (the objects of each scene) are of target objects.
  const std::vector<ParseColumn>& columns = parse_columns();
  for (auto column = columns.begin() + 2; column != columns.end(); ++column) {
    const int part = totals.sum.*column->count;
    std::printf("%s=%.4f (%d of %d)\n", column->name, totals.share_of_targets(part), part,
                totals.sum.target_objects);
  }
  for (int type = 0; type < render::kSceneObjectTypes; ++type) {
    const int targets = totals.sum.target_by_type[type];
    const int exact = totals.sum.exact_by_type[type];
    std::printf("objects_exact_%s=%.4f (%d of %d; %d built)\n", render::kSceneObjectTypeNames[type],
                targets == 0 ? 0.0 : static_cast<double>(exact) / targets, exact, targets,
                totals.sum.built_by_type[type]);
  }
  std::printf("object_count_error=%.3f (mean |built - target|)\n",
              totals.mean_absolute_count_error());
  std::fflush(stdout);
}

int run_reconstruct(const Config& config, CommandContext&) {
  const std::string checkpoint = config.get_text("checkpoint");
  if (checkpoint.empty()) throw UserError("--checkpoint: expected a checkpoint file (ckpt-*.h5)");
  Agent agent = load_agent(checkpoint);
  const model::PolicyConfig& policy = agent.policy->config();
  if (!policy.conditional) {
    throw UserError(checkpoint +
                    " holds an unconditional agent; reconstruct needs a conditional one "
                    "(spiral sample paints unconditional agents)");
  }
  const std::string spec = config.get_text("dataset").empty() ? agent.config.get_text("dataset")
                                                              : config.get_text("dataset");
  std::shared_ptr<const data::Dataset> dataset = data::open_dataset(spec);
  const std::vector<size_t> held_out =
      data::split_dataset(*dataset, data::parse_split_rule(data::kDefaultSplit)).held_out;
  const size_t count = static_cast<size_t>(config.get_int("count"));
  const std::string classifier_path = config.get_text("classifier");
  learn::TrainedClassifier classifier;
  if (!classifier_path.empty()) {
    classifier = learn::load_digit_classifier(classifier_path);
    learn::check_classifier_fits(classifier, classifier_path, *dataset, spec);
  }
  if (count > held_out.size()) {
    throw UserError("--count " + std::to_string(count) + ": dataset " + spec + " holds only " +
                    std::to_string(held_out.size()) + " held-out images (split every:10)");
  }
  // Evenly spaced over the held-out side, as the Trainer picks its held-out set.
  const std::vector<size_t> indices = learn::held_out_images(*dataset, static_cast<int>(count));
  std::vector<Image> targets;
  std::vector<torch::Tensor> rows;
  for (size_t index : indices) {
    targets.push_back(learn::target_image(*dataset, index, policy.canvas, policy.channels));
    rows.push_back(learn::image_to_tensor(targets.back()));
  }
  const std::string strokes = strokes_source(config.get_text("strokes"), spec);
  const HumanPoints points =
      strokes.empty() ? HumanPoints{} : human_points(strokes, *dataset, indices, policy.canvas);
  const torch::Tensor target = torch::stack(rows);
  OutputFolder out(config.get_text("out"), "--out");
  int threads = static_cast<int>(config.get_int("threads"));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  log_info("reconstructing ", count, " held-out images of ", spec, " with ", checkpoint, " (step ",
           agent.header.counters.step, ", ", agent.header.counters.frames, " frames)");
  const Episodes episodes =
      play_agent(agent, static_cast<int>(count), target, config.get_bool("greedy"),
                 static_cast<uint64_t>(config.get_int("seed")), threads);

  const torch::Tensor per_image =
      (episodes.final_canvases - target).pow(2).flatten(1).mean(1).to(torch::kDouble);
  std::vector<double> mse, psnr;
  for (size_t i = 0; i < count; ++i) {
    mse.push_back(per_image[static_cast<int64_t>(i)].item<double>());
    psnr.push_back(10.0 * std::log10(1.0 / std::max(mse.back(), 1e-10)));
  }
  // Each episode's canvas before its first command: white paper, or the scene's empty floor.
  std::vector<torch::Tensor> starts;
  for (const std::vector<Image>& canvases : episodes.canvases) {
    starts.push_back(learn::image_to_tensor(canvases.front()));
  }
  const double blank_mse = (torch::stack(starts) - target).pow(2).mean().item<double>();
  const SceneParses parses = scene_parses(agent, *dataset, indices, episodes);
  const auto [mse_mean, mse_sd] = mean_sd(mse);
  const auto [psnr_mean, psnr_sd] = mean_sd(psnr);
  // What the classifier reads in each reconstruction, against its target's label.
  std::vector<int64_t> target_labels, predicted_labels;
  std::vector<double> confidences;
  int64_t as_target = 0;
  if (classifier.network) {
    const learn::Classification result =
        learn::classify(classifier.network, episodes.final_canvases);
    for (size_t i = 0; i < count; ++i) {
      target_labels.push_back(dataset->label(indices[i]));
      predicted_labels.push_back(result.labels[static_cast<int64_t>(i)].item<int64_t>());
      confidences.push_back(result.confidence[static_cast<int64_t>(i)].item<double>());
      as_target += predicted_labels.back() == target_labels.back() ? 1 : 0;
    }
  }
  const double as_target_share = static_cast<double>(as_target) / static_cast<double>(count);

  write_episodes_h5(out.file("reconstruction.h5"), agent, episodes, targets, [&](io::Group& root) {
    root.set_attribute("dataset", spec);
    const std::vector<int64_t> index_values(indices.begin(), indices.end());
    root.write_array<int64_t>("target_indices", {count}, index_values)
        .set_attribute("description", "index of each target in the dataset");
    if (!points.source.empty()) write_human_points(root, points);
    write_scene_parses(root, parses);
    if (!classifier.network) return;
    root.set_attribute("classifier", classifier_path);
    root.set_attribute("classified_as_target", as_target_share);
    root.write_array<int64_t>("target_labels", {count}, target_labels)
        .set_attribute("description", "label of each target in the dataset");
    root.write_array<int64_t>("predicted_labels", {count}, predicted_labels)
        .set_attribute("description", "class the classifier reads in each reconstruction");
    root.write_array<double>("predicted_confidence", {count}, confidences)
        .set_attribute("description", "the classifier's softmax probability of that class");
  });
  io::write_png(out.file("reconstruction.png"), comparison_grid(targets, episodes.renders));
  if (config.get_bool("programs")) write_programs(out.file("programs"), agent, episodes);
  out.keep();
  char line[160];
  std::snprintf(line, sizeof line, "mse=%.6f (sd %.6f)\nblank_mse=%.6f\npsnr=%.3f dB (sd %.3f)\n",
                mse_mean, mse_sd, blank_mse, psnr_mean, psnr_sd);
  std::cout << line << std::flush;
  print_scene_parses(parses);
  if (classifier.network) {
    std::snprintf(line, sizeof line, "classified_as_target=%.4f (%lld of %zu)\n", as_target_share,
                  static_cast<long long>(as_target), count);
    std::cout << line << std::flush;
  }
  log_info("wrote ", out.file("reconstruction.h5"), " and reconstruction.png",
           config.get_bool("programs") ? " and programs/" : "",
           points.source.empty() ? "" : " (with the human strokes of " + points.source + ")");
  return 0;
}

}  // namespace

Command reconstruct_command() {
  return {"reconstruct",
          "Reconstruct held-out images with a trained conditional agent; print MSE and PSNR (and "
          "the objects recovered, for scenes).",
          reconstruct_options(),
          run_reconstruct,
          {}};
}

}  // namespace spiral::run
