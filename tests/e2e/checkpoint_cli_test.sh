#!/usr/bin/env bash
# End-to-end tests of checkpoints in `spiral train`: written at the end, resumed with counters that
# continue, corrupt ones skipped, other action specs refused, pruning, SIGUSR1 / time limits
# ending a run with a checkpoint and exit code 3, and --duration ending it with exit code 0 over
# every start of a resumed run.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

# A tiny conditional MNIST painter: 4 episodes of 3 steps = 12 frames per update.
tiny_config eval-every=1 images-every=1000
tiny=(--config tiny.cfg)

steps_of() {  # steps_of RUN: the metrics.h5 step column, space separated
  /usr/bin/python3 -c 'import sys, h5py; print(*h5py.File(sys.argv[1], "r")["step"][:])' \
    "runs/$1/metrics.h5"
}
stops_at() {  # stops_at RUN SECONDS ROWS: the rows after the first ROWS of metrics.h5 end with
  # the update during which wall_time reached SECONDS (give or take the logging of a row)
  /usr/bin/python3 - "runs/$1/metrics.h5" "$2" "$3" <<'PY'
import sys, h5py
wall = h5py.File(sys.argv[1], "r")["wall_time"][()]
limit, rows = float(sys.argv[2]), int(sys.argv[3])
new = wall[rows:]
ok = len(new) > 0 and new[-1] >= limit - 0.5 and (len(new) == 1 or new[-2] < limit)
sys.exit(0 if ok else print("wall_time", list(wall)) or 1)
PY
}
last_line_grid() {  # last_line_grid OUT: the last line names an image grid that exists
  local grid
  grid=$(tail -n 1 <<<"$1" | sed -n 's/.* I newest image grid: \(.*\.png\)$/\1/p')
  [[ -n $grid && -s $grid ]]
}

run train "${tiny[@]}" --name a --frames 24
check "train exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "final checkpoint written" test -s runs/a/checkpoints/ckpt-00000002.h5
check "no temporary file left" test -z "$(ls runs/a/checkpoints/*.tmp 2>/dev/null)"
/usr/bin/python3 - runs/a/checkpoints/ckpt-00000002.h5 >h5.txt 2>&1 <<'PY'
import sys, zlib, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format_version"] == 2 and f.attrs["step"] == 2 and f.attrs["frames"] == 24
assert "episode-length = 3" in f.attrs["config"], f.attrs["config"][:200]
assert f.attrs["action_spec"].startswith("flag:2 end:64 control:64")
params = f["policy/parameters"]
assert len(params) > 10 and all(params[k].dtype == "float32" for k in params)
assert len(f["discriminator/parameters"]) > 0 and f["optimizers/policy"].dtype == "uint8"
data = params["conv_in.weight"][()]
assert zlib.crc32(data.tobytes()) == params["conv_in.weight"].attrs["crc32"]
assert f["replay"].attrs["batches"] == 2
print("ok")
PY
check "checkpoint readable by h5py, CRC32 matches zlib's" grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt

run train "${tiny[@]}" --name a --frames 48
check "no --resume: an existing run is still refused" test "$code" -eq 2

run train "${tiny[@]}" --name a --frames 48 --resume auto
check "resume exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "resume names its checkpoint" grep -q "resumed from runs/a/checkpoints/ckpt-00000002.h5" <<<"$out"
check "metrics step column continues without a gap" test "$(steps_of a)" = "1 2 3 4"
check "checkpoint of step 4" test -s runs/a/checkpoints/ckpt-00000004.h5

# A checkpoint written in one precision resumes in the other: parameters and optimizer states are
# fp32 in both.
run train "${tiny[@]}" --name bf16 --frames 24 --precision bf16 --channels-last true
check "--precision bf16 --channels-last true: exit 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "... a finite held-out MSE" grep -Eq "I done: .*held-out MSE 0\.[0-9]+ " <<<"$out"
check "... the summary says bf16 and channels-last" \
  grep -q "bf16 convolutions (policy torso, D), channels-last" <<<"$out"
