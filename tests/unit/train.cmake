# Tests of the single-rank Trainer (included from tests/unit/CMakeLists.txt).
spiral_test(train_test SOURCES train_test.cc DEPS spiral_learn LABELS unit TORCH)
target_compile_definitions(train_test PRIVATE SPIRAL_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
