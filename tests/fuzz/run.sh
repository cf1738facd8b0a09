#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++, AddressSanitizer and UndefinedBehaviorSanitizer, then
# runs each for a bounded number of inputs and seconds:
#   idx, strokes, image  the data module's parsers (IDX + gzip, Omniglot strokes, PNG/JPEG)
#   config               the INI input-file parser of the configuration (core/config.cc)
#   program              the program JSON parser (render::program_from_json)
#   checkpoint           whole checkpoint files (learn::read_checkpoint_header): the whole-file
#                        checksum, then the header and every dataset's CRC32
# The main build uses g++, so this builds the few sources the targets need by itself.
# Exit code 77 (CTest: skipped) when clang++ or libFuzzer is missing: Debian's `clang` package
# gives clang++, `libclang-rt-14-dev` gives libFuzzer (libclang_rt.fuzzer-x86_64.a).
# Usage: bash tests/fuzz/run.sh [--runs N] [--seconds S] [--build-dir DIR] [--target NAME]...
# (--seconds bounds each target; --target, repeatable, runs only the targets named.)
# Without --target every target runs (the CTest test `fuzz`). The checkpoint target mutates whole
# sealed checkpoints (bit flips, truncations, insertions anywhere, HDF5 metadata included), the
# damage a disk or a copy does: each one must be refused with one line before libhdf5 parses the
# file (Debian's libhdf5 1.10 crashes on some corrupt files, e.g. a memcpy of a wild length in
# H5HG_read). It runs with -use_cmp=0, so that libFuzzer does not copy the CRC32 it sees compared
# into the input: a file forged with a matching checksum reaches libhdf5 like any HDF5 file.
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=50000
seconds=12
build_dir=${TMPDIR:-/tmp}/spiral-fuzz-$(id -u)
all_targets=(idx strokes image config program checkpoint)
targets=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --target)
      [[ " ${all_targets[*]} " == *" $2 "* ]] || {
        echo "fuzz: unknown target '$2' (one of: ${all_targets[*]})" >&2
        exit 2
      }
      targets+=("$2"); shift 2 ;;
    *) echo "fuzz: unknown argument '$1' (expected --runs N, --seconds S, --build-dir DIR," \
            "--target NAME)" >&2
       exit 2 ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

clang=${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}
if [[ -z "$clang" ]]; then
  echo "fuzz: skipped: clang++ not found (install the Debian package clang)"
  exit 77
fi
mkdir -p "$build_dir/obj" "$build_dir/corpus" "$build_dir/generated/spiral"
probe="$build_dir/probe.cc"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe"
if ! "$clang" -fsanitize=fuzzer,address "$probe" -o "$build_dir/probe" 2>"$build_dir/probe.log"; then
  echo "fuzz: skipped: $clang cannot link libFuzzer (install the Debian package libclang-rt-14-dev)"
  exit 77
fi
# painter_spec.cc includes the generated build_info.h; only the brushes folder macro is used.
build_info="$build_dir/generated/spiral/build_info.h"
[[ -f "$build_info" ]] || printf '#pragma once\n#define SPIRAL_BRUSHES_DIR ""\n' >"$build_info"

# Include and link flags of the libraries (the main build finds the same ones).
hdf5_cflags=$(pkg-config --cflags hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)
hdf5_libs=$(pkg-config --libs hdf5 2>/dev/null ||
  echo -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5)
mypaint_cflags=$(pkg-config --cflags libmypaint)
mypaint_libs=$(pkg-config --libs libmypaint)
# shellcheck disable=SC2206  # the pkg-config outputs are word lists
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -I"$source_dir/include" -I"$build_dir/generated"
       $hdf5_cflags $mypaint_cflags)
