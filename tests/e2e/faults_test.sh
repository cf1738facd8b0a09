#!/usr/bin/env bash
# End-to-end tests of faults in `spiral train`: SIGKILL at random points while it checkpoints after
# every update (every checkpoint left under its name verifies, and the run resumes without a gap);
# NaN gradients (updates skipped, then a stop with exit code 4 and no new checkpoint); a full disk
# (a small tmpfs: a clear error, the previous checkpoint stays the newest and resumes); run names
# that would leave --run-dir, and two runs started at once into one folder (one is refused).
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
trap 'umount "$work/disk" "$work/read-only" 2>/dev/null; rm -rf "$work"' EXIT

# A tiny conditional MNIST painter: 4 episodes of 3 steps = 12 frames per update.
tiny_config eval-every=1 images-every=1000 threads=1
tiny=(--config tiny.cfg)

column_of() {  # column_of RUN NAME: a metrics.h5 column, space separated (SWMR: after a kill too)
  /usr/bin/python3 -c 'import sys, h5py; print(*h5py.File(sys.argv[1], "r", swmr=True)[sys.argv[2]][:])' \
    "runs/$1/metrics.h5" "$2"
}

# --- SIGKILL at random points, a checkpoint after every update ---------------------------------
run train "${tiny[@]}" --name kill --frames 24
check "kill run: first part exits 0" test "$code" -eq 0
RANDOM=11
skipped_any=0
mid_write=0
writing() { test -n "$(find runs/kill/checkpoints -name '*.tmp' -newer started)"; }
for kill in 1 2 3 4 5 6; do
  touch started
  sleep 0.01
  "$spiral" train "${tiny[@]}" --name kill --frames 100000 --checkpoint-every 0.0001 \
    --keep-checkpoints 2 --resume auto >kill.out 2>kill.err &
  pid=$!
  if ((kill % 2)); then  # in the middle of a checkpoint write
    for _ in $(seq 2000); do
      writing && break
      sleep 0.01
    done
  else  # anywhere
    sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
  fi
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  writing && mid_write=$((mid_write + 1))
  grep -q "skipping checkpoint" kill.err && skipped_any=1
  grep -q "resumed from" kill.out || echo "kill $kill: did not resume: $(tail -n 3 kill.err)"
