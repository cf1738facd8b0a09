// Tests of the digit classifier (training, accuracy, its file) and the sample-quality figures
// (Frechet distance, recognition summary).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/data/dataset.h"
#include "spiral/data/split.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/png.h"
#include "spiral/learn/digit_classifier.h"
#include "spiral/learn/sample_quality.h"
#include "temp_dir_test.h"

namespace spiral {
namespace {

torch::Tensor column(std::vector<double> values) {
  return torch::tensor(values, torch::kDouble).unsqueeze(1);
}

TEST(FrechetDistance, OfASetWithItselfIsZero) {
  torch::manual_seed(3);
  const torch::Tensor features = torch::randn({300, 16}, torch::kDouble) * 2 + 1;
  EXPECT_NEAR(learn::frechet_distance(features, features), 0.0, 1e-8);
}

TEST(FrechetDistance, IsPositiveAndGrowsWithTheShift) {
  torch::manual_seed(4);
  const torch::Tensor features = torch::randn({300, 16}, torch::kDouble);
  const double small = learn::frechet_distance(features, features + 0.5);
  const double large = learn::frechet_distance(features, features + 2.0);
  EXPECT_GT(small, 0.0);
  EXPECT_GT(large, small);
  // Shifting every one of 16 dimensions by d moves the means by 16 d^2 and nothing else.
  EXPECT_NEAR(small, 16 * 0.25, 1e-8);
  EXPECT_NEAR(large, 16 * 4.0, 1e-8);
  // A wider spread at the same mean is farther too.
  EXPECT_GT(learn::frechet_distance(features, features * 3), 1.0);
}

TEST(FrechetDistance, MatchesOneDimensionalGaussiansByHand) {
  // N(1, 4) and N(3, 9): (1 - 3)^2 + (2 - 3)^2 = 5.
  EXPECT_NEAR(learn::frechet_distance(torch::tensor({1.0}), torch::tensor({{4.0}}),
                                      torch::tensor({3.0}), torch::tensor({{9.0}})),
              5.0, 1e-10);
  // Sets {-1, 1} (mean 0, sample variance 2) and {0, 2, 4} (mean 2, variance 4):
  // 4 + (sqrt 2 - 2)^2 = 10 - 4 sqrt 2.
  EXPECT_NEAR(learn::frechet_distance(column({-1, 1}), column({0, 2, 4})),
              10.0 - 4.0 * std::sqrt(2.0), 1e-10);
}

TEST(FrechetDistance, MatchesTwoDimensionalGaussiansByHand) {
  const torch::Tensor zero = torch::zeros({2}, torch::kDouble);
  // Diagonal: means (0, 0), (1, 2); variances (1, 4), (9, 16): 1 + 4 + (1 - 3)^2 + (2 - 4)^2.
  EXPECT_NEAR(
      learn::frechet_distance(zero, torch::diag(torch::tensor({1.0, 4.0})),
                              torch::tensor({1.0, 2.0}), torch::diag(torch::tensor({9.0, 16.0}))),
      13.0, 1e-10);
  // Covariances that do not commute: S1 = diag(4, 1), S2 = [[2, 1], [1, 2]].
  // S1^1/2 S2 S1^1/2 = [[8, 2], [2, 2]], whose square root has trace sqrt(10 + 2 sqrt 12), so
  // the distance is 5 + 4 - 2 sqrt(10 + 4 sqrt 3).
  const torch::Tensor s2 = torch::tensor({2.0, 1.0, 1.0, 2.0}, torch::kDouble).reshape({2, 2});
  EXPECT_NEAR(learn::frechet_distance(zero, torch::diag(torch::tensor({4.0, 1.0})), zero, s2),
              9.0 - 2.0 * std::sqrt(10.0 + 4.0 * std::sqrt(3.0)), 1e-10);
  // The same pair the other way round gives the same distance.
  EXPECT_NEAR(learn::frechet_distance(zero, s2, zero, torch::diag(torch::tensor({4.0, 1.0}))),
              9.0 - 2.0 * std::sqrt(10.0 + 4.0 * std::sqrt(3.0)), 1e-10);
}

TEST(FrechetDistance, RefusesTooFewRowsOrDifferentWidths) {
  EXPECT_THROW(learn::frechet_distance(torch::zeros({1, 3}), torch::zeros({5, 3})),
               std::invalid_argument);
  EXPECT_THROW(learn::frechet_distance(torch::zeros({4, 3}), torch::zeros({5, 2})),
               std::invalid_argument);
}

TEST(RecognitionSummary, CountsConfidentImagesAndTheirClasses) {
  const learn::RecognitionSummary summary =
      learn::summarize_recognition(torch::tensor({7, 1, 7, 3}, torch::kLong),
                                   torch::tensor({0.95, 0.99, 0.5, 0.9}, torch::kDouble));
  EXPECT_EQ(summary.count, 4);
  EXPECT_EQ(summary.confident, 3);
  EXPECT_EQ(summary.classes, (std::vector<int>{1, 3, 7}));
  EXPECT_DOUBLE_EQ(summary.confident_share(), 0.75);
}

std::unique_ptr<data::Dataset> mnist() {
  return data::open_dataset(std::string("mnist:") + SPIRAL_TEST_SOURCE_DIR + "/inputs/data/mnist");
}

using DigitClassifierTest = TempDirTest;

// Trains on the training side of every:10 and must classify 97% of the held-out side right; the
// saved file gives the same figures, and other files are refused.
TEST_F(DigitClassifierTest, ReachesNinetySevenPercentOnHeldOutDigits) {
  at::set_num_threads(1);  // steadier on a shared machine than two
  const auto dataset = mnist();
  learn::ClassifierTrainingConfig config;
  config.epochs = CLASSIFIER_TEST_EPOCHS;
  config.seed = 1;
  int epochs_reported = 0;
  const auto start = std::chrono::steady_clock::now();
  learn::TrainedClassifier trained =
      learn::train_digit_classifier(*dataset, config, [&](const learn::ClassifierEpoch& epoch) {
        ++epochs_reported;
        std::printf("epoch %d/%d: loss %.4f, train %.4f, held out %.4f, %.1f s\n", epoch.epoch,
                    epoch.epochs, epoch.loss, epoch.train_accuracy, epoch.held_out_accuracy,
                    epoch.seconds);
      });
  std::printf("trained in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  EXPECT_EQ(epochs_reported, config.epochs);
  EXPECT_EQ(trained.train_images, 9000u);
  EXPECT_EQ(trained.held_out_images, 1000u);
  EXPECT_GE(trained.held_out_accuracy, 0.97);

  // The held-out side measured again through classify(): confident on most digits.
  const std::vector<size_t> held_out =
      data::split_dataset(*dataset, data::parse_split_rule(data::kDefaultSplit)).held_out;
  const learn::LabelledImages images = learn::labelled_images(*dataset, held_out, 64);
  EXPECT_DOUBLE_EQ(learn::classifier_accuracy(trained.network, images), trained.held_out_accuracy);
  const learn::Classification result = learn::classify(trained.network, images.images);
  EXPECT_EQ(result.features.sizes().vec(), (std::vector<int64_t>{1000, 128}));
  EXPECT_GT(learn::summarize_recognition(result.labels, result.confidence).confident_share(), 0.9);

  const std::string path = temp("classifier.h5");
  learn::save_digit_classifier(path, trained);
  learn::TrainedClassifier loaded = learn::load_digit_classifier(path);
  EXPECT_DOUBLE_EQ(learn::classifier_accuracy(loaded.network, images), trained.held_out_accuracy);
  EXPECT_EQ(loaded.label_names.size(), 10u);
  EXPECT_EQ(loaded.dataset, dataset->name());
  EXPECT_DOUBLE_EQ(loaded.held_out_accuracy, trained.held_out_accuracy);
}

TEST_F(DigitClassifierTest, RefusesFilesItDidNotWrite) {
  const std::string path = temp("other.h5");
  io::File::create(path).root().set_attribute("format", "something else");
  try {
    learn::load_digit_classifier(path);
    FAIL() << "no UserError";
  } catch (const UserError& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("not a digit classifier"), std::string::npos);
  }
}

TEST_F(DigitClassifierTest, RefusesDatasetsWithoutLabels) {
  Image image;
  image.height = image.width = 28;
  image.channels = 1;
  image.pixels.assign(28 * 28, 200);
  for (int i = 0; i < 20; ++i) io::write_png(temp("image-" + std::to_string(i) + ".png"), image);
  const auto folder = data::open_dataset("folder:" + dir());
  ASSERT_EQ(folder->label_count(), 0);
  try {
    learn::train_digit_classifier(*folder, learn::ClassifierTrainingConfig{});
    FAIL() << "no UserError";
  } catch (const UserError& error) {
    EXPECT_NE(std::string(error.what()).find("has no labels"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace spiral
