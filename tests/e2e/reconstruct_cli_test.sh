#!/usr/bin/env bash
# End-to-end tests of `spiral reconstruct` and `spiral sample` on checkpoints of tiny runs.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
trap 'umount "$work/ro" "$work/full" 2>/dev/null; rm -rf "$work"' EXIT

# Tiny MNIST painters: one update of 4 episodes of 3 steps.
tiny_config frames=12
tiny=(--config tiny.cfg)

run train "${tiny[@]}" --name cond
check "conditional train exits 0" test "$code" -eq 0
ckpt=runs/cond/checkpoints/ckpt-00000001.h5

run reconstruct --checkpoint "$ckpt" --count 4 --out rec --programs true --threads 2
check "reconstruct exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "three result lines on stdout" test "$(grep -c '=' <<<"$out")" -eq 3
check "mse line" grep -Eqx 'mse=[0-9.]+ \(sd [0-9.]+\)' <<<"$out"
check "blank_mse line" grep -Eqx 'blank_mse=[0-9.]+' <<<"$out"
check "psnr line" grep -Eqx 'psnr=[0-9.]+ dB \(sd [0-9.]+\)' <<<"$out"
check "reconstruction.png" test -s rec/reconstruction.png
check "programs as JSON and SVG" test -s rec/programs/program-3.json -a -s rec/programs/program-3.svg
mse=$(sed -n 's/^mse=\([0-9.]*\) .*/\1/p' <<<"$out")
/usr/bin/python3 - rec/reconstruction.h5 "$mse" >h5.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
t, r = f["targets"][()], f["renders"][()]
assert t.shape == (4, 64, 64, 1) and r.shape == (4, 64, 64, 1), (t.shape, r.shape)
parts = len(f.attrs["action_spec"].split())
assert f["commands"].shape == (4, 3, parts), f["commands"].shape
mse = float(np.mean((t / 255.0 - r / 255.0) ** 2))
assert abs(mse - float(sys.argv[2])) < 2e-3, (mse, sys.argv[2])
c = f["canvases"][()]
assert c.shape == (4, 4, 64, 64, 1), c.shape
assert (c[:, 0] == 255).all() and (c[:, -1] == r).all(), "canvases: not blank first, render last"
indices = f["target_indices"][()]
assert indices.shape == (4,) and ((0 <= indices) & (indices < 10000)).all(), indices
assert f.attrs["dataset"].startswith("mnist:"), f.attrs["dataset"]
assert "human_points" not in f
print("ok")
PY
check "reconstruction.h5: targets, indices, renders, commands, canvases; MSE agrees" \
  grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt
run render rec/programs/program-0.json --out p0.png
check "a written program renders again" test "$code" -eq 0 -a -s p0.png

run reconstruct --checkpoint "$ckpt" --count 100000 --out rec2
check "more images than held out: exit 2" test "$code" -eq 2
check "nothing written for a refused count" test ! -e rec2

# --out that cannot take the files: refused in one line before the work, nothing left behind.
touch a-file
run reconstruct --checkpoint "$ckpt" --count 2 --out a-file
check "--out naming a file: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "--out naming a file: says so" grep -q -- "--out a-file: not a folder" <<<"$err"
mkdir ro full
if mount -t tmpfs -o ro,size=1m tmpfs ro 2>mount.err && mount -t tmpfs -o size=48k tmpfs full; then
  run reconstruct --checkpoint "$ckpt" --count 2 --out ro/rec
  check "--out in a read-only folder: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
  check "--out in a read-only folder: says why" grep -q -- "--out ro/rec: .*Read-only file system" <<<"$err"
  run reconstruct --checkpoint "$ckpt" --count 64 --out full/rec/deep --programs true
  check "a full disk: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
  check "a full disk: names the file, not a temporary" \
    grep -q "full/rec/deep/reconstruction.h5: .*No space left on device" <<<"$err"
  check "a full disk: the folders it made are gone" test -z "$(ls full)"
  umount ro full
