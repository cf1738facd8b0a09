// Real MPI collectives across ranks (run with 2 and 4 ranks by CTest).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spiral/dist/mpi.h"

namespace spiral::dist {
namespace {

Communicator world() { return Communicator(MPI_COMM_WORLD); }

TEST(Allreduce, RanksAreDistinctAndComplete) {
  const Communicator comm = world();
  double bits = static_cast<double>(1 << comm.rank());
  comm.allreduce_sum(&bits, 1);
  EXPECT_EQ(bits, (1 << comm.size()) - 1);  // every rank id appears exactly once
}

TEST(Allreduce, SumsFloatsElementWise) {
  const Communicator comm = world();
  const size_t count = 1000;
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = static_cast<float>(comm.rank() + 0.5 * i);
  comm.allreduce_sum(values.data(), count);
  const int n = comm.size();
  for (size_t i = 0; i < count; ++i) {
    // sum over ranks r of (r + i/2) = n(n-1)/2 + n*i/2, exact in float at these sizes
    ASSERT_EQ(values[i], static_cast<float>(n * (n - 1) / 2 + 0.5 * n * i)) << "at " << i;
  }
}

TEST(Allreduce, SumsALargeDoubleBuffer) {
  const Communicator comm = world();
  std::vector<double> values(1 << 20, comm.rank() + 1.0);
  comm.allreduce_sum(values.data(), values.size());
  const int n = comm.size();
  for (double value : values) ASSERT_EQ(value, n * (n + 1) / 2.0);
}

TEST(Gather, CollectsEveryRanksBytesInRankOrderOnTheRoot) {
  const Communicator comm = world();
  const int root = comm.size() - 1;
  // Parts of different lengths (rank 0's is empty) holding NUL bytes.
  const auto part = [](int rank) {
    return std::string(static_cast<size_t>(rank) * 3, '\0') + "r" + std::to_string(rank);
  };
  const std::vector<std::string> parts =
      comm.gather(comm.rank() == 0 ? "" : part(comm.rank()), root);
  if (comm.rank() != root) {
    EXPECT_TRUE(parts.empty());
    return;
  }
  ASSERT_EQ(parts.size(), static_cast<size_t>(comm.size()));
  EXPECT_EQ(parts[0], "");
  for (int r = 1; r < comm.size(); ++r) EXPECT_EQ(parts[r], part(r)) << "rank " << r;
}

}  // namespace
}  // namespace spiral::dist
