#include "spiral/run/classifier_figures.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "spiral/core/errors.h"
#include "spiral/core/figure_table.h"
#include "spiral/data/split.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/rollout.h"
#include "spiral/render/environment_batch.h"

namespace spiral::run {
namespace {

std::string classes_text(const std::vector<int>& classes, const std::vector<std::string>& names) {
  std::string text;
  for (int label : classes) {
    text += (text.empty() ? "" : " ") +
            (label < static_cast<int>(names.size()) ? names[label] : std::to_string(label));
  }
  return text.empty() ? "-" : text;
}

}  // namespace

DigitFigures::DigitFigures(const std::string& classifier_path, const std::string& digits_spec,
                           int count, const std::string& count_option)
    : path_(classifier_path), classifier_(learn::load_digit_classifier(classifier_path)) {
  digits_ = digits_spec.empty() ? classifier_.dataset : digits_spec;
  const std::unique_ptr<data::Dataset> dataset = data::open_dataset(digits_);
  learn::check_classifier_fits(classifier_, path_, *dataset, digits_);
  const std::vector<size_t> held_out =
      data::split_dataset(*dataset, data::parse_split_rule(data::kDefaultSplit)).held_out;
  const size_t wanted = static_cast<size_t>(count);
  if (held_out.size() < 2 * wanted) {
    throw UserError(count_option + " " + std::to_string(count) + " with --classifier: " + digits_ +
                    " holds " + std::to_string(held_out.size()) +
                    " held-out digits (split every:10), at least twice the count are needed");
  }
  // Evenly spaced over the held-out side for the held-out row, the rest as the reference.
  std::vector<size_t> compared, reference;
  std::vector<bool> chosen(held_out.size(), false);
  for (size_t i = 0; i < wanted; ++i) chosen[i * held_out.size() / wanted] = true;
  for (size_t i = 0; i < held_out.size(); ++i) {
    (chosen[i] ? compared : reference).push_back(held_out[i]);
  }
  const int canvas = classifier_.network->config().canvas;
  compared_ = learn::labelled_images(*dataset, compared, canvas).images;
  reference_features_ = learn::classify(classifier_.network,
                                        learn::labelled_images(*dataset, reference, canvas).images)
                            .features;
}

RecognitionRow DigitFigures::score(const std::string& name, const std::string& key,
                                   const torch::Tensor& images) {
  const learn::Classification result = learn::classify(classifier_.network, images);
  RecognitionRow row;
  row.name = name;
  row.key = key;
  row.recognition = learn::summarize_recognition(result.labels, result.confidence);
  row.frechet = learn::frechet_distance(result.features, reference_features_);
  return row;
}

std::string recognition_text(const RecognitionRow& row) {
  return "confident " + fixed(100 * row.recognition.confident_share(), 0) + "% classes " +
         std::to_string(row.recognition.classes.size()) + " frechet " + fixed(row.frechet, 1);
}

RecognitionRow DigitFigures::held_out_row() {
  return score("held-out digits", "held_out", compared_);
}

torch::Tensor random_program_canvases(const render::EnvironmentSettings& environment, int count,
                                      uint64_t seed, int threads) {
  render::EnvironmentBatch envs(environment, count, std::max(1, std::min(threads, count)));
  std::mt19937_64 engine(seed);
  std::vector<uint64_t> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(engine());
  envs.reset(seeds);
  const std::vector<render::ActionPart>& parts = envs.action_spec().parts();
  for (int step = 0; step < envs.episode_length(); ++step) {
    std::vector<render::Command> commands(static_cast<size_t>(count));
    for (render::Command& command : commands) {
      for (const render::ActionPart& part : parts) {
        command.push_back(std::uniform_int_distribution<int32_t>(0, part.size - 1)(engine));
      }
    }
    envs.step(commands);
  }
  return learn::batch_canvases(envs, torch::kCPU);
}

std::string recognition_table(const std::vector<RecognitionRow>& rows,
                              const std::vector<std::string>& label_names) {
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "p>=%.2g", learn::kConfidentProbability);
  FigureTable table({"set", "images", std::string("confident (") + threshold + ")", "classes",
                     "which", "frechet"});
  for (const RecognitionRow& row : rows) {
    table.add_row({row.name, std::to_string(row.recognition.count),
                   fixed(100 * row.recognition.confident_share(), 1) + "%",
                   std::to_string(row.recognition.classes.size()),
                   classes_text(row.recognition.classes, label_names), fixed(row.frechet, 2)});
  }
  return table.aligned();
}

void write_recognition_attributes(io::Group& root, const DigitFigures& figures,
                                  const std::vector<RecognitionRow>& rows) {
  root.set_attribute("classifier", figures.path());
  root.set_attribute("classifier_digits", figures.digits());
  root.set_attribute("classifier_reference_count", figures.reference_count());
  root.set_attribute("classifier_confidence_threshold", learn::kConfidentProbability);
  for (const RecognitionRow& row : rows) {
    const std::string prefix = "classifier_" + row.key + "_";
    root.set_attribute(prefix + "count", row.recognition.count);
    root.set_attribute(prefix + "confident_share", row.recognition.confident_share());
    root.set_attribute(prefix + "classes", static_cast<int64_t>(row.recognition.classes.size()));
    root.set_attribute(prefix + "classes_present",
                       classes_text(row.recognition.classes, figures.label_names()));
    root.set_attribute(prefix + "frechet", row.frechet);
  }
}

}  // namespace spiral::run
