#!/usr/bin/env bash
# End-to-end test of `spiral train --mode async` on 4 MPI ranks (oversubscribed): 2 actors, 1 replay
# holder, 1 learner. Episodes flow and are all accounted for, learning moves, the holder's
# trajectory file is valid, a resumed run continues its counters without a gap, bad layouts are
# refused, 2 learners and 2 holders work together, parameters reach every actor directly and down
# a tree of (simulated) nodes with every copy accounted for, a signal to any rank stops the job cleanly,
# --duration and --time-limit end every rank with the same exit code (0 and 3), and a hung or killed
# rank ends the job.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config threads=1 eval-every=2 mode=async layout=actors:2,replay:1,learners:1 \
  trajectory-fraction=1 peer-timeout=30 frames=120 max-policy-lag=2

async() {  # async NAME [ARGS...]: the tiny run on 4 ranks; sets $code, $out, $seconds
  local name=$1 started=$SECONDS
  shift
  timeout 300 mpirun -np 4 "$spiral" train --config tiny.cfg --name "$name" "$@" >"$name.out" 2>&1
  code=$?
  seconds=$((SECONDS - started))
  out=$(cat "$name.out")
}
# "actors sent S, holders received R: T to learners (who learnt from L), D dropped ..., Q left"
accounting() {
  sed -n 's/.*episodes: actors sent \([0-9]*\), holders received \([0-9]*\): \([0-9]*\) to learners (who learnt from \([0-9]*\)), \([0-9]*\) dropped as too old, \([0-9]*\) left in the queues/\1 \2 \3 \4 \5 \6/p' <<<"$1"
}

# ---- Bad layouts: one clear line, exit 2 ----
async bad --layout actors:1,replay:1,learners:1
check "a layout of 3 ranks on 4 is refused with exit 2" test "$code" -eq 2
check "... saying the counts" grep -q "has 3 ranks, the job has 4" <<<"$out"
async nolearner --layout actors:3,replay:1
check "a layout without learners is refused" grep -q "every role needs at least one rank" <<<"$out"
run train --config tiny.cfg --name single --layout ""
check "async on one rank is refused with exit 2" test "$code" -eq 2
check "... naming the 3 ranks it needs" grep -q "at least 3 ranks" <<<"$err"
async small_queue --queue-episodes 2
check "a queue smaller than a batch is refused" grep -q "queue-episodes 2 is smaller than --batch 4" <<<"$out"
check "no run folder is left by refused runs" test ! -e runs/bad -a ! -e runs/small_queue
# A refusal at start is one line from rank 0, whichever check makes it, and no MPI_ABORT banner.
refusal_lines() { grep -c -e "spiral train: error:" -e " E " <<<"$out"; }
touch a-file
for refused in "bad --layout actors:1,replay:1,learners:1" "small_queue --queue-episodes 2" \
  "no_data --dataset mnist:missing" \
  "bad_dir --run-dir a-file" "bad_option --batch 0"; do
  async $refused
  check "refused at start (${refused%% *}): exit 2" test "$code" -eq 2
  check "... one line, from rank 0 alone" test "$(refusal_lines)" -eq 1
  [[ $(refusal_lines) -eq 1 ]] || grep -e "spiral train: error:" -e " E " <<<"$out"
  check "... no MPI_ABORT banner" test -z "$(grep MPI_ABORT <<<"$out")"
done
# Episodes per target run async with V-trace's weights on their advantages, and the start says so.
async per_target_auto --episodes-per-target 2 --frames 24
check "episodes per target run async with --vtrace auto" test "$code" -eq 0
check "... and the start says how the lag is corrected" \
  grep -q "policy lag: corrected: each step's advantage over the target's other episodes" <<<"$out"

