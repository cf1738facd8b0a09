#!/usr/bin/env bash
# Benchmark of learning: conditional MNIST, discriminator reward against L2 reward, the same input
# file, seed and wall-clock budget, both arms side by side (one LibTorch thread each). Prints the
# held-out reconstruction MSE of each arm at regular frame counts next to the blank-canvas MSE of
# the same images, and each arm's frames/s; writes the table to <out>/learn.csv.
#   bash jobs/bench-learn.sh [--minutes 30] [--config inputs/quickstart.cfg] [--out runs/bench-learn]
#                            [--seed 1] [--d-options "OPTIONS"] [-- more options for both arms]
# --d-options are spiral train options for the D arm only (e.g. "--spectral-norm true"). With the
# quickstart, inputs/quickstart-adversarial.cfg's D is "--discriminator-widths 16,32,64,128
# --mismatched-fakes true --discriminator-weight 0.006" (the weight puts D's rewards near the L2
# rewards the file's entropy cost is sized for; BENCHMARKS.md, "RQ2 on the quickstart").
# Needs: build/spiral (bash scripts/build.sh; SPIRAL_BINARY names another) and /usr/bin/python3
# with h5py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
minutes=30 config=inputs/quickstart.cfg out=runs/bench-learn seed=1 d_options=""
while (($#)); do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --d-options) d_options=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,13p' "$0" | cut -c3-; exit 0 ;;
    *) echo "bench-learn: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
spiral=${SPIRAL_BINARY:-build/spiral}
[[ -x $spiral ]] || { echo "bench-learn: $spiral is missing; run bash scripts/build.sh" >&2; exit 2; }
[[ -f $config ]] || { echo "bench-learn: $config: no such input file" >&2; exit 2; }
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "bench-learn: --minutes wants a number, got $minutes" >&2; exit 2; }
for arm in discriminator l2; do
  [[ -e $out/$arm ]] && { echo "bench-learn: $out/$arm exists; pick another --out" >&2; exit 2; }
done
mkdir -p "$out"
seconds=$(/usr/bin/python3 -c "print(int(float('$minutes') * 60))")
pids=()
for arm in discriminator l2; do
  arm_options=()
  # shellcheck disable=SC2206  # the D options are words to split
  [[ $arm == discriminator ]] && arm_options=($d_options)
  "$spiral" train --config "$config" --run-dir "$out" --name "$arm" --reward "$arm" \
    --seed "$seed" --threads 1 --frames 1000000000000 --duration "$seconds" \
    --progress-every 60 "${arm_options[@]}" "$@" >"$out/$arm.log" 2>&1 &
  pids+=($!)
  echo "bench-learn: arm $arm started (log $out/$arm.log), $minutes min"
done
# Each arm ends at its duration with a checkpoint and exit code 0.
for pid in "${pids[@]}"; do
  status=0
  wait "$pid" || status=$?  # (set -e would end the script at the first failed arm)
  ((status == 0)) || { echo "bench-learn: an arm failed (exit $status); see $out/*.log" >&2; exit 1; }
done
/usr/bin/python3 - "$out" <<'PY'
import csv, math, re, sys
import h5py
import numpy as np

out = sys.argv[1]
arms = ("discriminator", "l2")
runs = {}
for arm in arms:
    with h5py.File(f"{out}/{arm}/metrics.h5", "r") as f:
        runs[arm] = {k: f[k][()] for k in ("frames", "wall_time", "held_out_mse")}
    text = open(f"{out}/{arm}.log").read()
    start = re.search(r"held-out MSE at start ([0-9.e+-]+) \(blank canvas ([0-9.e+-]+)\)", text)
    runs[arm]["start"], runs[arm]["blank"] = float(start.group(1)), float(start.group(2))
blank = runs["l2"]["blank"]
last = min(int(r["frames"][-1]) for r in runs.values())
marks = [int(last * i / 10) for i in range(1, 11)]

def mse_at(run, frames):
    """The newest held-out MSE evaluated at or before `frames`."""
    ok = (run["frames"] <= frames) & ~np.isnan(run["held_out_mse"])
    return run["held_out_mse"][ok][-1] if ok.any() else run["start"]

rows = [(0, runs["discriminator"]["start"], runs["l2"]["start"])]
rows += [(m, mse_at(runs["discriminator"], m), mse_at(runs["l2"], m)) for m in marks]
print(f"held-out MSE (blank canvas {blank:.4f}; half of it {blank / 2:.4f})")
print(f"{'frames':>10} {'D reward':>10} {'L2 reward':>10}")
for frames, d, l2 in rows:
    print(f"{frames:>10} {d:>10.4f} {l2:>10.4f}")
for arm in arms:
    r = runs[arm]
    print(f"{arm}: {int(r['frames'][-1])} frames in {r['wall_time'][-1]:.0f} s, "
          f"{r['frames'][-1] / r['wall_time'][-1]:.1f} frames/s")
with open(f"{out}/learn.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["frames", "mse_discriminator", "mse_l2", "blank_mse"])
    for frames, d, l2 in rows:
        w.writerow([frames, f"{d:.6f}", f"{l2:.6f}", f"{blank:.6f}"])
PY