else
  echo "NOTE: no tmpfs mount here ($(head -n 1 mount.err)): read-only and full-disk checks not run"
fi

run sample --checkpoint "$ckpt" --out samples
check "sample of a conditional checkpoint: exit 2" test "$code" -eq 2
check "sample refusal: one line" test "$(lines "$err")" -eq 1
check "sample refusal: says conditional" grep -q "conditional agent" <<<"$err"

run train "${tiny[@]}" --name uncond --conditional false
check "unconditional train exits 0" test "$code" -eq 0
check "unconditional train draws a samples grid" test -n "$(ls runs/uncond/images/samples-*.png 2>/dev/null)"
check "unconditional train draws no reconstruction grid" test -z "$(ls runs/uncond/images/reconstruction-*.png 2>/dev/null)"
run sample --checkpoint runs/uncond/checkpoints/ckpt-00000001.h5 --count 4 --out samples --threads 2
check "sample exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "samples.png" test -s samples/samples.png
run sample --checkpoint runs/uncond/checkpoints/ckpt-00000001.h5 --count 4 --out a-file/x
check "sample --out inside a file: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "programs.h5 holds 4 programs" /usr/bin/python3 -c \
  'import sys, h5py; assert h5py.File(sys.argv[1])["commands"].shape[0] == 4' samples/programs.h5
run reconstruct --checkpoint runs/uncond/checkpoints/ckpt-00000001.h5 --count 2
check "reconstruct of an unconditional checkpoint: exit 2" test "$code" -eq 2

run reconstruct --checkpoint runs/cond/metrics.h5
check "not a checkpoint: exit 2" test "$code" -eq 2
check "not a checkpoint: one line" test "$(lines "$err")" -eq 1

# A tiny scene builder (grid 8, 3 commands): its MSE is against the empty floor, and its objects are
# matched to the target scenes' programs.
run data generate-scenes --count 40 --grid 8 --seed 2 --out scenes.h5
check "scenes for the scene builder" test "$code" -eq 0
tiny_config frames=12 env=scene dataset=scenes:scenes.h5
run train --config tiny.cfg --name scene
check "a scene builder trains" test "$code" -eq 0
# Its 4 held-out scenes are reconstruct's 4 below: the same empty floor's MSE.
train_blank=$(sed -n 's/.*held-out MSE at start [0-9.e+-]* (empty floor \([0-9.e+-]*\)).*/\1/p' \
  <<<"$out$err")
run reconstruct --checkpoint runs/scene/checkpoints/ckpt-00000001.h5 --count 4 --out rec-scene
check "reconstruct of scenes exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "... prints the objects recovered" grep -Eqx 'objects_exact=[0-9.]+ \([0-9]+ of [0-9]+\)' <<<"$out"
check "... within one cell" grep -Eqx 'objects_within_one_cell=[0-9.]+ \([0-9]+ of [0-9]+\)' <<<"$out"
check "... on their cells, and with the type there" grep -Eqx 'objects_on_their_cell_same_type=[0-9.]+ \([0-9]+ of [0-9]+\)' <<<"$out"
check "... and the count's error" grep -Eqx 'object_count_error=[0-9.]+ .*' <<<"$out"
check "... and the objects exact of each type" test "$(grep -Ec \
  '^objects_exact_(sphere|box|cylinder|capsule)=[0-9.]+ \([0-9]+ of [0-9]+; [0-9]+ built\)$' \
  <<<"$out")" -eq 4
