# Tests of the digit classifier and the sample-quality figures (included from
# tests/unit/CMakeLists.txt). The accuracy test trains on the 9,000 training images of the shipped
# MNIST for CLASSIFIER_TEST_EPOCHS epochs on one thread (about 25 s; 98.1% to 98.4% held out for
# seeds 1 to 3).
spiral_test(classifier_test SOURCES classifier_test.cc DEPS spiral_learn LABELS unit TORCH)
target_compile_definitions(classifier_test PRIVATE SPIRAL_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                   CLASSIFIER_TEST_EPOCHS=8)
