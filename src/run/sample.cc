#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/png.h"
#include "spiral/run/agent.h"
#include "spiral/run/classifier_figures.h"
#include "spiral/run/commands.h"

namespace spiral::run {
namespace {

std::vector<OptionGroup> sample_options() {
  return {
      {"sample",
       {
           input_file_option("checkpoint", "", "Checkpoint of an unconditional agent (ckpt-*.h5)"),
           int_option("count", 16, 1, 65536, "images", "Samples to paint"),
           bool_option("greedy", false, "Argmax commands (false: sample them)"),
           text_option("out", "samples", "Folder for samples.png and programs.h5"),
           bool_option("programs", false,
                       "Also write each program as JSON (and SVG for the painter)"),
           input_file_option("classifier", "",
                             "Digit classifier (spiral data train-classifier): print and store "
                             "what it recognises in the samples, in as many held-out digits and "
                             "in as many random programs"),
           text_option("digits", "",
                       "Labelled set whose held-out digits (split every:10) --classifier "
                       "compares with (empty: the set the classifier was trained on)"),
       }}};
}

int run_sample(const Config& config, CommandContext&) {
  const std::string checkpoint = config.get_text("checkpoint");
  if (checkpoint.empty()) throw UserError("--checkpoint: expected a checkpoint file (ckpt-*.h5)");
  Agent agent = load_agent(checkpoint);
  if (agent.policy->config().conditional) {
    throw UserError(checkpoint +
                    " holds a conditional agent, which needs target images; use spiral "
                    "reconstruct (spiral sample paints unconditional agents)");
  }
  const int count = static_cast<int>(config.get_int("count"));
  const std::string classifier = config.get_text("classifier");
  std::unique_ptr<DigitFigures> figures;
  if (!classifier.empty()) {
    figures = std::make_unique<DigitFigures>(classifier, config.get_text("digits"), count);
  }
  int threads = static_cast<int>(config.get_int("threads"));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const uint64_t seed = static_cast<uint64_t>(config.get_int("seed"));
  OutputFolder out(config.get_text("out"), "--out");
  const Episodes episodes =
      play_agent(agent, count, torch::Tensor(), config.get_bool("greedy"), seed, threads);
  std::vector<RecognitionRow> rows;
  if (figures) {
    rows.push_back(figures->score("samples", "samples", episodes.final_canvases));
    rows.push_back(figures->held_out_row());
    rows.push_back(
        figures->score("random programs", "random",
                       random_program_canvases(agent.environment, count, seed, threads)));
  }
  write_episodes_h5(out.file("programs.h5"), agent, episodes, {}, [&](io::Group& root) {
    if (figures) write_recognition_attributes(root, *figures, rows);
  });
  io::write_png(out.file("samples.png"), tile_grid(episodes.renders, std::min(count, 8), 128));
  if (config.get_bool("programs")) write_programs(out.file("programs"), agent, episodes);
  out.keep();
  if (figures) {
    std::cout << recognition_table(rows, figures->label_names()) << std::flush;
    log_info("classifier ", classifier, ": Frechet distances to ", figures->reference_count(),
             " other held-out digits of ", figures->digits());
  }
  log_info("painted ", count, " samples with ", checkpoint, " (step ", agent.header.counters.step,
           "): ", out.file("samples.png"), " and programs.h5");
  return 0;
}

}  // namespace

Command sample_command() {
  return {"sample",
          "Paint samples with a trained unconditional agent: a PNG grid and their programs.",
          sample_options(),
          run_sample,
          {}};
}

}  // namespace spiral::run
