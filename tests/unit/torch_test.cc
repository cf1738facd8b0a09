// Tests that LibTorch runs as the project expects: the thread count we set, correct products,
// and an optimized BLAS (OpenBLAS) rather than the reference BLAS.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string loaded_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str();
}

TEST(Torch, UsesTheThreadCountWeSet) {
  at::set_num_threads(2);
  EXPECT_EQ(at::get_num_threads(), 2);
  at::set_num_threads(1);
  EXPECT_EQ(at::get_num_threads(), 1);
}

TEST(Torch, MatrixProductMatchesTheDefinition) {
  torch::manual_seed(7);
  const torch::Tensor a = torch::randn({37, 53});
  const torch::Tensor b = torch::randn({53, 29});
  const torch::Tensor product = torch::mm(a, b);
  auto a_ = a.accessor<float, 2>();
  auto b_ = b.accessor<float, 2>();
  auto p_ = product.accessor<float, 2>();
  for (int i = 0; i < 37; ++i) {
    for (int j = 0; j < 29; ++j) {
      double sum = 0;
      for (int k = 0; k < 53; ++k) sum += static_cast<double>(a_[i][k]) * b_[k][j];
      ASSERT_NEAR(p_[i][j], sum, 1e-4) << i << "," << j;
    }
  }
}

TEST(Torch, RunsOnOpenBlas) {
  const torch::Tensor a = torch::ones({256, 256});
  EXPECT_EQ(torch::mm(a, a).sum().item<float>(), 256.0f * 256 * 256);
  const std::string libraries = loaded_libraries();
  EXPECT_NE(libraries.find("openblas"), std::string::npos)
      << "LibTorch is not on OpenBLAS (install libopenblas0-openmp; the reference BLAS is 10 to "
         "20 times slower). Loaded libraries:\n"
      << libraries;
}

}  // namespace
