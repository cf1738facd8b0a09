# Tests of the run module's pure parts (included from tests/unit/CMakeLists.txt).
spiral_test(run_test SOURCES run_test.cc DEPS spiral_run LABELS unit TORCH)
