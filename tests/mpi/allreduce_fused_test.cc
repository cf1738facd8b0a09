// The fused tensor allreduce against the per-tensor reference and a locally computed mean
// (run with 2 and 4 ranks by CTest).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

#include "spiral/dist/allreduce.h"

namespace spiral::dist {
namespace {

Communicator world() { return Communicator(MPI_COMM_WORLD); }

// Rank `rank`'s tensors: mixed shapes (a scalar, an empty one, a non-contiguous view, some larger
// than a small bucket) and dtypes (float and double interleaved), values from a seed per rank.
std::vector<torch::Tensor> rank_tensors(int rank) {
  at::Generator generator = at::detail::createCPUGenerator(1000 + rank);
  const std::vector<std::vector<int64_t>> shapes = {
      {}, {3}, {17, 5}, {0}, {1000}, {64, 32, 3, 3}, {7}, {2, 2}, {4096}, {33, 65}};
  std::vector<torch::Tensor> tensors;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto dtype = i % 3 == 1 ? torch::kDouble : torch::kFloat;
    tensors.push_back(torch::randn(shapes[i], generator, torch::TensorOptions().dtype(dtype)));
  }
  // A transposed (non-contiguous) view of a fresh tensor.
  tensors.push_back(
      torch::randn({9, 4}, generator, torch::TensorOptions().dtype(torch::kFloat)).t());
  return tensors;
}

std::vector<torch::Tensor> clone_all(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> copies;
  for (const auto& tensor : tensors) copies.push_back(tensor.clone());
  return copies;
}

void expect_close(const std::vector<torch::Tensor>& actual,
                  const std::vector<torch::Tensor>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i].sizes(), expected[i].sizes()) << what << " tensor " << i;
    ASSERT_EQ(actual[i].scalar_type(), expected[i].scalar_type()) << what << " tensor " << i;
    EXPECT_TRUE(torch::allclose(actual[i], expected[i], 1e-5, 1e-6))
        << what << " tensor " << i << ": largest difference "
        << (actual[i].numel() ? (actual[i] - expected[i]).abs().max().item<double>() : 0.0);
  }
}

TEST(FusedAllreduce, EqualsThePerTensorReference) {
  const Communicator comm = world();
  for (size_t bucket_bytes : {size_t{1}, size_t{4096}, size_t{100000}, kDefaultBucketBytes}) {
    const std::vector<torch::Tensor> original = rank_tensors(comm.rank());
    const std::vector<torch::Tensor> fused = clone_all(original);
    const std::vector<torch::Tensor> reference = clone_all(original);
    FusedAllreduce allreduce(comm, bucket_bytes);
    allreduce.average(fused);
    average_per_tensor(comm, reference);
    expect_close(fused, reference, "fused vs per-tensor");
    // The values changed (each rank's tensors differ), so the test is not vacuous.
    EXPECT_FALSE(torch::equal(fused[4], original[4]));
  }
}

TEST(FusedAllreduce, EqualsTheMeanOfEveryRanksTensors) {
  const Communicator comm = world();
  const std::vector<torch::Tensor> tensors = rank_tensors(comm.rank());
  FusedAllreduce allreduce(comm, 4096);
  allreduce.average(tensors);
  allreduce.average(tensors);  // averaging equal tensors again changes nothing
  std::vector<torch::Tensor> mean = clone_all(rank_tensors(0));
  for (auto& tensor : mean) tensor = tensor.to(torch::kDouble);
  for (int rank = 1; rank < comm.size(); ++rank) {
    const std::vector<torch::Tensor> other = rank_tensors(rank);
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += other[i].to(torch::kDouble);
  }
  for (size_t i = 0; i < mean.size(); ++i) {
    mean[i] = (mean[i] / comm.size()).to(tensors[i].scalar_type());
  }
  expect_close(tensors, mean, "fused vs local mean");
}

TEST(FusedAllreduce, IsExactOnSmallIntegers) {
  const Communicator comm = world();
  // Rank r holds r + i in element i; the mean over n ranks is (n - 1) / 2 + i, exact in float.
  std::vector<torch::Tensor> tensors = {
      torch::arange(10, torch::kFloat) + comm.rank(),
      torch::arange(300, torch::kDouble).view({3, 100}) + comm.rank(),
      torch::arange(50, torch::kFloat) + comm.rank()};
  FusedAllreduce allreduce(comm, 64);
  allreduce.average(tensors);
  const double offset = (comm.size() - 1) / 2.0;
  EXPECT_TRUE(torch::equal(tensors[0], torch::arange(10, torch::kFloat) + offset));
  EXPECT_TRUE(torch::equal(tensors[1], torch::arange(300, torch::kDouble).view({3, 100}) + offset));
  EXPECT_TRUE(torch::equal(tensors[2], torch::arange(50, torch::kFloat) + offset));
}

TEST(FusedAllreduce, AveragesAModulesGradients) {
  const Communicator comm = world();
  torch::manual_seed(7);  // the same parameters on every rank
  torch::nn::Sequential net(torch::nn::Linear(8, 16), torch::nn::ReLU(), torch::nn::Linear(16, 2),
                            torch::nn::Linear(2, 2));
  // Rank-dependent inputs; the last layer is left out of the loss, so it has no gradient.
  const torch::Tensor input = torch::full({4, 8}, 1.0 + comm.rank());
  net[0]->as<torch::nn::Linear>()->forward(input).sum().backward();
  const std::vector<torch::Tensor> params = net->parameters();
  std::vector<torch::Tensor> grads = gradients_of(params);
  ASSERT_EQ(grads.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(params[i].grad().defined());
  EXPECT_EQ(grads.back().abs().sum().item<float>(), 0.0f);  // created as zeros
  const std::vector<torch::Tensor> reference = clone_all(grads);
  FusedAllreduce(comm).average(grads);
  average_per_tensor(comm, reference);
  expect_close(grads, reference, "gradients");
  // grads alias the parameters' gradients: the module sees the averages.
  EXPECT_TRUE(torch::equal(params[0].grad(), grads[0]));
  // d(sum(W x + b)) / dW = sum over rows of x: mean over ranks of 4 (1 + r) = 4 (n + 1) / 2.
  EXPECT_FLOAT_EQ(params[0].grad()[0][0].item<float>(), 2.0f * (comm.size() + 1));
}

TEST(FusedAllreduce, RejectsTensorsItCannotReduce) {
  const Communicator comm = world();
  FusedAllreduce allreduce(comm);
  EXPECT_THROW(allreduce.average({torch::ones({3}, torch::kInt)}), std::invalid_argument);
  EXPECT_THROW(allreduce.average({torch::Tensor()}), std::invalid_argument);
  EXPECT_THROW(average_per_tensor(comm, {torch::ones({3}, torch::kLong)}), std::invalid_argument);
  EXPECT_THROW(FusedAllreduce(comm, 0), std::invalid_argument);
}

TEST(NcclAllreduce, NeedsAGpuOrSaysWhy) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is present; this checks its absence";
  EXPECT_THROW(NcclAllreduce{world()}, std::runtime_error);
}

}  // namespace
}  // namespace spiral::dist
