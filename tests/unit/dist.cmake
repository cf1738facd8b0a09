# Tests of the dist module's pure helpers (included from tests/unit/CMakeLists.txt).
spiral_test(dist_test SOURCES dist_test.cc DEPS spiral_dist LABELS unit)