# ---- A short run ----
async a --parameter-delivery direct
check "async run exits 0" test "$code" -eq 0
check "... one episode per target keeps V-trace" grep -q "policy lag: corrected with V-trace" <<<"$out"
[[ $code -eq 0 ]] || tail -20 a.out
check "the layout is printed with each rank's role" grep -q "replay holder: rank 1, episodes of actor rank(s) 2,3" <<<"$out"
check "actors say what they did" test "$(grep -c 'I actor rank [23]: [0-9]* episodes' <<<"$out")" -eq 2
read -r sent received to_learners learnt dropped left <<<"$(accounting "$out")"
echo "episodes: sent $sent received $received to learners $to_learners learnt $learnt dropped $dropped left $left"
check "every episode sent was received" test "${sent:-0}" -gt 0 -a "$sent" = "$received"
check "received = to learners + dropped + left" test "$received" -eq $((to_learners + dropped + left))
check "learners learnt from every episode sent to them: 10 updates x 4" test "$learnt" -eq 40 -a "$to_learners" -eq 40
/usr/bin/python3 - runs/a >a.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
run = sys.argv[1]
m = h5py.File(run + "/metrics.h5", "r")
print("steps", list(m["step"][()]))
print("frames", list(m["frames"][()]))
d = m["discriminator_loss"][()]
print("D moves", len(set(np.round(d, 6))) > 5 and bool(np.all(np.isfinite(d))))
print("lag within limit", int(m["policy_lag_max"][()].max()) <= 2)
print("queue within capacity", int(m["queue_depth"][()].max()) <= 16)
print("produced >= learnt", bool(np.all(m["frames_produced"][()] >= m["frames"][()])))
print("bytes grow", bool(np.all(np.diff(m["bytes_received"][()]) > 0)))
r = h5py.File(run + "/roles.h5", "r")
print("roles", list(r["role"][()]), "rss", bool(np.all(r["peak_rss_mb"][()] > 10)))
print("actor episodes", int(r["episodes"][()][2:].sum()), "holder received", int(r["episodes"][1]))
t = h5py.File(run + "/trajectories/replay-1.h5", "r")
n = t["commands"].shape[0]
print("file rows", n, "attribute", int(t.attrs["episodes_received"]))
print("shapes", t["commands"].shape[1:], t["renders"].shape[1:], t["renders"].dtype)
print("actors", sorted(set(t["actor"][()].tolist())))
print("versions ok", int(t["policy_version"][()].min()) >= 0 and int(t["policy_version"][()].max()) <= 10)
print("painted", int((t["renders"][()] < 255).sum()) > 0)
PY
cat a.txt
check "metrics: updates 1..10" grep -qx "steps \[1, 2, 3, 4, 5, 6, 7, 8, 9, 10\]" a.txt
check "metrics: 12 frames per update" grep -q "^frames \[12, 24, .*, 120\]" a.txt
check "the discriminator's loss moves" grep -qx "D moves True" a.txt
check "no episode older than --max-policy-lag 2 was learnt from" grep -qx "lag within limit True" a.txt
check "the holder's queue stays within 4 x --batch (back-pressure)" grep -qx "queue within capacity True" a.txt
check "actors produced at least what was learnt" grep -qx "produced >= learnt True" a.txt
check "episode bytes arrive every update" grep -qx "bytes grow True" a.txt
check "roles.h5: one row per rank, with peak memory" grep -qx "roles \[0, 1, 2, 2\] rss True" a.txt
check "roles.h5: actors' episodes = holder's" grep -qx "actor episodes $received holder received $received" a.txt
check "trajectory file: every episode (fraction 1)" grep -qx "file rows $received attribute $received" a.txt
check "trajectory file: commands [3, 5], renders [64, 64, 1] uint8" grep -qx "shapes (3, 5) (64, 64, 1) uint8" a.txt
check "trajectory file: episodes of both actors" grep -qx "actors \[2, 3\]" a.txt
check "trajectory file: policy versions 0..10" grep -qx "versions ok True" a.txt
check "trajectory file: renders are painted" grep -qx "painted True" a.txt

run inspect runs/a
check "inspect lists the holder's trajectory file with its episode counts" \
  grep -q "replay-1.h5  $received episodes (of $received received, fraction 1)" <<<"$out"

# ---- Resume: counters go on without a gap ----
async a --resume auto --frames 240
check "resumed async run exits 0" test "$code" -eq 0
check "it resumes from step 10" grep -q "resumed from .*ckpt-00000010.h5 at step 10, 120 frames" <<<"$out"
read -r sent2 received2 _ <<<"$(accounting "$out")"
/usr/bin/python3 - runs/a >resume.txt 2>&1 <<'PY'
import sys, h5py
m = h5py.File(sys.argv[1] + "/metrics.h5", "r")
print("steps", list(m["step"][()]) == list(range(1, 21)))
print("frames", list(m["frames"][()]) == [12 * s for s in range(1, 21)])
w = m["wall_time"][()]
print("wall time grows", bool((w[1:] > w[:-1]).all()))
t = h5py.File(sys.argv[1] + "/trajectories/replay-1.h5", "r")
print("file rows", t["commands"].shape[0], "attribute", int(t.attrs["episodes_received"]))
PY
cat resume.txt
check "metrics: steps 1..20 without a gap or repeat" grep -qx "steps True" resume.txt
check "metrics: frames continue from 120" grep -qx "frames True" resume.txt
check "metrics: wall time continues" grep -qx "wall time grows True" resume.txt
total=$((received + ${received2:-0}))
check "the trajectory file grows by the resumed run's episodes" grep -qx "file rows $total attribute $total" resume.txt

