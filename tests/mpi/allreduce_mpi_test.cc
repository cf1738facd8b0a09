// Real MPI collectives across ranks (run with 4 ranks by CTest).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace spiral::dist
