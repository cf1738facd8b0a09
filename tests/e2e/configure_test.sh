#!/usr/bin/env bash
# A missing dependency stops the CMake configure step with one line naming the Debian package.
set -uo pipefail
source_dir=${SPIRAL_SOURCE_DIR:?set by CTest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

expect_missing() {  # expect_missing CMAKE_PACKAGE DEBIAN_PACKAGES
  local log="$work/$1.log"
  if cmake -S "$source_dir" -B "$work/build-$1" -DCMAKE_DISABLE_FIND_PACKAGE_"$1"=ON \
    -DSPIRAL_BUILD_TESTS=OFF >"$log" 2>&1; then
    echo "FAIL: configure without $1 succeeded"
    failures=$((failures + 1))
  elif tr -s ' \n' '  ' <"$log" | grep -q "install the Debian package(s) '$2'"; then
    passes=$((passes + 1))
  else
    echo "FAIL: configure without $1 did not name '$2':"
    cat "$log"
    failures=$((failures + 1))
  fi
}

expect_missing Torch libtorch-dev
expect_missing HDF5 libhdf5-dev
expect_missing Boost libboost-program-options-dev

echo "$passes passed, $failures failed"
((failures == 0))
