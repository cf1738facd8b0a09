#!/usr/bin/env bash
# The GPU build helper (see ../shared/device/README.md).
#   bash scripts/gpu.sh prepare   here: fetch the Debian packages the GPU machine lacks into .gpu/
#   bash scripts/gpu.sh check     there: build against PyTorch's CUDA LibTorch, print the version
#                                 report, run the test suite and the benches (learner, inference,
#                                 async with a GPU learner); results go to $OUT (default .gpu/out)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kit=${SPIRAL_DEVICE_KIT:-../shared/device}

case "${1:-}" in
  prepare)
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >>.git/info/exclude
    mkdir -p .gpu
    cp "$kit/gpu-env.sh" .gpu/
    bash "$kit/fetch-debs.sh" .gpu/debs
    # What the kit lacks and this project needs: libzip (Omniglot archives) and GoogleTest.
    (cd .gpu/debs && apt-get download libzip4 libzip-dev libgtest-dev libgmock-dev)
    ;;
  check)
    out=${OUT:-.gpu/out}
    build=${SPIRAL_GPU_BUILD_DIR:-/tmp/spiral-gpu-build}
    mkdir -p "$out"
    # shellcheck disable=SC1091
    source .gpu/gpu-env.sh .gpu/debs
    start=$(date +%s)
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/configure.log" 2>&1
    cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1
    echo "build: $(($(date +%s) - start)) s" | tee "$out/summary.txt"
    "$build/spiral" --version | tee -a "$out/summary.txt"
    ctest --test-dir "$build" -j "$(nproc)" --output-on-failure >"$out/ctest.log" 2>&1 || true
    tail -n 4 "$out/ctest.log" | tee -a "$out/summary.txt"
    # GPU figures for BENCHMARKS.md: each run's CSV goes to $out, its table to summary.txt.
    bench() {  # bench NAME ARGS...
      local name=$1
      shift
      echo "== spiral bench $*" >>"$out/summary.txt"
      "$build/spiral" bench "$@" --csv "$out/bench-$name.csv" >"$out/bench-$name.log" 2>&1 ||
        echo "failed: see bench-$name.log" >>"$out/summary.txt"
      grep -v '^\[' "$out/bench-$name.log" >>"$out/summary.txt" || true
    }
    bench inference-cuda inference --device cuda
    bench learner-cuda-64x19 learner --device cuda --batch 64 --unroll 19
    bench learner-cuda-1024x19 learner --device cuda --batch 1024 --unroll 19
    bench learner-cuda-1024x19-tf32 learner --device cuda --batch 1024 --unroll 19 --tf32
    # Async at the paper's sizes: one GPU learner, 1 to 14 CPU actor ranks on the other cores
    # (and sync on the GPU first). Run folders stay in /tmp; their small files come back.
    runs=/tmp/spiral-bench-async
    rm -rf "$runs"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 SPIRAL_BINARY="$build/spiral" \
      bash jobs/bench-async.sh --seconds "${SPIRAL_ASYNC_SECONDS:-60}" --actors 1,2,4,8,14 \
      --config inputs/mnist-conditional.cfg --out "$runs" -- --device cuda --envs 32 \
      >"$out/bench-async.log" 2>&1 || echo "bench-async failed: see bench-async.log" >>"$out/summary.txt"
    for run in "$runs"/*/; do
      mkdir -p "$out/async/$(basename "$run")"
      cp "$run"/metrics.h5 "$run"/roles.h5 "$run"/config.cfg "$out/async/$(basename "$run")/" || true
    done
    grep '^|' "$out/bench-async.log" >>"$out/summary.txt" || true
    /usr/bin/python3 analysis/scaling_model.py --check "$runs"/async-*-actors >>"$out/summary.txt" 2>&1 || true
    tail -n 40 "$out/summary.txt"
    ;;
  *)
    echo "usage: bash scripts/gpu.sh prepare|check" >&2
    exit 2
    ;;
esac
