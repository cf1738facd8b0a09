#!/usr/bin/env bash
# End-to-end test of `spiral train --mode async --resume auto` after SIGKILL of one rank (4 MPI
# ranks, oversubscribed: learner 0, replay holder 1, actors 2 and 3), each role in turn: the job
# ends, every file left reads (the holder's trajectory file included), and the next start resumes
# from the newest checkpoint with the metrics continuing without a gap; a damaged trajectory file is
# kept aside with a warning and the resume goes on.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config threads=1 eval-every=2 mode=async layout=actors:2,replay:1,learners:1 \
  trajectory-fraction=1 peer-timeout=30 checkpoint-every=0.0001

start_and_kill() {  # start_and_kill RANK: a start of run k, SIGKILL to RANK once it has learnt
  (timeout 300 mpirun -np 4 "$spiral" train --config tiny.cfg --name k --frames 1000000 \
    --resume auto >>k.out 2>&1
    echo $? >k.code) &
  local lines pid
  lines=$(lines "$(cat k.out 2>/dev/null)")
  for _ in $(seq 900); do
    tail -n "+$((lines + 1))" k.out 2>/dev/null | grep -q " I frames [0-9]* " && break
    sleep 0.1
  done
  pid=$(rank_pid k "$1")
  sleep "0.$((RANDOM % 10))"
  kill -KILL "$pid"
  wait
}
rows_and_steps() {  # the trajectory file's episodes and metrics.h5's steps, read as a resume would
  /usr/bin/python3 - runs/k <<'PY'
import sys, h5py
t = h5py.File(f"{sys.argv[1]}/trajectories/replay-1.h5", "r", swmr=True)
rows = {t[name].shape[0] for name in ("commands", "renders", "target_index", "policy_version", "actor")}
steps = h5py.File(f"{sys.argv[1]}/metrics.h5", "r", swmr=True)["step"][:]
print(min(rows), " ".join(str(s) for s in steps))
PY
}

RANDOM=5
previous_rows=0
for role in "1 replay holder" "3 actor" "0 learner"; do
  rank=${role%% *}
  start_and_kill "$rank"
  check "SIGKILL to the ${role#* } (rank $rank): the job ends non-zero" test "$(cat k.code)" -ne 0
  read -r rows steps <<<"$(rows_and_steps 2>&1)"
  check "... its trajectory file reads, with more episodes than before ($previous_rows)" \
    test "${rows:-0}" -gt "$previous_rows" 2>/dev/null
  previous_rows=${rows:-0}
  last=${steps##* }
  check "... metrics.h5 reads, steps 1..N without a gap" test -n "$steps" -a "$steps" = "$(seq -s ' ' 1 "${last:-0}")"
done
check "every start after the first resumed" test "$(grep -c 'resumed from runs/k/checkpoints/ckpt-' k.out)" -eq 2
check "no start skipped a checkpoint or a trajectory file" test -z "$(grep -e ' W ' -e unreadable k.out)"

frames=$(((last + 3) * 12))
timeout 300 mpirun -np 4 "$spiral" train --config tiny.cfg --name k --frames "$frames" --resume auto \
  >resume.out 2>&1
code=$?
check "after the three kills, the run resumes and finishes (exit 0)" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 20 resume.out
check "... from a checkpoint" grep -q "resumed from runs/k/checkpoints/ckpt-" resume.out
read -r rows steps <<<"$(rows_and_steps 2>&1)"
check "... its metrics run 1..N without a gap or repeat" \
  test "$steps" = "$(seq -s ' ' 1 "$((frames / 12))")"
check "... and the trajectory file keeps every earlier episode" test "${rows:-0}" -gt "$previous_rows"
check "... its episodes_received counts every start" /usr/bin/python3 -c '
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["episodes_received"] == f["actor"].shape[0], (dict(f.attrs), f["actor"].shape)' \
  runs/k/trajectories/replay-1.h5

# A trajectory file that does not read (damaged) does not stop the resume: it is kept aside with
# one warning and this start's episodes go to a new file.
printf 'not an HDF5 file' >runs/k/trajectories/replay-1.h5
timeout 300 mpirun -np 4 "$spiral" train --config tiny.cfg --name k --frames "$((frames + 24))" \
  --resume auto >damaged.out 2>&1
code=$?
check "a damaged trajectory file: the resume exits 0" test "$code" -eq 0
check "... one warning naming it" \
  test "$(grep -c 'W .*replay-1.h5 does not read' damaged.out)" -eq 1
check "... kept aside unchanged" grep -qx 'not an HDF5 file' runs/k/trajectories/replay-1.h5.unreadable
read -r rows steps <<<"$(rows_and_steps 2>&1)"
check "... a new file with this start's episodes" test "${rows:-0}" -gt 0 -a "${rows:-0}" -lt "$previous_rows"
finish