headers=("$source_dir"/include/spiral/*/*.h)

# Library sources and libraries of each target (and of make_seeds).
data_sources=(src/data/codec.cc src/data/idx_format.cc src/data/strokes.cc src/core/image.cc)
declare -A sources=(
  [data]="${data_sources[*]}"
  [config]="src/core/config.cc src/core/files.cc src/core/option_lists.cc src/render/options.cc"
  [program]="src/render/program.cc src/render/action_spec.cc src/render/painter_spec.cc
             src/render/scene_model.cc src/core/files.cc src/core/option_lists.cc"
  [checkpoint]="src/io/hdf5.cc src/learn/checkpoint_header.cc src/learn/checkpoint_seal.cc"
  [seeds]="${data_sources[*]} src/io/hdf5.cc src/learn/checkpoint_header.cc
           src/learn/checkpoint_seal.cc")
declare -A libraries=(
  [data]="-lpng -ljpeg -lz"
  [config]="-lboost_program_options"
  [program]="$mypaint_libs"
  [checkpoint]="$hdf5_libs -lz"
  [seeds]="-lpng -ljpeg -lz $hdf5_libs")
group_of() { case $1 in idx | strokes | image) echo data ;; *) echo "$1" ;; esac; }

# stale OUTPUT INPUT...: whether OUTPUT is missing or older than an input or a header.
stale() {
  local output=$1
  shift
  [[ -f "$output" ]] || return 0
  local input
  for input in "$@" "${headers[@]}"; do [[ "$input" -nt "$output" ]] && return 0; done
  return 1
}

# objects GROUP: builds the group's library sources once, with coverage instrumentation, and sets
# `objects` to their object files.
objects() {
  objects=()
  local source object
  for source in ${sources[$1]}; do
    object="$build_dir/obj/$(basename "${source%.cc}").o"
    if stale "$object" "$source_dir/$source"; then
      "$clang" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$source_dir/$source" -o "$object"
    fi
    objects+=("$object")
  done
}

seeds="$build_dir/seeds"
objects seeds
if stale "$build_dir/make_seeds" "$source_dir/tests/fuzz/make_seeds.cc" "${objects[@]}"; then
  # shellcheck disable=SC2086  # libraries are word lists
  "$clang" "${flags[@]}" -fsanitize=fuzzer-no-link "$source_dir/tests/fuzz/make_seeds.cc" \
    "${objects[@]}" ${libraries[seeds]} -o "$build_dir/make_seeds"
fi
"$build_dir/make_seeds" "$seeds"
# The shipped input files, and a real Omniglot PNG and stroke file when Python can unpack them.
mkdir -p "$seeds/config"
cp "$source_dir"/inputs/*.cfg "$seeds/config/"
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
for target in "${targets[@]}"; do
  group=$(group_of "$target")
  objects "$group"
  binary="$build_dir/${target}_fuzzer"
  source="$source_dir/tests/fuzz/${target}_fuzzer.cc"
  if stale "$binary" "$source" "${objects[@]}"; then
    # shellcheck disable=SC2086
    "$clang" "${flags[@]}" -fsanitize=fuzzer "$source" "${objects[@]}" ${libraries[$group]} \
      -o "$binary"
  fi
  options=(-runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536
           -print_final_stats=1)
  dictionary="$source_dir/tests/fuzz/$target.dict"
  [[ -f "$dictionary" ]] && options+=(-dict="$dictionary")
  # libhdf5 (Debian's 1.10) leaks on the error paths of some corrupt files, below H5Oopen and
  # H5Dopen; our handles close what they open, so leak checking is off for that target only.
  [[ "$target" == checkpoint ]] && options+=(-detect_leaks=0 -use_cmp=0)
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  log="$build_dir/${target}.log"
  start=$(date +%s)
  if (cd "$build_dir" && "$binary" "${options[@]}" "$corpus" "$seeds/$target" >"$log" 2>&1); then
    executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $target: $executed inputs in $(($(date +%s) - start)) s, no crash"
  else
    echo "fuzz: $target: FAILED (log: $log; crash input: $build_dir/crash-*)"
    tail -n 30 "$log"
    failed=$((failed + 1))
  fi
done
if ((failed > 0)); then
  echo "fuzz: $failed of ${#targets[@]} targets failed"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran without a crash"
