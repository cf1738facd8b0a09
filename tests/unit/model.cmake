# Tests of the model module (included from tests/unit/CMakeLists.txt).
spiral_test(model_test SOURCES model_test.cc DEPS spiral_model LABELS unit TORCH)
