#!/usr/bin/env bash
# End-to-end tests of `spiral data train-classifier` and of the --classifier figures of `spiral
# sample` and `spiral reconstruct` on checkpoints of tiny runs.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

mnist="mnist:$source_dir/inputs/data/mnist"
# A quick classifier: one epoch on 2,000 of the training images (the unit test checks accuracy).
run data train-classifier --dataset "$mnist" --out clf.h5 --epochs 1 --train-images 2000 \
  --threads 2
check "train-classifier exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "train-classifier writes its file" test -s clf.h5
check "no temporary file left" test ! -e clf.h5.tmp
check "a progress line per epoch" grep -q 'epoch 1/1: loss .*held-out accuracy' <<<"$out"
check "held-out accuracy line" grep -Eq '^held_out_accuracy=0\.[0-9]{4} \(1000 held-out' <<<"$out"

mkdir unlabelled
/usr/bin/python3 -c 'import sys, numpy as n, matplotlib.image as m
for i in range(12): m.imsave(f"{sys.argv[1]}/{i}.png", n.random.rand(28, 28), cmap="gray")' unlabelled
run data train-classifier --dataset folder:unlabelled --out none.h5
check "a set without labels: exit 2" test "$code" -eq 2
check "a set without labels: one line" test "$(lines "$err")" -eq 1
check "a set without labels: says so" grep -q "no labels" <<<"$err"
check "a set without labels: nothing written" test ! -e none.h5 -a ! -e none.h5.tmp
run data train-classifier --dataset "$mnist"
check "no --out: exit 2" test "$code" -eq 2

tiny_config frames=12
run train --config tiny.cfg --name uncond --conditional false
check "unconditional train exits 0" test "$code" -eq 0
# train --classifier: the scale's two ends at start, the samples' figures in every progress line
# and in the last line.
figures='confident [0-9]+% classes [0-9]+ frechet [0-9]+\.[0-9]'
run train --config tiny.cfg --name scored --conditional false --classifier clf.h5 --frames 36 \
  --progress-every 0 --held-out 8
check "train --classifier exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "train --classifier: the scale at start" grep -Eq \
  "I classifier clf.h5 on 8 held-out digits: $figures; on 8 random programs: $figures\$" <<<"$out"
check "train --classifier: the samples at start" \
  grep -Eq "I samples at start: distinct [0-9]+/8 blank [0-9]+/8 digits $figures\$" <<<"$out"
check "train --classifier: every progress line" test "$(grep -c ' I frames ' <<<"$out")" -eq 3 -a \
  "$(grep -Ec " I frames .* digits $figures elapsed " <<<"$out")" -eq 3
check "train --classifier: the last line" \
  grep -Eq "I done: .*samples distinct [0-9]+/8 blank [0-9]+/8 digits $figures; files in " <<<"$out"
for bad in "--conditional true" "--held-out 600" "--classifier tiny.cfg"; do
  # shellcheck disable=SC2086
  run train --config tiny.cfg --name refused --conditional false --classifier clf.h5 $bad
  check "train --classifier with $bad: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1
  check "train --classifier with $bad: no run folder" test ! -e runs/refused
done
ckpt=runs/uncond/checkpoints/ckpt-00000001.h5
run sample --checkpoint "$ckpt" --count 4 --out samples --threads 2 --classifier clf.h5
check "sample --classifier exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "table header" grep -Eq '^set +images +confident \(p>=0.9\) +classes +which +frechet$' <<<"$out"
check "samples row" grep -Eq '^samples +4 +[0-9.]+% +[0-9]+ ' <<<"$out"
check "held-out digits row" grep -Eq '^held-out digits +4 +[0-9.]+% +[0-9]+ ' <<<"$out"
check "random programs row" grep -Eq '^random programs +4 +[0-9.]+% +[0-9]+ ' <<<"$out"
/usr/bin/python3 - samples/programs.h5 >h5.txt 2>&1 <<'PY'
import sys, h5py
a = h5py.File(sys.argv[1], "r").attrs
for key in ("samples", "held_out", "random"):
    assert a[f"classifier_{key}_count"] == 4, key
    assert 0 <= a[f"classifier_{key}_confident_share"] <= 1, key
    assert 0 <= a[f"classifier_{key}_classes"] <= 10, key
    assert a[f"classifier_{key}_frechet"] > 0, key