# ---- 2 learners (gradients averaged) and 2 replay holders on 6 ranks ----
started=$SECONDS
timeout 300 mpirun -np 6 "$spiral" train --config tiny.cfg --name six \
  --layout actors:2,replay:2,learners:2 --frames 240 --trajectory-fraction 0 >six.out 2>&1
code=$?
out=$(cat six.out)
check "6 ranks, 2 learners, 2 holders: exit 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -20 six.out
read -r sent received to_learners learnt dropped left <<<"$(accounting "$out")"
check "... every episode accounted for over both holders" \
  test "${sent:-0}" -gt 0 -a "$sent" = "$received" -a "$received" -eq $((to_learners + dropped + left))
check "... both learners learnt from 10 updates x 4 episodes" test "$learnt" -eq 80
/usr/bin/python3 - runs/six/trajectories >files.txt 2>&1 <<'PY'
import sys, h5py
for rank in (2, 3):
    f = h5py.File(f"{sys.argv[1]}/replay-{rank}.h5", "r")
    print(rank, f["commands"].shape[0], int(f.attrs["episodes_received"]) > 0)
PY
check "... each holder has its own trajectory file; --trajectory-fraction 0 writes no episode" \
  test "$(cat files.txt | tr '\n' ' ')" = "2 0 True 3 0 True "
/usr/bin/python3 -c 'import sys, h5py; print(list(h5py.File(sys.argv[1], "r")["frames"][()]))' \
  runs/six/metrics.h5 >six.txt 2>&1
check "... frames count both learners: 24 per update" \
  grep -qx "\[24, 48, 72, 96, 120, 144, 168, 192, 216, 240\]" six.txt

# ---- Parameters to the actors: every copy sent is a version received ----
# parameters.py RUN LEADERS...: one line per actor rank "rank R updates U copies C", then whether
# the actors' updates equal learner 0's copies plus the leaders', and learner 0's copies.
cat >parameters.py <<'PY'
import sys, h5py, numpy as np
r = h5py.File(sys.argv[1] + "/roles.h5", "r")
role, updates, copies = r["role"][()], r["parameter_updates"][()], r["parameter_copies"][()]
for rank in np.flatnonzero(role == 2):
    print(f"rank {rank} updates {int(updates[rank]) > 0} copies {int(copies[rank]) > 0}")
print("every copy received", int(updates[role == 2].sum()) == int(copies.sum()))
print("learner 0 copies", int(copies[0]))
PY
# Each of the 2 actors of run a got learner 0's copies directly.
/usr/bin/python3 parameters.py runs/a >direct.txt 2>&1
check "direct: each actor received parameters and passed none on" \
  test "$(grep -c 'updates True copies False' direct.txt)" -eq 2
check "direct: the actors received every copy learner 0 sent" grep -qx "every copy received True" direct.txt
# 6 ranks as 3 nodes of 2: node 0 holds learner 0 and the holder, nodes 1 and 2 two actors each.
timeout 300 mpirun -np 6 "$spiral" train --config tiny.cfg --name tree --parameter-delivery tree \
  --ranks-per-node 2 --layout actors:4,replay:1,learners:1 --frames 120 >tree.out 2>&1
code=$?
out=$(cat tree.out)
check "tree on 6 ranks in 3 nodes: exit 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -20 tree.out
check "... learner 0 names the path and the leaders" \
  grep -q "parameters to actors: tree (2 node(s) with actors; leader rank(s) 2,4)" <<<"$out"
check "... every episode accounted for" test -n "$(accounting "$out")"
check "... leaders say what they passed on" \
  test "$(grep -c 'I actor rank [24]: .* parameter updates, [0-9]* passed on' <<<"$out")" -eq 2
