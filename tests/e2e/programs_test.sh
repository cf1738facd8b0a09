#!/usr/bin/env bash
# End-to-end test of the programs analysis: a tiny Omniglot agent, `spiral reconstruct` recording
# its canvases step by step and the targets' human strokes, then analysis/programs.py (the
# README's commands) on the reconstruction.h5 it wrote, and on a made-up one.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
python=/usr/bin/python3
programs=$source_dir/analysis/programs.py
images=$source_dir/inputs/data/omniglot/images_background_small1.zip

one_line() { test "$(lines "$1")" -eq 1; }

# A tiny Omniglot painter: one update of 4 episodes of 5 steps on an 8 x 8 grid.
tiny_config episode-length=5 frames=20 seed=5 "dataset=omniglot:$images"
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

# The README's command.
"$python" "$programs" rec/reconstruction.h5 --out rec/programs --episodes 0,2 >programs.txt 2>&1
check "programs.py exits 0" test $? -eq 0
check "programs.py: one summary line" grep -Eqx \
  'programs: 4 episodes, mean chamfer [0-9.]+ px, agent strokes [0-9.]+, human strokes [0-9.]+ .*' \
  programs.txt
cat programs.txt
for picture in sequence-0.png sequence-2.png overlay.png; do
  check "$picture is a real picture" png_ok "rec/programs/$picture"
done
check "only the episodes asked for" test ! -e rec/programs/sequence-1.png
"$python" - rec/reconstruction.h5 rec/programs/strokes.csv >csv.txt 2>&1 <<'PY'
import csv, math, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 4, len(rows)
flag = f.attrs["action_spec"].split().index("flag:2")
paints = (f["commands"][()][:, :, flag] == 1).sum(axis=1)
points = f["human_points"][()]
for k, row in enumerate(rows):
    assert int(row["target"]) == k and int(row["dataset_index"]) == f["target_indices"][k], row
    assert int(row["agent_strokes"]) == paints[k], (row, paints[k])
    human = len(set(points[points[:, 0] == k][:, 1]))
    assert int(row["human_strokes"]) == human >= 1, (row, human)
    chamfer = float(row["chamfer_px"])
    assert math.isfinite(chamfer) and 0 < chamfer < 64 * math.sqrt(2), row
print("ok", " ".join(row["chamfer_px"] for row in rows))
PY
check "strokes.csv: 4 rows, strokes counted, finite Chamfer distances" grep -q "^ok" csv.txt
cat csv.txt

# The distance itself, on a made-up file (8 x 8 grid on 64 px): a jump to (8, 8), then a paint
# to (40, 8) through (24, 8); the human stroke runs along it (target 0) or 8 px below (target 1).
"$python" - made.h5 <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["action_spec"] = "flag:2 end:64 control:64 pressure:10"
    f["commands"] = np.array([[[0, 9, 0, 0], [1, 13, 11, 9]]] * 2, np.int32)
    f["canvases"] = np.full((2, 3, 64, 64, 1), 255, np.uint8)
    f["renders"] = f["targets"] = np.full((2, 64, 64, 1), 255, np.uint8)
    f["human_points"] = np.array([[0, 0, 8, 8], [0, 0, 40, 8], [1, 0, 8, 16], [1, 0, 40, 16]],
                                 np.float32)
PY
"$python" "$programs" made.h5 --out made >/dev/null 2>&1
check "Chamfer distance: 0 along the human stroke, 8 px off it" "$python" -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(not (float(rows[0]["chamfer_px"]) < 0.25 and abs(float(rows[1]["chamfer_px"]) - 8) < 0.25
              and rows[0]["agent_strokes"] == "1"))' made/strokes.csv

"$python" "$programs" rec/reconstruction.h5 --out default >/dev/null 2>&1
check "the first four episodes by default" \
  test -s default/sequence-0.png -a -s default/sequence-3.png -a -s default/strokes.csv

# Without human strokes: sequences only, said in one line.
run reconstruct --checkpoint "$ckpt" --count 4 --out plain --strokes none --threads 2
check "reconstruct --strokes none exits 0" test "$code" -eq 0
check "--strokes none: no human points" "$python" -c \
  'import sys, h5py; sys.exit("human_points" in h5py.File(sys.argv[1], "r"))' \
  plain/reconstruction.h5
"$python" "$programs" plain/reconstruction.h5 --out plain/programs >plain.txt 2>&1
check "no human strokes: exit 0" test $? -eq 0
check "no human strokes: said" grep -q "no human strokes" plain.txt
check "no human strokes: one line" one_line "$(cat plain.txt)"
check "no human strokes: sequences only" test -s plain/programs/sequence-3.png -a \
  ! -e plain/programs/strokes.csv -a ! -e plain/programs/overlay.png

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
for file in "$work/absent.h5" tiny.cfg runs/omni/metrics.h5; do
  "$python" "$programs" "$file" --out bad >/dev/null 2>err.txt
  status=$?
  check "programs.py ${file##*/}: exit 2" test "$status" -eq 2
  check "programs.py ${file##*/}: one line" one_line "$(cat err.txt)"
done
check "programs.py metrics.h5: says what it lacks" grep -q "no 'canvases' dataset" err.txt
"$python" "$programs" rec/reconstruction.h5 --out bad --episodes 4 >/dev/null 2>err.txt
check "programs.py --episodes out of range: exit 2 in one line" \
  test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
"$python" "$programs" --help >help.txt 2>&1
check "programs.py --help" grep -q '^usage:' help.txt

finish
