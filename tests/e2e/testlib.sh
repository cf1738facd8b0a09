# Shared by the end-to-end test scripts (sourced): a scratch folder, and pass/fail bookkeeping.
# Each script sources this, makes its checks, and ends with `finish`.
set -uo pipefail
spiral=${SPIRAL_BINARY:?set by CTest}
source_dir=${SPIRAL_SOURCE_DIR:?set by CTest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
passes=0

check() {  # check NAME CONDITION...: record a pass or print the failure
  local name=$1
  shift
  if "$@"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name"
    failures=$((failures + 1))
  fi
}
run() {  # run ARGS...: runs spiral; sets $out, $err, $code
  "$spiral" "$@" >"$work/.out" 2>"$work/.err"
  code=$?
  out=$(cat "$work/.out")
  err=$(cat "$work/.err")
}
lines() { printf '%s' "$1" | grep -c ''; }
png_ok() {  # png_ok FILE: a real picture: over 5 kB and more than one colour
  [[ $(stat -c %s "$1" 2>/dev/null || echo 0) -gt 5000 ]] &&
    /usr/bin/python3 -c 'import sys, matplotlib.image as m, numpy as n
i = m.imread(sys.argv[1]); sys.exit(0 if n.unique(i.reshape(-1, i.shape[-1]), axis=0).shape[0] > 1 else 1)' "$1"
}
tiny_config() {  # tiny_config [KEY=VALUE...]: writes tiny.cfg, a tiny conditional MNIST painter
  # (4 episodes of 3 steps = 12 frames per update), with the given settings changed or added
  local keys=(run-dir canvas grid episode-length batch envs policy-size held-out progress-every
    seed threads dataset)
  local -A values=([run-dir]=runs [canvas]=64 [grid]=8 [episode-length]=3 [batch]=4 [envs]=4
    [policy-size]=small [held-out]=4 [progress-every]=0 [seed]=7 [threads]=2
    [dataset]="mnist:$source_dir/inputs/data/mnist")
  local pair key
  for pair in "$@"; do
    key=${pair%%=*}
    [[ -v "values[$key]" ]] || keys+=("$key")
    values[$key]=${pair#*=}
  done
  for key in "${keys[@]}"; do echo "$key = ${values[$key]}"; done >tiny.cfg
}
train_on() {  # train_on RANKS NAME ARGS...: spiral train --config tiny.cfg --name NAME on RANKS MPI
  # ranks (5 minutes at most), its output appended to NAME.out; sets $code
  local ranks=$1 name=$2
  shift 2
  timeout 300 mpirun -np "$ranks" "$spiral" train --config tiny.cfg --name "$name" "$@" \
    >>"$name.out" 2>&1
  code=$?
}
rank_pid() {  # rank_pid NAME RANK: the process of that MPI rank in run NAME (waits for it)
  local pid
  for _ in $(seq 600); do
    for pid in $(pgrep -f -- "--name $1( |$)"); do
      if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
        echo "$pid"
        return 0
      fi
    done
    sleep 0.1
  done
  return 1
}
wait_for() {  # wait_for FILE PATTERN: until FILE has a line matching PATTERN (60 s at most)
  for _ in $(seq 600); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
reseal_checkpoint() {  # reseal_checkpoint FILE: rewrites the whole-file checksum of a checkpoint
  # edited in place (its length and CRC32, as docs/checkpoint-format.md lays them out)
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys, zlib
with open(sys.argv[1], "r+b") as f:
    data = bytearray(f.read())
    data[16:24] = struct.pack("<Q", len(data))
    data[8:12] = struct.pack("<I", zlib.crc32(data[12:]))
    f.seek(0)
    f.write(data[:24])
PY
}
finish() {  # the closing line CTest and CI read; fails the script when a check failed
  echo "$passes passed, $failures failed"
  ((failures == 0))
}
