#!/usr/bin/env bash
# End-to-end test of `spiral train --mode sync` on a tiny conditional MNIST config (seconds).
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config name=tiny frames=120 held-out=8 eval-every=5 images-every=5

run train --config tiny.cfg
train_out=$out
check "train exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "config.cfg written" test -s runs/tiny/config.cfg
# The start-up summary, not the whole configuration.
summary=$(sed -n 's/^\[ *[0-9.]*s r0 main\] I //p' <<<"$train_out")
for line in \
  "spiral train on 1 rank(s), --mode sync; run folder runs/tiny" \
  "environment painter: 64 px, 3 steps per episode; actions flag:2 end:64 control:64 " \
  "dataset mnist:$source_dir/inputs/data/mnist, conditional (the agent reconstructs a target image), 8 held-out images" \
  "reward discriminator (final); policy small (2 residual blocks, LSTM 128); batch 4 episodes per update" \
  "budget: --frames 120, --duration none, --time-limit none" \
  "full configuration: runs/tiny/config.cfg (spiral train --print-config prints it)"; do
  check "summary: $line" grep -qF -- "$line" <<<"$summary"
done
check "no configuration echo" test -z "$(grep -e '^frames = ' -e '^# ' <<<"$train_out")"
check "the run's last lines say --frames stopped it" \
  grep -q "I stopped by --frames: 120 frames trained" <<<"$(tail -n 3 <<<"$train_out")"
grid=$(tail -n 1 <<<"$train_out" | sed -n 's/.* I newest image grid: //p')
check "the last line names the newest grid, update 10" \
  test "$grid" = runs/tiny/images/reconstruction-00000010.png -a -s "$grid"
run train --config tiny.cfg --name held --frames 12 --held-out 65536
check "--held-out above the held-out side: exit 0" test "$code" -eq 0
check "--held-out above the held-out side: the summary gives the count used and why" \
  grep -qF "1000 held-out images (--held-out 65536: its held-out side holds no more)" <<<"$out"
# --precision auto: bf16 where /proc/cpuinfo lists bf16 hardware, fp32 elsewhere.
run train --config tiny.cfg --name auto --frames 12 --precision auto
expected="fp32 (--precision auto)"
grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo && expected="bf16 convolutions (policy torso, D) (--precision auto)"
check "--precision auto: exit 0" test "$code" -eq 0
check "--precision auto: the summary says $expected" grep -qF "$expected" <<<"$out"
# --torso-width reaches the policy: a narrower torso has fewer parameters.
policy_size() { sed -n 's/.* I policy: \([0-9,]*\) parameters.*/\1/p' <<<"$1" | tr -d ,; }
run train --config tiny.cfg --name narrow --torso-width 8
check "--torso-width 8: exit 0" test "$code" -eq 0
check "--torso-width 8: fewer policy parameters than the default 32" \
  test "$(policy_size "$out")" -lt "$(policy_size "$train_out")"
# --pen-planes reaches the policy: 3 more input planes, each read by the first 5 x 5 conv's 32
# channels.
run train --config tiny.cfg --name pen --pen-planes true
check "--pen-planes true: exit 0" test "$code" -eq 0
check "--pen-planes true: 3 x 5 x 5 x 32 more policy parameters" \
  test "$(($(policy_size "$out") - $(policy_size "$train_out")))" -eq 2400
# --first-stride 2 reaches the policy: one 4 x 4 stride-2 convolution of 32 channels fewer.
run train --config tiny.cfg --name strided --first-stride 2
check "--first-stride 2: exit 0" test "$code" -eq 0
check "--first-stride 2: 32 x 32 x 4 x 4 + 32 fewer policy parameters" \
  test "$(($(policy_size "$train_out") - $(policy_size "$out")))" -eq 16416
check "--first-stride 2: the start line says so" \
  grep -qF "policy small (2 residual blocks, LSTM 128, first convolution at stride 2)" <<<"$out"
# The discriminator's options reach D: narrower layers, fewer parameters (a D of 8 and 16 channels:
# 2 x 8 x 4 x 4 + 8 + 8 x 16 x 4 x 4 + 16 + 16 x 16 x 16 + 1 for a conditional D's 2 input planes).
run train --config tiny.cfg --name narrow-d --discriminator-widths 8,16 --mismatched-fakes true \
  --discriminator-weight 0.002 --reward-timing per-step
check "--discriminator-widths 8,16: exit 0" test "$code" -eq 0
check "--discriminator-widths 8,16: D has 2 x 128 + 8 + 2048 + 16 + 4096 + 1 parameters" \
  grep -q " I discriminator: 6,425 parameters" <<<"$out"
# --discriminator-pool 2 reaches D: its Linear reads 8 x 8 maps of 16 channels instead of 16 x 16.
run train --config tiny.cfg --name pooled-d --discriminator-widths 8,16 --discriminator-pool 2
check "--discriminator-pool 2: exit 0" test "$code" -eq 0
check "--discriminator-pool 2: D has 16 x (256 - 64) parameters fewer" \
  grep -q " I discriminator: 3,353 parameters" <<<"$out"
check "--discriminator-pool 2: the start line says so" \
  grep -qF "reward discriminator (final, D on 2 x 2 averages); policy" <<<"$out"
