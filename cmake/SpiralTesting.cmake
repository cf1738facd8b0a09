# Test helpers: GoogleTest unit tests and MPI tests with a fixed rank count.
find_package(GTest QUIET)
spiral_require(GTest_FOUND "GoogleTest" "libgtest-dev googletest")
include(GoogleTest)

# Every test binary that does not link LibTorch; scripts/test.sh builds it again with sanitizers.
add_custom_target(sanitizer_tests)

# Environment every test runs in: mpirun as root, shared-memory transport, no GPU probing noise.
set(SPIRAL_TEST_ENVIRONMENT
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
    OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
    SPIRAL_SOURCE_DIR=${PROJECT_SOURCE_DIR} SPIRAL_BINARY=$<TARGET_FILE:spiral>)
if(SPIRAL_SANITIZE)
  # Open MPI and EGL leak at exit in ways a suppression file cannot name; see the README.
  list(APPEND SPIRAL_TEST_ENVIRONMENT
       ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1)
endif()

# spiral_test(NAME SOURCES file... DEPS target... [LABELS label...] [TORCH] [WHOLE]):
# a GoogleTest executable. Cases are discovered one CTest test each, except WHOLE binaries
# (those that link LibTorch: each process takes ~0.35 s to start), registered as one test.
function(spiral_test name)
  cmake_parse_arguments(ARG "TORCH;WHOLE" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE spiral_flags ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  if(ARG_TORCH)
    spiral_use_torch(${name})
  else()
    add_dependencies(sanitizer_tests ${name})
    list(APPEND ARG_LABELS sanitize)
  endif()
  if(ARG_WHOLE OR ARG_TORCH)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
                                            ENVIRONMENT "${SPIRAL_TEST_ENVIRONMENT}")
  else()
    # Properties with list values cannot pass through gtest_discover_tests' PROPERTIES; a file
    # included after the discovered tests sets them on the whole list instead.
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST TEST_PREFIX "${name}."
                         TEST_LIST ${name}_TESTS)
    set(properties_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake)
    file(GENERATE OUTPUT ${properties_file} CONTENT
         "set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\"
          ENVIRONMENT \"${SPIRAL_TEST_ENVIRONMENT}\")\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${properties_file})
  endif()
endfunction()

# spiral_mpi_test_binary(NAME SOURCES file... DEPS target...): a GoogleTest binary for MPI tests,
# with the main() that checks the rank count.
function(spiral_mpi_test_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/mpi/mpi_test_main.cc)
  target_link_libraries(${name} PRIVATE spiral_flags ${ARG_DEPS} MPI::MPI_C GTest::gtest)
  add_dependencies(sanitizer_tests ${name})
endfunction()

# add_mpi_test(NAME TARGET RANKS): run TARGET under mpirun with RANKS processes. The binary is
# told the rank count it expects and skips itself, with a message, when run with another.
function(add_mpi_test name target ranks)
  add_test(NAME ${name}
           COMMAND ${SPIRAL_MPIEXEC} -np ${ranks} --oversubscribe $<TARGET_FILE:${target}>
                   --expected-ranks=${ranks})
  set_tests_properties(${name} PROPERTIES LABELS "mpi;sanitize" PROCESSORS ${ranks}
                                          ENVIRONMENT "${SPIRAL_TEST_ENVIRONMENT}"
                                          SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endfunction()

# spiral_script_test(NAME SCRIPT [LABELS label...]): a shell test under tests/e2e.
function(spiral_script_test name script)
  cmake_parse_arguments(ARG "" "" "LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
                                          ENVIRONMENT "${SPIRAL_TEST_ENVIRONMENT}"
                                          SKIP_RETURN_CODE 77)
endfunction()

# The format check: every C++ file follows .clang-format.
if(SPIRAL_CLANG_FORMAT)
  add_test(NAME format COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/format.sh --check)
  set_tests_properties(format PROPERTIES LABELS "style")
endif()
