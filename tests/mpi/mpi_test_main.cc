// main() of MPI test binaries: starts MPI, skips when the rank count is not the expected one,
// runs GoogleTest on every rank (output from rank 0 only) and agrees on one exit code.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  int expected = -1;
  const char* kFlag = "--expected-ranks=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kFlag, std::strlen(kFlag)) == 0) {
      expected = std::atoi(argv[i] + std::strlen(kFlag));
    }
  }
  if (expected > 0 && expected != size) {
    if (rank == 0) {
      std::printf("[  SKIPPED ] %s expects %d MPI ranks but runs on %d: skipped\n", argv[0],
                  expected, size);
    }
    MPI_Finalize();
    return 0;
  }

  ::testing::InitGoogleTest(&argc, argv);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_failed && !failed) std::fprintf(stderr, "rank %d passed; another rank failed\n", rank);
  MPI_Finalize();
  return any_failed;
}