run train "${tiny[@]}" --name bf16 --frames 48 --resume auto --precision fp32
check "a bf16 checkpoint resumes in fp32" test "$code" -eq 0 -a -n "$(grep 'resumed from' <<<"$out")"
run train "${tiny[@]}" --name bf16 --frames 72 --resume auto --precision bf16
check "... and that fp32 checkpoint in bf16" test "$code" -eq 0 -a -n "$(grep 'resumed from' <<<"$out")"
check "... the metrics run on without a gap" test "$(steps_of bf16)" = "1 2 3 4 5 6"

# A truncated newest checkpoint is skipped with a warning naming it.
head -c 5000 runs/a/checkpoints/ckpt-00000004.h5 >runs/a/checkpoints/ckpt-00000009.h5
touch runs/a/checkpoints/ckpt-00000010.h5.tmp
run inspect runs/a
check "inspect exits 0" test "$code" -eq 0
check "inspect: the configuration" grep -q "dataset=mnist:.* episode-length=3 batch=4" <<<"$out"
check "inspect: progress from metrics.h5" grep -q "4 rows: update 4, 48 frames" <<<"$out"
check "inspect: last metrics" grep -q "policy_loss=.* held_out_mse=0\.[0-9]* (update 4)" <<<"$out"
check "inspect: 3 checkpoints, newest first" \
  test "$(grep -o 'ckpt-0*[0-9]*\.h5 ' <<<"$out" | xargs)" = "ckpt-00000009.h5 ckpt-00000004.h5 ckpt-00000002.h5"
check "inspect: the truncated one is invalid, with the reason" \
  grep -q "ckpt-00000009.h5 .*INVALID: .*ckpt-00000009.h5" <<<"$out"
check "inspect: a valid one with its counters" \
  grep -q "ckpt-00000004.h5 .*valid: update 4, 48 frames, 1 rank(s), with replay" <<<"$out"
check "inspect: the unfinished write" grep -q "ckpt-00000010.h5.tmp  unfinished write" <<<"$out"
check "inspect: no trajectory files" grep -qx "trajectory files: 0" <<<"$out"
run inspect runs/a/metrics.h5
check "inspect of a file: exit 2, says it takes a run folder" \
  grep -q "runs/a/metrics.h5: not a folder; spiral inspect takes a run folder" <<<"$err"
run reconstruct --checkpoint runs/a
check "reconstruct of a run folder: exit 2, says it is a folder" \
  test "$code" -eq 2 -a -n "$(grep -F "got 'runs/a' (a folder)" <<<"$err")"
run inspect runs
check "inspect of a folder that is not a run: exit 2, one line" \
  test "$code" -eq 2 -a "$(lines "$err")" -eq 1
run train "${tiny[@]}" --name a --frames 60 --resume auto --keep-checkpoints 2
check "resume past a corrupt checkpoint exits 0" test "$code" -eq 0
check "the corrupt one is named in a warning" grep -q "skipping checkpoint .*ckpt-00000009.h5" <<<"$err"
check "resumed from the newest valid one" grep -q "resumed from .*ckpt-00000004.h5" <<<"$out"
check "steps 1 to 5" test "$(steps_of a)" = "1 2 3 4 5"
check "the next checkpoint removed the unfinished write" test ! -e runs/a/checkpoints/ckpt-00000010.h5.tmp
check "--keep-checkpoints 2 keeps the newest two valid ones and leaves the corrupt one" \
  test "$(cd runs/a/checkpoints && ls | xargs)" = "ckpt-00000004.h5 ckpt-00000005.h5 ckpt-00000009.h5"
rm runs/a/checkpoints/ckpt-00000004.h5
rm runs/a/checkpoints/ckpt-00000009.h5

# A sealed checkpoint whose stored configuration does not read: the error names the checkpoint and
# the option, not a temporary file.
/usr/bin/python3 - runs/a/checkpoints/ckpt-00000005.h5 bad-config.h5 <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(b"episode-length = 3") + len("episode-length = ")
data[at:at + 1] = b"x"
open(sys.argv[2], "wb").write(data)
PY
reseal_checkpoint bad-config.h5
run reconstruct --checkpoint bad-config.h5 --count 2 --out rec-bad
check "unreadable stored configuration: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "... naming the checkpoint and the option" \
  grep -q "bad-config.h5: its stored configuration does not read: stored configuration: episode-length" <<<"$err"
check "... and no temporary file" test -z "$(grep -e /tmp -e spiral_ckpt <<<"$err")"

