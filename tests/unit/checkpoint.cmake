# Tests of checkpoints and the signal guard (included from tests/unit/CMakeLists.txt).
spiral_test(checkpoint_test SOURCES checkpoint_test.cc DEPS spiral_learn LABELS unit TORCH)
target_compile_definitions(checkpoint_test PRIVATE SPIRAL_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