assert a["classifier"] == "clf.h5", a["classifier"]
assert a["classifier_reference_count"] == 996, a["classifier_reference_count"]
print("ok")
PY
check "programs.h5 holds the figures" grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt

run sample --checkpoint "$ckpt" --count 4 --out refused --classifier "$ckpt"
check "a checkpoint as --classifier: exit 2" test "$code" -eq 2
check "a checkpoint as --classifier: one line" test "$(lines "$err")" -eq 1
check "a checkpoint as --classifier: says so" grep -q "not a digit classifier" <<<"$err"
check "a checkpoint as --classifier: nothing written" test ! -e refused
run sample --checkpoint "$ckpt" --count 4 --out refused --classifier tiny.cfg
check "a text file as --classifier: exit 2" test "$code" -eq 2
check "a text file as --classifier: one line" test "$(lines "$err")" -eq 1
run sample --checkpoint "$ckpt" --count 600 --out refused --classifier clf.h5
check "more samples than half the held-out digits: exit 2" test "$code" -eq 2
check "nothing written for a refused count" test ! -e refused

run train --config tiny.cfg --name cond
check "conditional train exits 0" test "$code" -eq 0
run reconstruct --checkpoint runs/cond/checkpoints/ckpt-00000001.h5 --count 4 --out rec \
  --threads 2 --classifier clf.h5
check "reconstruct --classifier exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "classified_as_target line" grep -Eqx 'classified_as_target=[0-9.]+ \([0-4] of 4\)' <<<"$out"
/usr/bin/python3 - rec/reconstruction.h5 >h5.txt 2>&1 <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
p, c, t = f["predicted_labels"][()], f["predicted_confidence"][()], f["target_labels"][()]
assert p.shape == c.shape == t.shape == (4,), (p.shape, c.shape, t.shape)
assert ((0 <= p) & (p < 10)).all() and ((0 < c) & (c <= 1)).all(), (p, c)
assert abs(f.attrs["classified_as_target"] - (p == t).mean()) < 1e-9
print("ok")
PY
check "reconstruction.h5 holds each episode's class and confidence" grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt
run reconstruct --checkpoint runs/cond/checkpoints/ckpt-00000001.h5 --count 4 --out rec2 \
  --dataset "omniglot:$source_dir/inputs/data/omniglot/images_background_small1.zip" \
  --classifier clf.h5
check "a classifier of other classes: exit 2" test "$code" -eq 2
check "a classifier of other classes: one line" test "$(lines "$err")" -eq 1
check "nothing written for other classes" test ! -e rec2

# bench oracle --classifier: the share of each row's canvases read as their target's digit. Its 4
# targets are reconstruct's above (the first 4 of the same evenly spaced held-out set).
tiny_config grid=4 episode-length=2
run bench oracle --config tiny.cfg --count 4 --candidates 20 --threads 1 --classifier clf.h5 \
  --csv oracle.csv
check "bench oracle --classifier exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
/usr/bin/python3 - oracle.csv rec/reconstruction.h5 >oracle.txt 2>&1 <<'PY'
import collections, csv, sys, h5py
rows = {r["program"]: float(r["classified_as_target"]) for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == {"blank_canvas", "best_target_independent", "greedy_search"}, rows
assert all(4 * v == round(4 * v) and 0 <= v <= 1 for v in rows.values()), rows
# One canvas painted under every target is read as one digit: right for that digit's targets only.
counts = collections.Counter(h5py.File(sys.argv[2], "r")["target_labels"][()].tolist())
shares = {0.0} | {n / 4 for n in counts.values()}
for one in ("blank_canvas", "best_target_independent"):
    assert rows[one] in shares, (one, rows[one], counts)
print("ok")
PY
check "... a share of the 4 targets in every row; one canvas is one digit" grep -qx ok oracle.txt
[[ "$(cat oracle.txt)" == ok ]] || cat oracle.txt
tiny_config grid=4 episode-length=2 \
  dataset="omniglot:$source_dir/inputs/data/omniglot/images_background_small1.zip"
run bench oracle --config tiny.cfg --count 2 --candidates 20 --threads 1 --classifier clf.h5
check "bench oracle, a classifier of other classes: exit 2" test "$code" -eq 2
check "... in one line, before the search" test "$(lines "$err")" -eq 1 -a -z "$out"

finish