for bad in "--discriminator-widths 8,,16" "--discriminator-widths 16,x" \
  "--discriminator-widths 8,8,8,8,8,8,8" "--discriminator-weight 0" "--discriminator-weight -1" \
  "--mismatched-fakes true --conditional false" "--first-stride 3" "--discriminator-pool 3" \
  "--discriminator-widths 8,8,8,8,8 --discriminator-pool 4" "--hindsight -1" "--reward none" \
  "--hindsight 1 --conditional false --episodes-per-target 1" "--random-parts 1.5" \
  "--random-parts -0.1" "--l2-blur -1" "--l2-blur 17" "--l2-blur 2"; do
  # shellcheck disable=SC2086
  run train --config tiny.cfg --name refused $bad
  check "train $bad: exit 2" test "$code" -eq 2
  check "train $bad: one line" test "$(lines "$err")" -eq 1
  check "train $bad: no run folder" test ! -e runs/refused
done
# --l2-blur reaches the L2 reward (the tiny file's reward is D's, so --l2-blur alone is refused).
run train --config tiny.cfg --name blurred --frames 24 --reward l2 --l2-form mean --l2-blur 1.5
check "--reward l2 --l2-blur 1.5: exit 0" test "$code" -eq 0
check "--l2-blur 1.5: the start line says so" \
  grep -qF "reward l2 (final, mean, blurred by 1.5 px); policy" <<<"$out"
# Hindsight alone: no reward, the policy learns from its own episodes.
run train --config tiny.cfg --name hindsight --frames 24 --reward none --hindsight 0.5
check "--reward none --hindsight 0.5: exit 0" test "$code" -eq 0
check "--reward none --hindsight 0.5: the start line says so" \
  grep -qF "reward none (hindsight 0.5); policy" <<<"$out"
run train --config tiny.cfg --name random-parts --frames 24 --reward none --hindsight 1 \
  --random-parts 0.25
check "--random-parts 0.25: exit 0" test "$code" -eq 0
check "--random-parts 0.25: the start line says so" \
  grep -qF "reward none (hindsight 1, 0.25 of parts random); policy" <<<"$out"
# An unconditional agent's progress lines count its distinct and blank samples.
run train --config tiny.cfg --name samples --conditional false --progress-every 0
check "unconditional: exit 0" test "$code" -eq 0
check "unconditional: the start line counts the samples" \
  grep -Eq " I samples at start: distinct [0-9]+/8 blank [0-9]+/8$" <<<"$out"
check "unconditional: progress lines count the samples, no held-out MSE" \
  test "$(grep -Ec " samples distinct [0-9]+/8 blank [0-9]+/8 elapsed" <<<"$out")" -eq 10 -a \
  -z "$(grep -e held_out_mse -e 'held-out MSE' <<<"$out")"
check "unconditional: the last lines count the samples" \
  grep -Eq " I done: 10 updates, 120 frames in .*; samples distinct [0-9]+/8 blank [0-9]+/8; files in runs/samples$" \
  <<<"$out"
# --policy-lr-decay linear: 10 updates of the 120-frame budget run at 10/10 to 1/10 of the rate.
run train --config tiny.cfg --name decay --policy-lr 0.001 --policy-lr-decay linear \
  --progress-every 0
check "--policy-lr-decay linear: exit 0" test "$code" -eq 0
check "--policy-lr-decay linear: the rate falls by a tenth of --policy-lr per update" test \
  "$(sed -n 's/.* policy_lr \([0-9.e-]*\) .*/\1/p' <<<"$out" | tr '\n' ' ')" = \
  "0.001 0.0009 0.0008 0.0007 0.0006 0.0005 0.0004 0.0003 0.0002 0.0001 "
check "without a decay the progress lines name no rate" \
  test -z "$(grep -F ' policy_lr ' <<<"$train_out")"
run train --config runs/tiny/config.cfg --print-config
printf '%s\n' "$out" >reread.cfg
check "config.cfg re-reads identically" cmp -s runs/tiny/config.cfg reread.cfg
check "progress lines carry frames and frames/s" grep -Eq "frames [0-9]+ frames/s [0-9]+" <<<"$train_out"
check "progress lines carry ETA" grep -q ETA <<<"$train_out"
check "a PNG grid exists" test -n "$(ls runs/tiny/images/*.png 2>/dev/null)"
# 120 frames at 4 x 3 frames per update: 10 rows in every series.
/usr/bin/python3 - runs/tiny/metrics.h5 >h5.txt 2>&1 <<'PY'
import sys, h5py, math
f = h5py.File(sys.argv[1], "r")
names = ["step", "frames", "wall_time", "policy_loss", "value_loss", "entropy", "reward",
         "discriminator_loss", "grad_norm", "held_out_mse"]
lengths = {len(f[n]) for n in names}
assert lengths == {10}, lengths
assert all("units" in f[n].attrs and "description" in f[n].attrs for n in names)
assert list(f["frames"][:]) == [12 * (i + 1) for i in range(10)]
assert not math.isnan(f["held_out_mse"][-1]) and 0 <= f["held_out_mse"][-1] <= 1
print("ok")
PY
check "metrics.h5 series have 10 rows each" grep -qx ok h5.txt
[[ "$(cat h5.txt)" == ok ]] || cat h5.txt

cp runs/tiny/metrics.h5 before.h5
run train --config tiny.cfg
check "second run into the same folder: exit 2" test "$code" -eq 2
check "second run: one line" test "$(lines "$err")" -eq 1
check "second run: names metrics.h5" grep -q 'metrics.h5 already exists' <<<"$err"
check "second run: metrics untouched" cmp -s before.h5 runs/tiny/metrics.h5

run train --config tiny.cfg --name other --dataset mnist:"$work/absent"
check "bad dataset: exit 2" test "$code" -eq 2
check "bad dataset: no run folder" test ! -e runs/other/metrics.h5

finish
