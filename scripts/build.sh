#!/usr/bin/env bash
# Configures and builds SPIRAL-HPC. Usage: bash scripts/build.sh [BUILD_DIR [TARGET...]]
# Environment: SPIRAL_BUILD_TYPE (RelWithDebInfo), SPIRAL_CMAKE_ARGS (extra configure arguments),
# SPIRAL_JOBS (parallel jobs; default: all cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${1:-build}
shift || true
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE="${SPIRAL_BUILD_TYPE:-RelWithDebInfo}" ${SPIRAL_CMAKE_ARGS:-}
targets=()
for target in "$@"; do targets+=(--target "$target"); done
start=$(date +%s)
cmake --build "$build_dir" -j "${SPIRAL_JOBS:-$(nproc)}" "${targets[@]}"
echo "build: $build_dir built in $(($(date +%s) - start)) s"
