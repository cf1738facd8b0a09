// Training, evaluating, applying and storing the digit classifier that scores what agents paint.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"
#include "spiral/model/digit_classifier.h"

namespace spiral::learn {

// Labelled canvases as the classifier takes them.
struct LabelledImages {
  torch::Tensor images;         // [N, C, H, W] float in [0, 1], dark ink on white
  torch::Tensor labels;         // [N] int64
  std::vector<size_t> indices;  // each image's index in its dataset
};

// Images `indices` of a labelled `dataset` prepared exactly as training targets (target_image)
// for a `canvas` x `canvas` gray canvas. UserError when the set has no labels.
LabelledImages labelled_images(const data::Dataset& dataset, const std::vector<size_t>& indices,
                               int canvas);

// How train_digit_classifier trains.
struct ClassifierTrainingConfig {
  model::DigitClassifierConfig network;  // classes are taken from the dataset
  int epochs = 8;
  int batch = 64;
  double learning_rate = 1e-3;  // Adam's at the start; falls linearly to 0 by the end
  // Each batch moves by up to this many canvas pixels along each axis (a random whole-pixel
  // shift, white filling in), so digits off centre are read too.
  int max_shift = 2;
  // Training images used, evenly spaced over the training side of every:10 (0: all of them).
  size_t train_images = 0;
  uint64_t seed = 1;  // initialisation and the order of each epoch
};

// What one epoch of train_digit_classifier reports.
struct ClassifierEpoch {
  int epoch = 0;  // 1-based
  int epochs = 0;
  double loss = 0;               // mean cross-entropy over the epoch's batches
  double train_accuracy = 0;     // share of the epoch's training images classified right
  double held_out_accuracy = 0;  // on the whole held-out side, after the epoch
  double seconds = 0;            // wall time of the epoch and its evaluation
};

// A trained classifier and where it came from.
struct TrainedClassifier {
  model::DigitClassifier network{nullptr};  // in eval mode, on the CPU
  std::string dataset;                      // spec of the set it was trained on
  std::vector<std::string> label_names;     // readable name of each class
  double held_out_accuracy = 0;             // on the held-out side of every:10 of `dataset`
  size_t train_images = 0;
  size_t held_out_images = 0;
  int epochs = 0;
  uint64_t seed = 0;
};

// Trains a classifier on the training side of `dataset`'s split every:10 and measures it on the
// held-out side; `progress` (optional) gets every epoch. UserError for a set without labels or
// without a training or held-out side.
TrainedClassifier train_digit_classifier(
    const data::Dataset& dataset, const ClassifierTrainingConfig& config,
    const std::function<void(const ClassifierEpoch&)>& progress = {});

// What the classifier says about a set of images.
struct Classification {
  torch::Tensor labels;      // [N] int64: the most likely class
  torch::Tensor confidence;  // [N] double: its softmax probability
  torch::Tensor features;    // [N, F] double: the penultimate layer's activations
};

// Classifies `images` [N, C, H, W] in [0, 1] in batches, without gradients. RGB images are
// averaged to gray and other sizes are resized (area) to the classifier's canvas.
Classification classify(model::DigitClassifier& network, const torch::Tensor& images);

// The share of `images` that `network` classifies as their labels.
double classifier_accuracy(model::DigitClassifier& network, const LabelledImages& images);

// Writes `classifier` to the HDF5 file `path` (through `path`.tmp, renamed into place).
void save_digit_classifier(const std::string& path, const TrainedClassifier& classifier);

// Reads a file written by save_digit_classifier; UserError naming the file for any other file.
TrainedClassifier load_digit_classifier(const std::string& path);

// UserError naming the file `path` and the dataset `spec` when `classifier` tells another number
// of classes apart than `dataset` has labels.
void check_classifier_fits(const TrainedClassifier& classifier, const std::string& path,
                           const data::Dataset& dataset, const std::string& spec);

}  // namespace spiral::learn
