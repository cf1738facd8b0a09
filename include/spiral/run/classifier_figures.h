// What the digit classifier says about an agent's images: the figures `spiral sample` and
// `spiral reconstruct` print and store with --classifier.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"
#include "spiral/learn/digit_classifier.h"
#include "spiral/learn/sample_quality.h"
#include "spiral/render/settings.h"

namespace spiral::io {
class Group;
}  // namespace spiral::io

namespace spiral::run {

// One row of the sample figures: a set of images as the classifier sees it.
struct RecognitionRow {
  std::string name;  // what the images are, e.g. "samples"
  std::string key;   // the row's word in attribute names, e.g. "samples"
  learn::RecognitionSummary recognition;
  double frechet = 0;  // Frechet distance of their features to the reference digits' features
};

// The classifier with held-out digits to compare with: `count` digits to score as a set of their
// own and, disjoint from them, the rest of the held-out side as the reference.
class DigitFigures {
 public:
  // Opens the classifier file and the digits of `digits_spec` (empty: the set the classifier
  // was trained on). UserError when the file is no classifier, the set's classes differ from
  // the classifier's, or the held-out side (every:10) has fewer than 2 x `count` images (the
  // message names `count_option`, the option that set the count).
  DigitFigures(const std::string& classifier_path, const std::string& digits_spec, int count,
               const std::string& count_option = "--count");

  // The row of `images` [N, C, H, W] in [0, 1].
  RecognitionRow score(const std::string& name, const std::string& key,
                       const torch::Tensor& images);
  // The row of the `count` held-out digits (not in the reference).
  RecognitionRow held_out_row();
  // The readable names of the classes.
  const std::vector<std::string>& label_names() const { return classifier_.label_names; }
  // The classifier file.
  const std::string& path() const { return path_; }
  // Spec of the digits' set.
  const std::string& digits() const { return digits_; }
  // Number of reference digits.
  int64_t reference_count() const { return reference_features_.size(0); }

 private:
  std::string path_;
  std::string digits_;
  learn::TrainedClassifier classifier_;
  torch::Tensor compared_;            // [count, 1, H, W]: the held-out row's digits
  torch::Tensor reference_features_;  // [M, F]
};

// The canvases of `count` programs of uniformly random commands in `environment` (each as long
// as its episodes), reset with seeds drawn from `seed`, rendered on `threads` threads:
// [count, C, H, W] in [0, 1].
torch::Tensor random_program_canvases(const render::EnvironmentSettings& environment, int count,
                                      uint64_t seed, int threads);

// The rows as an aligned table: set, images, share classified with confidence >= 0.9, how many
// classes those show and which, and the Frechet distance.
std::string recognition_table(const std::vector<RecognitionRow>& rows,
                              const std::vector<std::string>& label_names);

// A row in one line: "confident 35% classes 9 frechet 154.0".
std::string recognition_text(const RecognitionRow& row);

// Stores the rows as root attributes classifier_<key>_{confident_share, classes,
// classes_present, frechet}, with the classifier file and the reference set.
void write_recognition_attributes(io::Group& root, const DigitFigures& figures,
                                  const std::vector<RecognitionRow>& rows);

}  // namespace spiral::run
