# Tests of the learn module (included from tests/unit/CMakeLists.txt).
spiral_test(learn_test SOURCES learn_test.cc DEPS spiral_learn LABELS unit TORCH)
spiral_test(pbt_test SOURCES pbt_test.cc DEPS spiral_learn LABELS unit TORCH)
spiral_test(discriminator_check_test SOURCES discriminator_check_test.cc DEPS spiral_learn LABELS unit TORCH)
