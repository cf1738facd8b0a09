#!/usr/bin/env bash
# End-to-end test of `spiral train --mode sync` on 2 MPI ranks (oversubscribed): every rank acts on
# its own episodes and the gradients are averaged, rank 0 alone writes the run; the same seed and
# rank count give the same run; a resumed run continues bit for bit; --duration stops both ranks
# with exit 0; --mode async on 2 ranks is refused.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

cat >tiny.cfg <<CFG
run-dir = runs
canvas = 64
grid = 8
episode-length = 3
batch = 2
policy-size = small
frames = 60
held-out = 4
eval-every = 2
images-every = 5
progress-every = 0
seed = 5
threads = 1
checkpoint-every = 0
dataset = mnist:$source_dir/inputs/data/mnist
CFG

ranks() {  # ranks NAME: the tiny run on 2 ranks; sets $code, $out, $err
  mpirun -np 2 "$spiral" train --config tiny.cfg --name "$1" >"$1.out" 2>"$1.err"
  code=$?
  out=$(cat "$1.out")
  err=$(cat "$1.err")
}

ranks a
check "2-rank train exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -5 a.err
check "the log names 2 ranks" grep -q "spiral train on 2 rank(s)" <<<"$out"
check "progress lines come from rank 0 only" test -z "$(grep 'frames/s' <<<"$out" | grep -v ' r0 ')"
check "rank 1's last line counts its updates and evaluates nothing" \
  grep -Eq " r1 main\] I done: 5 updates, 60 frames in [0-9:]+$" <<<"$out"
check "one checkpoint, from rank 0" test "$(ls runs/a/checkpoints | grep -c '\.h5$')" -eq 1
# 2 ranks x 2 episodes x 3 steps = 12 frames per update: 60 frames in 5 updates.
/usr/bin/python3 - runs/a/metrics.h5 >h5.txt 2>&1 <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
print("steps", list(f["step"][()]))
print("frames", list(f["frames"][()]))
PY
check "metrics: 5 updates" grep -qx "steps \[1, 2, 3, 4, 5\]" h5.txt
check "metrics: 12 frames per update over both ranks" grep -qx "frames \[12, 24, 36, 48, 60\]" h5.txt
cat h5.txt

ranks b
check "a second run with the same seed exits 0" test "$code" -eq 0
/usr/bin/python3 - runs/a/metrics.h5 runs/b/metrics.h5 >same.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
for name in ("policy_loss", "value_loss", "discriminator_loss", "reward", "held_out_mse"):
    if not np.array_equal(a[name][()], b[name][()], equal_nan=True):
        print("differs:", name, a[name][()], b[name][()])
        sys.exit(1)
print("same")
PY
check "same seed and rank count: identical metrics" grep -qx same same.txt
cat same.txt

mpirun -np 2 "$spiral" train --config tiny.cfg --name c --seed 6 >c.out 2>c.err
/usr/bin/python3 -c "
import sys, h5py, numpy as np
a, c = h5py.File('runs/a/metrics.h5', 'r'), h5py.File('runs/c/metrics.h5', 'r')
sys.exit(0 if not np.array_equal(a['reward'][()], c['reward'][()]) else 1)" 2>/dev/null
check "another seed: other episodes" test $? -eq 0

# Exactness: 4 updates in one go, and 2 then 2 more resumed from the checkpoint, give bit-identical
# networks, replays and metrics, on 1 rank and on 2 (each rank's random streams and replay are in
# the checkpoint).
for np in 1 2; do
  mpirun -np "$np" "$spiral" train --config tiny.cfg --name "whole$np" --frames $((24 * np)) \
    >"whole$np.out" 2>&1
  mpirun -np "$np" "$spiral" train --config tiny.cfg --name "split$np" --frames $((12 * np)) \
    >"split$np.out" 2>&1
  mpirun -np "$np" "$spiral" train --config tiny.cfg --name "split$np" --frames $((24 * np)) \
    --resume auto >>"split$np.out" 2>&1
  check "$np rank(s): the split run resumed" grep -q "resumed from .*ckpt-00000002.h5" "split$np.out"
  /usr/bin/python3 - "$np" >exact$np.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
ranks = int(sys.argv[1])
a = h5py.File(f"runs/whole{ranks}/checkpoints/ckpt-00000004.h5", "r")
b = h5py.File(f"runs/split{ranks}/checkpoints/ckpt-00000004.h5", "r")
assert a.attrs["ranks"] == b.attrs["ranks"] == ranks, (a.attrs["ranks"], b.attrs["ranks"])
names = []
a.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
assert any(n.startswith("replay/") for n in names) and (ranks == 1 or "ranks/rank_1" in names)
for name in names:
    if name.startswith("optimizers/") or name.startswith("ranks/"):
        continue  # serialized archives; what they restore shows in the metrics below
    assert np.array_equal(a[name][()], b[name][()]), "differs: " + name
ma = h5py.File(f"runs/whole{ranks}/metrics.h5", "r")
mb = h5py.File(f"runs/split{ranks}/metrics.h5", "r")
for name in ("step", "frames", "policy_loss", "value_loss", "discriminator_loss", "reward",
             "grad_norm", "held_out_mse"):
    assert np.array_equal(ma[name][()], mb[name][()], equal_nan=True), ("differs", name,
                                                                       ma[name][()], mb[name][()])
print("identical", len(names), "datasets")
PY
  check "$np rank(s): 2 + 2 resumed updates equal 4 in one go, bit for bit" grep -q identical exact$np.txt
  grep -q identical exact$np.txt || { cat exact$np.txt; tail -n 5 "split$np.out"; }
done

# --duration on 2 ranks: both stop at the same update with exit 0; rank 0 writes the final grid.
mpirun -np 2 "$spiral" train --config tiny.cfg --name planned --frames 1000000 --duration 3 \
  >planned.out 2>planned.err
code=$?
check "2 ranks, --duration: exit 0" test "$code" -eq 0
check "... both ranks name it" \
  test "$(grep -c 'I stopped by --duration (3 s of training)' planned.out)" -eq 2
grid=$(grep ' r0 main\] ' planned.out | tail -n 1 | sed -n 's/.* I newest image grid: //p')
check "... rank 0's last line names the final grid" test -n "$grid" -a -s "$grid"

mpirun -np 2 "$spiral" train --config tiny.cfg --name d --mode async >d.out 2>d.err
code=$?
check "--mode async on 2 ranks is refused with exit 2" test "$code" -eq 2
check "--mode async on 2 ranks: one line says it needs 3" grep -q "mode async needs at least 3 ranks" d.err
finish
