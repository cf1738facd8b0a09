#include "spiral/learn/classifier_command.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/split.h"
#include "spiral/learn/digit_classifier.h"

namespace spiral::learn {
namespace {

int run_train_classifier(const Config& config, CommandContext&) {
  const std::string spec = config.get_text("dataset");
  if (spec.empty()) {
    throw UserError(
        "--dataset: expected a labelled dataset as kind:location, e.g. "
        "mnist:inputs/data/mnist");
  }
  const std::string out = config.get_text("out");
  if (out.empty()) throw UserError("--out: expected the HDF5 file to write, e.g. classifier.h5");
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  std::error_code error;
  if (!folder.empty() && !std::filesystem::is_directory(folder, error)) {
    throw UserError("--out " + out + ": folder " + folder.string() + " does not exist");
  }
  const std::unique_ptr<data::Dataset> dataset = data::open_dataset(spec);
  if (dataset->label_count() == 0) {
    throw UserError("--dataset " + spec +
                    ": the set has no labels; train-classifier needs a labelled set (mnist, "
                    "fashion-mnist)");
  }
  ClassifierTrainingConfig training;
  training.epochs = static_cast<int>(config.get_int("epochs"));
  training.batch = static_cast<int>(config.get_int("batch"));
  training.learning_rate = config.get_real("learning-rate");
  training.train_images = static_cast<size_t>(config.get_int("train-images"));
  training.max_shift = static_cast<int>(config.get_int("max-shift"));
  training.seed = static_cast<uint64_t>(config.get_int("seed"));
  log_info("train-classifier: ", spec, ", ", dataset->label_count(), " classes, ", training.epochs,
           " epochs (training side of split ", data::kDefaultSplit, ")");
  const TrainedClassifier classifier =
      train_digit_classifier(*dataset, training, [](const ClassifierEpoch& epoch) {
        char line[200];
        std::snprintf(line, sizeof line,
                      "epoch %d/%d: loss %.4f, train accuracy %.2f%%, held-out accuracy %.2f%% "
                      "(%.1f s)",
                      epoch.epoch, epoch.epochs, epoch.loss, 100 * epoch.train_accuracy,
                      100 * epoch.held_out_accuracy, epoch.seconds);
        log_info(line);
      });
  save_digit_classifier(out, classifier);
  char line[160];
  std::snprintf(line, sizeof line, "held_out_accuracy=%.4f (%zu held-out images, %zu trained on)\n",
                classifier.held_out_accuracy, classifier.held_out_images, classifier.train_images);
  std::cout << line << std::flush;
  log_info("train-classifier: wrote ", out);
  return 0;
}

}  // namespace

Command train_classifier_action() {
  return {"train-classifier",
          "Train the digit classifier that scores samples: --dataset SPEC --out F.h5 [--epochs N]",
          {{"classifier",
            {
                text_option("dataset", "",
                            "Labelled images as kind:location; trains on the training side of the "
                            "split every:10 and measures the held-out side"),
                text_option("out", "", "HDF5 file to write (through OUT.tmp, renamed at the end)"),
                int_option("epochs", 8, 0, 1000, "epochs", "Passes over the training images"),
                int_option("batch", 64, 1, 65536, "images", "Images per Adam update"),
                real_option("learning-rate", 1e-3, 0, 1, "",
                            "Adam's learning rate at the start (falls linearly to 0)"),
                int_option("train-images", 0, 0, INT64_MAX, "images",
                           "Training images used, evenly spaced over the training side (0: all)"),
                int_option("max-shift", 2, 0, 16, "px",
                           "Each batch moves by a random shift of up to this much along each axis"),
            }}},
          run_train_classifier,
          {}};
}

}  // namespace spiral::learn
