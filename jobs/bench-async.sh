#!/usr/bin/env bash
# End-to-end benchmark of --mode async against --mode sync: the same input file and wall-clock
# budget, first `spiral train` on one rank (sync), then async runs with 1 learner, 1 replay holder
# and each number of actors given, one LibTorch thread per rank. Prints each run's per-rank
# breakdown and a table (frames/s learnt and produced, actors' acting rate and efficiency, time
# waiting, peak memory per role) from analysis/roles.py; writes it to <out>/roles.csv.
#   bash jobs/bench-async.sh [--seconds 90] [--config inputs/quickstart.cfg] [--actors 1,2]
#                            [--out runs/bench-async] [-- more spiral train options for every run]
# Ranks beyond the machine's cores are oversubscribed (mpirun --oversubscribe); say so with the
# figures. Needs: build/spiral (SPIRAL_BINARY names another), mpirun, /usr/bin/python3 with h5py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=90 config=inputs/quickstart.cfg actors=1,2 out=runs/bench-async
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --actors) actors=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,10p' "$0" | cut -c3-; exit 0 ;;
    *) echo "bench-async: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
spiral=${SPIRAL_BINARY:-build/spiral}
[[ -x $spiral ]] || { echo "bench-async: $spiral is missing; run bash scripts/build.sh" >&2; exit 2; }
[[ -f $config ]] || { echo "bench-async: $config: no such input file" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || { echo "bench-async: --seconds wants a whole number, got $seconds" >&2; exit 2; }
[[ $actors =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
  { echo "bench-async: --actors wants counts like 1,2, got $actors" >&2; exit 2; }
[[ -e $out ]] && { echo "bench-async: $out exists; pick another --out" >&2; exit 2; }
mkdir -p "$out"
common=(--config "$config" --run-dir "$out" --threads 1 --frames 1000000000000
  --duration "$seconds" --eval-every 1000000000 --images-every 1000000000 --checkpoint-every 0
  --progress-every 30)
# A run ends at its duration with a checkpoint and exit code 0.
finished() {  # finished NAME STATUS
  (($2 == 0)) || { echo "bench-async: run $1 failed (exit $2); see $out/$1.log" >&2; exit 1; }
}
runs=("$out/sync-1")
echo "bench-async: sync on 1 rank, $seconds s"
status=0
"$spiral" train "${common[@]}" --name sync-1 --mode sync "$@" >"$out/sync-1.log" 2>&1 || status=$?
finished sync-1 "$status"
IFS=, read -ra counts <<<"$actors"
for count in "${counts[@]}"; do
  name=async-$count-actors
  echo "bench-async: async with $count actor(s), 1 replay holder, 1 learner ($((count + 2)) ranks), $seconds s"
  status=0
  mpirun -np $((count + 2)) --oversubscribe "$spiral" train "${common[@]}" --name "$name" \
    --mode async --layout "actors:$count,replay:1,learners:1" "$@" >"$out/$name.log" 2>&1 ||
    status=$?
  finished "$name" "$status"
  runs+=("$out/$name")
done
/usr/bin/python3 analysis/roles.py "${runs[@]}" --csv "$out/roles.csv"