# Another action spec is refused in one line, and nothing is written.
cp runs/a/metrics.h5 before.h5
run train "${tiny[@]}" --name a --frames 72 --resume auto --grid 16
check "other grid: exit 2" test "$code" -eq 2
check "other grid: one line" test "$(lines "$err")" -eq 1
check "other grid: names the file and the part" \
  grep -q "ckpt-00000005.h5.*end:64 in the checkpoint, end:256 in this run" <<<"$err"
check "other grid: metrics untouched" cmp -s before.h5 runs/a/metrics.h5

# A resume refused by a metrics.h5 that does not read leaves config.cfg and the checkpoints as they
# were.
cp runs/a/config.cfg before.cfg
ls runs/a/checkpoints >before.list
head -c 100 before.h5 >runs/a/metrics.h5
run train "${tiny[@]}" --name a --frames 72 --resume auto --eval-every 3
check "unreadable metrics.h5 on resume: exit 2, one line naming it" \
  test "$code" -eq 2 -a "$(lines "$err")" -eq 1 -a -n "$(grep runs/a/metrics.h5 <<<"$err")"
check "... config.cfg untouched" cmp -s before.cfg runs/a/config.cfg
check "... the checkpoints untouched" test "$(ls runs/a/checkpoints)" = "$(cat before.list)"
cp before.h5 runs/a/metrics.h5

# One flipped bit in a checkpoint's stored configuration (episode-length 3 made 7): the file is
# refused whole, before HDF5 parses it; --resume auto skips it with one warning line, and pruning
# to one checkpoint keeps the newest valid one, not the corrupt newer file.
/usr/bin/python3 - runs/a/checkpoints/ckpt-00000005.h5 runs/a/checkpoints/ckpt-00000009.h5 <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(b"episode-length = 3") + len("episode-length = ")
data[at] ^= 0x04
open(sys.argv[2], "wb").write(data)
PY
run inspect runs/a
check "flipped bit: inspect exits 0" test "$code" -eq 0
check "flipped bit: inspect says the whole-file CRC32 fails" \
  grep -q "ckpt-00000009.h5 .*INVALID: .*whole-file CRC32" <<<"$out"
run reconstruct --checkpoint runs/a/checkpoints/ckpt-00000009.h5 --count 2 --out rec9
check "flipped bit: reconstruct exits 2 with one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "flipped bit: reconstruct says the whole-file CRC32 fails" \
  grep -q "ckpt-00000009.h5: fails its whole-file CRC32 check" <<<"$err"
check "flipped bit: reconstruct wrote nothing" test ! -e rec9
run train "${tiny[@]}" --name a --frames 72 --resume auto --keep-checkpoints 1
check "flipped bit: resume auto exits 0" test "$code" -eq 0
check "flipped bit: resumed from the newest valid one" grep -q "resumed from .*ckpt-00000005.h5" <<<"$out"
check "flipped bit: one warning line, naming the file" \
  test "$(grep -c ' W ' <<<"$err")" -eq 1 -a "$(grep -c 'skipping checkpoint .*ckpt-00000009.h5' <<<"$err")" -eq 1
check "flipped bit: --keep-checkpoints 1 keeps the new valid one, leaves the corrupt one" \
  test "$(cd runs/a/checkpoints && ls | xargs)" = "ckpt-00000006.h5 ckpt-00000009.h5"
rm runs/a/checkpoints/ckpt-00000009.h5

# SIGUSR1 (Slurm's warning signal): finish the update, checkpoint, exit 3.
"$spiral" train "${tiny[@]}" --name sig --frames 1000000 --checkpoint-every 0 >sig.out 2>sig.err &
pid=$!
for _ in $(seq 600); do
  grep -q "frames 12 " sig.out && break
  sleep 0.1
done
kill -USR1 "$pid"
wait "$pid"
code=$?
check "SIGUSR1: exit 3" test "$code" -eq 3
check "SIGUSR1: said so" grep -q "SIGUSR1 received" sig.out
check "SIGUSR1: a checkpoint" test -n "$(ls runs/sig/checkpoints/ckpt-*.h5 2>/dev/null)"
last=$(steps_of sig | awk '{print $NF}')
check "SIGUSR1: the checkpoint is of the last update" \
  test -s "runs/sig/checkpoints/$(printf 'ckpt-%08d.h5' "$last")"
