# Tests of the data module (included from tests/unit/CMakeLists.txt).
spiral_test(data_test SOURCES data_test.cc DEPS spiral_data spiral_io LABELS unit)
spiral_test(data_render_test SOURCES data_render_test.cc DEPS spiral_data spiral_io LABELS unit)
foreach(test data_test data_render_test)
  target_compile_definitions(${test} PRIVATE SPIRAL_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endforeach()
spiral_script_test(data_cli ${PROJECT_SOURCE_DIR}/tests/e2e/data_cli_test.sh LABELS e2e)