done
check "3 or more kills came in the middle of a checkpoint write (got $mid_write)" test "$mid_write" -ge 3
check "after SIGKILLs, no resume met a broken checkpoint under its final name" test "$skipped_any" -eq 0
steps=$(column_of kill step)
last=${steps##* }
check "the killed run wrote updates" test "${last:-0}" -ge 2
run train "${tiny[@]}" --name kill --frames $(((last + 2) * 12)) --checkpoint-every 0.0001 \
  --resume auto
check "after the kills, the run resumes and finishes (exit 0)" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -n 5
check "it resumed from a checkpoint" grep -q "resumed from runs/kill/checkpoints/ckpt-" <<<"$out"
check "no skipped checkpoint" test -z "$(grep 'skipping' <<<"$err")"
steps=$(column_of kill step)
check "metrics steps run 1..N without a gap or repeat" \
  test "$steps" = "$(seq -s ' ' 1 "${steps##* }")"
check "temporary files of killed writes are removed" \
  test -z "$(ls runs/kill/checkpoints/*.tmp 2>/dev/null)"

# --- NaN gradients: a NaN discriminator weight in the newest checkpoint -----------------------
run train "${tiny[@]}" --name nan --frames 24
check "nan run: first part exits 0" test "$code" -eq 0
/usr/bin/python3 - runs/nan/checkpoints/ckpt-00000002.h5 <<'PY'
import sys, zlib, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    params = f["discriminator/parameters"]
    name = sorted(params)[0]
    value = params[name][()]
    value.flat[0] = np.nan
    params[name][...] = value
    params[name].attrs["crc32"] = zlib.crc32(value.tobytes())
PY
reseal_checkpoint runs/nan/checkpoints/ckpt-00000002.h5
run train "${tiny[@]}" --name nan --frames 240 --resume auto --max-skipped-updates 3
check "3 NaN updates in a row: exit 4" test "$code" -eq 4
check "NaN: one error line says why and names the newest checkpoint" \
  grep -q "3 updates in a row had NaN or infinite gradients.*newest is runs/nan/checkpoints/ckpt-00000002.h5" <<<"$err"
check "NaN: each skipped update is reported" \
  test "$(grep -c 'NaN or infinite gradient of the policy and the discriminator' <<<"$err")" -eq 3
check "NaN: no new checkpoint" test "$(ls runs/nan/checkpoints)" = ckpt-00000002.h5
check "NaN: metrics mark both updates skipped" test "$(column_of nan skipped)" = "0 0 3 3 3"
run inspect runs/nan
check "NaN: inspect counts the skipped updates" \
  grep -q "skipped updates (NaN or infinite gradients): 3, 3 in a row at the end" <<<"$out"

# --- a full disk: a 64 MiB tmpfs holds one checkpoint (about 41 MB) but not a second ---------
mkdir disk
if mount -t tmpfs -o size=64m tmpfs disk 2>mount.err; then
  run train "${tiny[@]}" --run-dir disk --name full --frames 120 --checkpoint-every 0.0001
  check "full disk: exit 1" test "$code" -eq 1
  check "full disk: one line" test "$(lines "$err")" -eq 1
  check "full disk: says the checkpoint was not written, why, and which is the newest" \
    grep -q "checkpoint of update 2 not written: .*No space left on device.*newest checkpoint is disk/full/checkpoints/ckpt-00000001.h5" <<<"$err"
  check "full disk: no partial file left" test "$(ls disk/full/checkpoints)" = ckpt-00000001.h5
  cp -r disk/full runs/full
  umount disk
  run train "${tiny[@]}" --name full --frames 36 --resume auto
  check "full disk: the previous checkpoint resumes elsewhere" test "$code" -eq 0
  check "full disk: resumed from ckpt-00000001.h5" grep -q "resumed from .*ckpt-00000001.h5" <<<"$out"
else
  echo "NOTE: no tmpfs mount here ($(head -n 1 mount.err)): full-disk checks not run"
fi

# --- run folder names: one folder directly inside --run-dir, refused before anything is written --
long_name=$(printf 'n%.0s' $(seq 5000))
for bad in "" . .. ../escape a/b "$long_name"; do
  run train "${tiny[@]}" --name "$bad" --frames 12
  check "--name '${bad:0:20}': exit 2" test "$code" -eq 2
  check "--name '${bad:0:20}': one line naming --name" \
    test "$(lines "$err")" -eq 1 -a -n "$(grep -e '--name' <<<"$err")"
done
check "bad names: nothing written beside or in --run-dir" \
  test ! -e escape -a ! -e runs/a -a ! -e runs/metrics.h5 -a ! -e runs/config.cfg
touch not-a-folder
run train "${tiny[@]}" --run-dir not-a-folder --name x --frames 12
check "--run-dir naming a file: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
mkdir read-only
if mount -t tmpfs -o ro,size=1m tmpfs read-only 2>mount.err; then
  run train "${tiny[@]}" --run-dir read-only --name x --frames 12
  check "a read-only --run-dir: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
  check "a read-only --run-dir: says why" grep -q "Read-only file system" <<<"$err"
  umount read-only
else
  echo "NOTE: no tmpfs mount here ($(head -n 1 mount.err)): the read-only --run-dir check not run"
fi
run train "${tiny[@]}" --name ghost --frames 12 --dataset mnist:missing-folder
check "a failed start: exit 2" test "$code" -eq 2
check "a failed start leaves no run folder" test ! -e runs/ghost

# --- two runs started at once with one name: one runs, the other is refused in one line ---------
"$spiral" train "${tiny[@]}" --name twin --frames 120 >twin1.out 2>twin1.err &
pid1=$!
"$spiral" train "${tiny[@]}" --name twin --frames 120 >twin2.out 2>twin2.err &
pid2=$!
wait "$pid1"
code1=$?
wait "$pid2"
code2=$?
check "two runs into one folder: one exits 0, the other 2" \
  test "$(printf '%s\n' "$code1" "$code2" | sort | xargs)" = "0 2"
refused=twin2.err
[[ $code1 -eq 2 ]] && refused=twin1.err
check "the refused run says why in one line" \
  test "$(lines "$(cat "$refused")")" -eq 1 -a -n "$(grep -E 'in use by another spiral train|already exists' "$refused")"
check "the run that ran has all its updates" test "$(column_of twin step)" = "$(seq -s ' ' 1 10)"

finish