check "SIGUSR1: no grid written (--images-every 1000), and the last line says so" \
  grep -q "I no image grid yet" <<<"$(tail -n 1 sig.out)"

# Ctrl-C (SIGINT): the same checkpoint, but exit 0 (the user meant to stop).
"$spiral" train "${tiny[@]}" --name int --frames 1000000 --checkpoint-every 0 >int.out 2>int.err &
pid=$!
for _ in $(seq 600); do
  grep -q "frames 12 " int.out && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
code=$?
check "SIGINT: exit 0" test "$code" -eq 0
check "SIGINT: a checkpoint" test -n "$(ls runs/int/checkpoints/ckpt-*.h5 2>/dev/null)"

# A time limit ends with a checkpoint and exit 3 while frames remain.
run train "${tiny[@]}" --name timed --frames 1000000 --time-limit 2
check "time limit with frames left: exit 3" test "$code" -eq 3
check "time limit: a checkpoint" test -n "$(ls runs/timed/checkpoints/ckpt-*.h5 2>/dev/null)"
check "time limit: the last lines name it and ask for a requeue" \
  grep -q "I stopped by --time-limit (2 s for this start) after [0-9]* of 1000000 frames; exit code 3 asks for a requeue with --resume auto" \
  <<<"$(tail -n 3 <<<"$out")"
check "time limit: the last line names the final grid" last_line_grid "$out"
# The earlier of --duration and --time-limit stops the run.
run train "${tiny[@]}" --name timed2 --frames 1000000 --time-limit 2 --duration 100
check "time limit before the duration: exit 3" test "$code" -eq 3

# --duration: the planned training time ends the run with a checkpoint, an evaluation and an image
# grid (--images-every 1000: only the final one), exit 0.
run train "${tiny[@]}" --name planned --frames 1000000 --duration 3 --threads 1
check "duration: exit 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
last=$(steps_of planned | awk '{print $NF}')
check "duration: a checkpoint of the last update" \
  test -s "runs/planned/checkpoints/$(printf 'ckpt-%08d.h5' "$last")"
check "duration: the final image grid" \
  test -s "runs/planned/images/$(printf 'reconstruction-%08d.png' "$last")"
check "duration: the last lines name it" \
  grep -q "I stopped by --duration (3 s of training) after $((12 * last)) of 1000000 frames$" \
  <<<"$(tail -n 3 <<<"$out")"
check "duration: the end evaluates the held-out images" \
  grep -Eq "I done: $last updates, .*; held-out MSE 0\.[0-9]+ " <<<"$out"
check "duration: the last line names the final grid" last_line_grid "$out"
check "duration: it stops after the update that reaches 3 s" stops_at planned 3 0
# It counts the training time of every start: a resumed run with the same duration stops at once,
# and a longer one trains on only until the run's wall_time reaches it.
run train "${tiny[@]}" --name planned --frames 1000000 --duration 3 --resume auto --threads 1
check "duration reached before the resume: exit 0" test "$code" -eq 0
check "... without another update" test "$(steps_of planned | awk '{print $NF}')" -eq "$last"
check "... and says so" \
  grep -q "I stopped by --duration (3 s of training) after $((12 * last)) of" <<<"$out"
check "... its done line evaluates the resumed policy" grep -Eq "I done: .*held-out MSE 0\.[0-9]+ " <<<"$out"
# The last line names the grid of the run's last update, not a later one a killed start left.
final_grid=runs/planned/images/$(printf 'reconstruction-%08d.png' "$last")
cp "$final_grid" runs/planned/images/reconstruction-99999999.png
rm "$final_grid"
run train "${tiny[@]}" --name planned --frames 1000000 --duration 3 --resume auto --threads 1
check "resumed without an update: the last line names the grid of the resumed update" \
  test "$(tail -n 1 <<<"$out" | sed -n 's/.* I newest image grid: //p')" = "$final_grid" -a -s "$final_grid"
rm runs/planned/images/reconstruction-99999999.png
run train "${tiny[@]}" --name planned --frames 1000000 --duration 5 --resume auto --threads 1
check "a longer duration resumed: exit 0" test "$code" -eq 0
check "... trains on after the first start's 3 s, until wall_time reaches 5 s in all" \
  stops_at planned 5 "$last"
finish