/usr/bin/python3 parameters.py runs/tree >tree.txt 2>&1
cat tree.txt
check "... every actor received parameters; leaders 2 and 4 passed them on, 3 and 5 not" test \
  "$(head -4 tree.txt | xargs)" = "$(printf 'rank %s updates True copies %s ' 2 True 3 False 4 True 5 False | xargs)"
check "... every copy sent (learner 0's and the leaders') was received" \
  grep -qx "every copy received True" tree.txt
learner_copies=$(sed -n 's/^learner 0 copies //p' tree.txt)
check "... learner 0 sent one copy per node: at most 2 x 11 publications" \
  test "${learner_copies:-0}" -ge 2 -a "${learner_copies:-99}" -le 22

# ---- --duration and --time-limit stop every rank with the same exit code ----
async_codes() {  # async_codes NAME [ARGS...]: as async; $codes: every rank's exit code, in rank order
  local name=$1
  shift
  timeout 300 mpirun -np 4 bash -c '"$0" "$@"; echo "exit code of rank $OMPI_COMM_WORLD_RANK: $?"' \
    "$spiral" train --config tiny.cfg --name "$name" "$@" >"$name.out" 2>&1
  out=$(cat "$name.out")
  codes=$(grep -o 'exit code of rank [0-9]*: [0-9]*' <<<"$out" | sort | sed 's/.*: //' | xargs)
}
async_codes planned --frames 1000000 --duration 4
check "--duration: every rank exits 0" test "$codes" = "0 0 0 0"
[[ $codes == "0 0 0 0" ]] || tail -20 planned.out
check "... learner 0 names it" grep -q "r0 learner\] I stopped by --duration (4 s of training)" <<<"$out"
check "... and every episode is accounted for" test -n "$(accounting "$out")"
grid=$(grep ' r0 learner\] ' <<<"$out" | tail -n 1 | sed -n 's/.* I newest image grid: //p')
check "... learner 0's last line names the final grid" test -n "$grid" -a -s "$grid"
async_codes limited --frames 1000000 --time-limit 4
check "--time-limit with frames left: every rank exits 3" test "$codes" = "3 3 3 3"
check "... learner 0 names it" grep -q "r0 learner\] I stopped by --time-limit (4 s for this start)" <<<"$out"

# ---- A signal to one actor stops the whole job cleanly ----
async_in_background() {  # async_in_background NAME ARGS...: as async, in the background
  local name=$1
  shift
  (timeout 300 mpirun -np 4 "$spiral" train --config tiny.cfg --name "$name" "$@" >"$name.out" 2>&1
    echo $? >"$name.code") &
}
async_in_background sig --frames 1000000
wait_for sig.out "frames 36 " && kill -TERM "$(rank_pid sig 3)"
wait
out=$(cat sig.out)
check "SIGTERM to an actor: the job exits 3 (requeue)" test "$(cat sig.code)" -eq 3
check "... the actor passes it on" grep -q "r3 actor\] I SIGTERM received: asking learner 0 to stop" <<<"$out"
check "... learner 0 writes a final checkpoint" grep -q "SIGTERM received: stopped after" <<<"$out"
check "... and accounts for every episode" test -n "$(accounting "$out")"
check "... the checkpoint is there" test -n "$(ls runs/sig/checkpoints/*.h5 2>/dev/null)"

# ---- A hung replay holder: the others notice within the timeout ----
started=$SECONDS
async_in_background hung --frames 1000000 --peer-timeout 4
wait_for hung.out "frames 36 " && kill -STOP "$(rank_pid hung 1)"
wait
out=$(cat hung.out)
check "a stopped holder ends the job with exit 5" test "$(cat hung.code)" -eq 5
check "... naming its rank and role" grep -q "E replay holder rank 1 has sent nothing for [0-9]* s (--peer-timeout 4)" <<<"$out"
check "... within a minute" test $((SECONDS - started)) -lt 60

# ---- A killed actor: the job ends, non-zero, naming the rank ----
started=$SECONDS
async_in_background killed --frames 1000000 --peer-timeout 10
wait_for killed.out "frames 36 " && kill -KILL "$(rank_pid killed 3)"
wait
out=$(cat killed.out)
check "a killed actor ends the job non-zero" test "$(cat killed.code)" -ne 0
check "... naming rank 3" grep -q "rank 3" <<<"$(grep -v 'spiral train on\|actor rank(s)\|actors: ranks' killed.out)"
check "... within a minute" test $((SECONDS - started)) -lt 60
finish
