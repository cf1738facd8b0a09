// Figures of how much a set of images looks like a reference set of digits: the Frechet distance
// of classifier features, and what a classifier recognises in them.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace spiral::learn {

// The Frechet distance between Gaussians fitted to two feature sets [N1, F] and [N2, F]:
// ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), with sample covariances (N - 1),
// computed in double precision through symmetric eigendecompositions (negative eigenvalues of
// rounding are taken as 0). invalid_argument for fewer than 2 rows or differing widths.
double frechet_distance(const at::Tensor& features1, const at::Tensor& features2);

// The same for Gaussians given by their means [F] and covariances [F, F].
double frechet_distance(const at::Tensor& mean1, const at::Tensor& covariance1,
                        const at::Tensor& mean2, const at::Tensor& covariance2);

// What a classifier recognised in a set of images.
struct RecognitionSummary {
  int count = 0;
  int confident = 0;         // images classified with confidence >= the threshold
  std::vector<int> classes;  // the classes of the confident ones, increasing
  // confident / count.
  double confident_share() const {
    return count == 0 ? 0.0 : static_cast<double>(confident) / static_cast<double>(count);
  }
};

// The share of confident classifications is taken at this softmax probability.
inline constexpr double kConfidentProbability = 0.9;

// Summarises predicted `labels` [N] and their `confidence` [N].
RecognitionSummary summarize_recognition(const at::Tensor& labels, const at::Tensor& confidence,
                                         double threshold = kConfidentProbability);

}  // namespace spiral::learn
