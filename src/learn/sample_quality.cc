#include "spiral/learn/sample_quality.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

namespace spiral::learn {
namespace {

// The symmetric part of a square matrix, which rounding may have made slightly asymmetric.
torch::Tensor symmetric(const torch::Tensor& matrix) { return (matrix + matrix.t()) / 2; }

// The square root of a symmetric positive semi-definite matrix (negative eigenvalues of rounding
// count as 0): V diag(sqrt(l)) V^T.
torch::Tensor psd_sqrt(const torch::Tensor& matrix) {
  auto [values, vectors] = torch::linalg::eigh(symmetric(matrix), "L");
  return torch::matmul(vectors * values.clamp_min(0).sqrt().unsqueeze(0), vectors.t());
}

}  // namespace

double frechet_distance(const at::Tensor& mean1, const at::Tensor& covariance1,
                        const at::Tensor& mean2, const at::Tensor& covariance2) {
  const int64_t width = mean1.numel();
  if (mean2.numel() != width || covariance1.sizes() != at::IntArrayRef{width, width} ||
      covariance2.sizes() != at::IntArrayRef{width, width}) {
    throw std::invalid_argument("frechet_distance: means and covariances of differing sizes");
  }
  const torch::Tensor m1 = mean1.to(torch::kCPU, torch::kDouble).flatten();
  const torch::Tensor m2 = mean2.to(torch::kCPU, torch::kDouble).flatten();
  const torch::Tensor s1 = symmetric(covariance1.to(torch::kCPU, torch::kDouble));
  const torch::Tensor s2 = symmetric(covariance2.to(torch::kCPU, torch::kDouble));
  const torch::Tensor root1 = psd_sqrt(s1);
  // Tr((S1^1/2 S2 S1^1/2)^1/2): the sum of the square roots of that PSD matrix's eigenvalues.
  const torch::Tensor inner = symmetric(torch::matmul(torch::matmul(root1, s2), root1));
  const torch::Tensor cross = torch::linalg::eigvalsh(inner, "L").clamp_min(0).sqrt().sum();
  const torch::Tensor distance = (m1 - m2).pow(2).sum() + s1.trace() + s2.trace() - 2 * cross;
  // Rounding can leave a tiny negative value for identical sets.
  return std::max(0.0, distance.item<double>());
}

double frechet_distance(const at::Tensor& features1, const at::Tensor& features2) {
  if (features1.dim() != 2 || features2.dim() != 2 || features1.size(1) != features2.size(1)) {
    throw std::invalid_argument("frechet_distance: expected two [N, F] feature sets of one width");
  }
  if (features1.size(0) < 2 || features2.size(0) < 2) {
    throw std::invalid_argument("frechet_distance: each feature set needs at least 2 rows");
  }
  const auto moments = [](const at::Tensor& features) {
    const torch::Tensor x = features.to(torch::kCPU, torch::kDouble);
    const torch::Tensor mean = x.mean(0);
    const torch::Tensor centred = x - mean;
    return std::make_pair(mean, torch::matmul(centred.t(), centred) / (x.size(0) - 1));
  };
  const auto [mean1, covariance1] = moments(features1);
  const auto [mean2, covariance2] = moments(features2);
  return frechet_distance(mean1, covariance1, mean2, covariance2);
}

RecognitionSummary summarize_recognition(const at::Tensor& labels, const at::Tensor& confidence,
                                         double threshold) {
  const torch::Tensor label_values = labels.to(torch::kCPU, torch::kLong).contiguous();
  const torch::Tensor confidence_values = confidence.to(torch::kCPU, torch::kDouble).contiguous();
  RecognitionSummary summary;
  summary.count = static_cast<int>(label_values.numel());
  std::set<int> classes;
  for (int i = 0; i < summary.count; ++i) {
    if (confidence_values.data_ptr<double>()[i] >= threshold) {
      ++summary.confident;
      classes.insert(static_cast<int>(label_values.data_ptr<int64_t>()[i]));
    }
  }
  summary.classes.assign(classes.begin(), classes.end());
  return summary;
}

}  // namespace spiral::learn
