#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run the whole test suite;
# then build the tests that do not link LibTorch with ASan+UBSan and run them again.
# Set SPIRAL_SANITIZERS=0 to skip the sanitizer pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh build
start=$(date +%s)
ctest --test-dir build --output-on-failure -j "$(nproc)"
echo "test: suite ran in $(($(date +%s) - start)) s"

if [[ "${SPIRAL_SANITIZERS:-1}" != 0 ]]; then
  SPIRAL_CMAKE_ARGS="-DSPIRAL_SANITIZE=ON" bash scripts/build.sh build-asan sanitizer_tests
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -L sanitize
fi