blank=$(sed -n 's/^blank_mse=\([0-9.]*\)$/\1/p' <<<"$out")
/usr/bin/python3 - rec-scene/reconstruction.h5 scenes.h5 "$blank" "$train_blank" >h5.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
f, scenes = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
c, t = f["canvases"][()] / 255.0, f["targets"][()] / 255.0
floor = c[:, 0]
assert (floor == floor[0]).all() and floor.std() > 0 and floor.max() < 1, "start: not the floor"
blank = float(np.mean((floor - t) ** 2))
assert abs(blank - float(sys.argv[3])) < 1e-5, (blank, sys.argv[3])
assert abs(blank - float(sys.argv[4])) < 1e-5, ("train's blank", blank, sys.argv[4])
indices = f["target_indices"][()]
assert (f["target_objects"][()] == scenes["object_count"][()][indices]).all()
built = []
for program in f["commands"][()]:  # add, modify the last (or add), skip; at most 5 objects
    objects = []
    for command in program:  # mode, then type, cell, size, red, green, blue as the scenes'
        if command[0] == 0 and len(objects) < 5 or command[0] == 1 and not objects:
            objects.append(tuple(command[1:]))
        elif command[0] == 1:
            objects[-1] = tuple(command[1:])
    built.append(objects)
assert (f["built_objects"][()] == [len(b) for b in built]).all(), f["built_objects"][()]
# Targets stand on distinct cells, so each is matched by any built object on its cell that agrees.
fields = {"cell": [], "type": [0], "size": [2], "colour": [3, 4, 5]}
for name, column in [("cell", "objects_on_their_cell"), ("type", "objects_on_their_cell_same_type"),
                     ("size", "objects_on_their_cell_same_size"),
                     ("colour", "objects_on_their_cell_same_colour")]:
    expected = []
    for index, objects in zip(indices, built):
        targets = scenes["objects"][index][: scenes["object_count"][index]]
        expected.append(sum(any(b[1] == t[1] and all(b[k] == t[k] for k in fields[name])
                                for b in objects) for t in targets))
    assert (f[column][()] == expected).all(), (column, f[column][()], expected)
# Per type: the targets' and the built objects' types, and the exact matches (targets stand on
# distinct cells, so a target is exact when any built object equals it).
targets_of = [scenes["objects"][i][: scenes["object_count"][i]] for i in indices]
types = lambda objects: np.bincount([o[0] for o in objects], minlength=4)
assert (f["target_objects_by_type"][()] == [types(t) for t in targets_of]).all()
assert (f["built_objects_by_type"][()] == [types(b) for b in built]).all()
exact_of = [types([t for t in ts if any(tuple(t) == b for b in bs)]) for ts, bs in zip(targets_of, built)]
assert (f["objects_exact_by_type"][()] == exact_of).all(), (f["objects_exact_by_type"][()], exact_of)
assert f["objects_exact_by_type"].attrs["types"] == "sphere,box,cylinder,capsule"
exact, near = f["objects_exact"][()], f["objects_within_one_cell"][()]
assert (f["objects_exact_by_type"][()].sum(1) == exact).all()
assert ((0 <= exact) & (exact <= near) & (near <= f["target_objects"][()])).all()
assert f.attrs["objects_exact_share"] == exact.sum() / f["target_objects"][()].sum()
print("ok")
PY
check "reconstruction.h5: the floor as blank, objects per episode" grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt

# --location-first: the checkpoint records it; reconstruct reads it back, and a resume without it
# is refused, naming it.
run train --config tiny.cfg --name scene-lf --point-features true --location-first true
check "--location-first true: exit 0" test "$code" -eq 0
check "... the checkpoint records it" /usr/bin/python3 -c \
  'import sys, h5py; assert h5py.File(sys.argv[1]).attrs["policy_sizes"].endswith(" view_points=1 location_first=1")' \
  runs/scene-lf/checkpoints/ckpt-00000001.h5
run reconstruct --checkpoint runs/scene-lf/checkpoints/ckpt-00000001.h5 --count 4 --out rec-lf
check "... reconstruct reads it: exit 0" test "$code" -eq 0
run train --config tiny.cfg --name scene-lf --point-features true --frames 24 --resume auto
check "... a resume without it: exit 2, one line naming it" \
  test "$code" -eq 2 -a "$(lines "$err")" -eq 1 -a -n "$(grep location_first <<<"$err")"

finish
