#!/usr/bin/env bash
# A missing dependency stops the CMake configure step with one line naming the Debian package.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

expect_missing() {  # expect_missing CMAKE_PACKAGE DEBIAN_PACKAGES
  local log="$work/$1.log"
  if cmake -S "$source_dir" -B "$work/build-$1" -DCMAKE_DISABLE_FIND_PACKAGE_"$1"=ON \
    -DSPIRAL_BUILD_TESTS=OFF >"$log" 2>&1; then
    check "configure without $1 fails" false
  elif tr -s ' \n' '  ' <"$log" | grep -q "install the Debian package(s) '$2'"; then
    check "configure without $1 names '$2'" true
  else
    cat "$log"
    check "configure without $1 names '$2'" false
  fi
}

expect_missing Torch libtorch-dev
expect_missing HDF5 libhdf5-dev
expect_missing Boost libboost-program-options-dev

finish
