#!/usr/bin/env bash
# End-to-end test of what the programs analysis reads: a tiny Omniglot agent and `spiral
# reconstruct` recording its canvases step by step and the targets' human strokes.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
python=/usr/bin/python3
images=$source_dir/inputs/data/omniglot/images_background_small1.zip

one_line() { test "$(lines "$1")" -eq 1; }

# A tiny Omniglot painter: one update of 4 episodes of 5 steps on an 8 x 8 grid.
cat >tiny.cfg <<CFG
run-dir = runs
canvas = 64
grid = 8
episode-length = 5
batch = 4
envs = 4
policy-size = small
held-out = 4
frames = 20
progress-every = 0
seed = 5
threads = 2
dataset = omniglot:$images
CFG
run train --config tiny.cfg --name omni
check "train exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
ckpt=runs/omni/checkpoints/ckpt-00000001.h5

# Sampled commands, so that every episode of the untrained agent paints.
run reconstruct --checkpoint "$ckpt" --count 4 --greedy false --out rec
check "reconstruct exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "reconstruct names the strokes it recorded" \
  grep -q "human strokes of .*strokes_background_small1.zip" <<<"$out"

"$python" - rec/reconstruction.h5 "omniglot:$images" >h5.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
canvases, renders, targets = f["canvases"][()], f["renders"][()], f["targets"][()]
commands = f["commands"][()]
assert canvases.shape == (4, 6, 64, 64, 1), canvases.shape
assert (canvases[:, 0] == 255).all(), "the first canvas is not blank"
assert (canvases[:, -1] == renders).all(), "the last canvas is not the render"
# A jump paints nothing; a paint changes the canvas (at least once): canvases follow the steps.
flag = f.attrs["action_spec"].split().index("flag:2")
jumps = commands[:, :, flag] == 0
same = (canvases[:, 1:] == canvases[:, :-1]).reshape(4, 5, -1).all(axis=2)
assert same[jumps].all(), "a jump changed the canvas"
assert not same[~jumps].all(), "no paint changed the canvas"
assert f.attrs["dataset"] == sys.argv[2], f.attrs["dataset"]
indices = f["target_indices"][()]
assert indices.shape == (4,) and len(set(indices)) == 4, indices
assert ((0 <= indices) & (indices < 2720)).all(), indices
points = f["human_points"][()]
assert points.ndim == 2 and points.shape[1] == 4 and len(points) > 100, points.shape
assert set(points[:, 0]) == {0, 1, 2, 3}, set(points[:, 0])
x, y = points[:, 2], points[:, 3]
assert ((0 <= x) & (x <= 64) & (0 <= y) & (y <= 64)).all(), "a human point off the canvas"
assert "target" in f["human_points"].attrs["description"]
# Placed as the target image is: the pen runs over the target's ink (measured: all points here;
# the same points one pixel off: 87%).
t = points[:, 0].astype(int)
on_ink = float(np.mean(targets[t, y.astype(int).clip(0, 63), x.astype(int).clip(0, 63), 0] < 128))
assert on_ink > 0.95, f"only {on_ink:.3f} of the human points lie on the target's ink"
print("ok", f"{on_ink:.3f}")
PY
check "reconstruction.h5: canvases step by step, target indices, human points on the ink" \
  grep -q "^ok" h5.txt
grep -q "^ok" h5.txt || cat h5.txt

# Without human strokes.
run reconstruct --checkpoint "$ckpt" --count 4 --out plain --strokes none --threads 2
check "reconstruct --strokes none exits 0" test "$code" -eq 0
check "--strokes none: no human points" "$python" -c \
  'import sys, h5py; sys.exit("human_points" in h5py.File(sys.argv[1], "r"))' \
  plain/reconstruction.h5

# Mistakes: exit 2, one line, nothing written.
run reconstruct --checkpoint "$ckpt" --count 4 --out bad --strokes "$work/absent.zip"
check "missing strokes file: exit 2" test "$code" -eq 2
check "missing strokes file: one line" one_line "$err"
check "missing strokes file: named" grep -q "absent.zip" <<<"$err"
run reconstruct --checkpoint "$ckpt" --count 4 --out bad \
  --dataset "mnist:$source_dir/inputs/data/mnist" --strokes "${images/images_/strokes_}"
check "strokes for a set that is not Omniglot: exit 2 in one line" \
  test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "nothing written for refused strokes" test ! -e bad

finish
