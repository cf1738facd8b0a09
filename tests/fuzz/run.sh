#!/usr/bin/env bash
# Builds the data module's libFuzzer targets (IDX + gzip, Omniglot strokes, PNG/JPEG) with clang++,
# AddressSanitizer and UndefinedBehaviorSanitizer, then runs each for a bounded number of inputs.
# The main build uses g++, so this builds the few sources the targets need by itself.
# Exit code 77 (CTest: skipped) when clang++ or libFuzzer is missing: Debian's `clang` package
# gives clang++, `libclang-rt-14-dev` gives libFuzzer (libclang_rt.fuzzer-x86_64.a).
# Usage: bash tests/fuzz/run.sh [--runs N] [--seconds S] [--build-dir DIR]
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=50000
seconds=12
build_dir=${TMPDIR:-/tmp}/spiral-fuzz-$(id -u)
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    *) echo "fuzz: unknown argument '$1' (expected --runs N, --seconds S, --build-dir DIR)" >&2
       exit 2 ;;
  esac
done

clang=${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}
if [[ -z "$clang" ]]; then
  echo "fuzz: skipped: clang++ not found (install the Debian package clang)"
  exit 77
fi
mkdir -p "$build_dir/obj" "$build_dir/corpus"
probe="$build_dir/probe.cc"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe"
if ! "$clang" -fsanitize=fuzzer,address "$probe" -o "$build_dir/probe" 2>"$build_dir/probe.log"; then
  echo "fuzz: skipped: $clang cannot link libFuzzer (install the Debian package libclang-rt-14-dev)"
  exit 77
fi

flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -I"$source_dir/include")
libraries=(-lpng -ljpeg -lz)
headers=("$source_dir"/include/spiral/core/*.h "$source_dir"/include/spiral/data/*.h)

# stale OUTPUT INPUT...: whether OUTPUT is missing or older than an input or a header.
stale() {
  local output=$1
  shift
  [[ -f "$output" ]] || return 0
  local input
  for input in "$@" "${headers[@]}"; do [[ "$input" -nt "$output" ]] && return 0; done
  return 1
}

# The library sources the targets use, built once with coverage instrumentation.
objects=()
for source in src/data/codec.cc src/data/idx_format.cc src/data/strokes.cc src/core/image.cc; do
  object="$build_dir/obj/$(basename "${source%.cc}").o"
  if stale "$object" "$source_dir/$source"; then
    "$clang" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$source_dir/$source" -o "$object"
  fi
  objects+=("$object")
done

seeds="$build_dir/seeds"
if stale "$build_dir/make_seeds" "$source_dir/tests/fuzz/make_seeds.cc" "${objects[@]}"; then
  "$clang" "${flags[@]}" -fsanitize=fuzzer-no-link "$source_dir/tests/fuzz/make_seeds.cc" \
    "${objects[@]}" "${libraries[@]}" -o "$build_dir/make_seeds"
fi
"$build_dir/make_seeds" "$seeds"
# A real Omniglot PNG and stroke file as seeds too, when Python can unpack them.
if command -v python3 >/dev/null; then
  python3 - "$source_dir/inputs/data/omniglot" "$seeds" <<'PY' || true
import sys, zipfile
data, seeds = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(data + "/images_background_small1.zip") as z:
    name = next(n for n in z.namelist() if n.endswith(".png"))
    open(seeds + "/image/omniglot.png", "wb").write(z.read(name))
with zipfile.ZipFile(data + "/strokes_background_small1.zip") as z:
    name = next(n for n in z.namelist() if n.endswith(".txt") and "__MACOSX" not in n)
    open(seeds + "/strokes/omniglot.txt", "wb").write(z.read(name))
PY
fi

failed=0
for target in idx strokes image; do
  binary="$build_dir/${target}_fuzzer"
  source="$source_dir/tests/fuzz/${target}_fuzzer.cc"
  if stale "$binary" "$source" "${objects[@]}"; then
    "$clang" "${flags[@]}" -fsanitize=fuzzer "$source" "${objects[@]}" "${libraries[@]}" \
      -o "$binary"
  fi
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  log="$build_dir/${target}.log"
  start=$(date +%s)
  if (cd "$build_dir" && "$binary" -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$corpus" "$seeds/$target" >"$log" 2>&1); then
    executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $target: $executed inputs in $(($(date +%s) - start)) s, no crash"
  else
    echo "fuzz: $target: FAILED (log: $log; crash input: $build_dir/crash-*)"
    tail -n 30 "$log"
    failed=$((failed + 1))
  fi
done
if ((failed > 0)); then
  echo "fuzz: $failed of 3 targets failed"
  exit 1
fi
echo "fuzz: 3 targets ran without a crash"
