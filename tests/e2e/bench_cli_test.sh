#!/usr/bin/env bash
# End-to-end tests of `spiral bench inference`, `bench learner`, `bench allreduce`, `bench
# delivery`, `bench oracle`, `bench discriminator` and `bench profile` at tiny sizes: the tables have the expected rows, the CSV matches, and bad options exit 2.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

number='[0-9]+(\.[0-9]+)?'

run bench inference --batches 1,3 --sizes small --colors gray,rgb --steps 2 --repeats 2 \
  --warmup 1 --threads 1 --csv inference.csv
check "bench inference exits 0" test "$code" -eq 0
check "inference table header" grep -Eq '^size +color +batch +device +threads +steps_per_s ' \
  <<<"$out"
for color in gray rgb; do
  for batch in 1 3; do
    check "inference row small $color batch $batch" \
      grep -Eq "^small +$color +$batch +cpu +1 +$number +$number +$number +$number +2$" <<<"$out"
  done
done
check "inference table has 4 rows" test "$(grep -Ec '^small ' <<<"$out")" -eq 4
check "inference CSV has a header and 4 rows" test "$(lines "$(cat inference.csv)")" -eq 5
check "inference CSV header" test "$(head -n 1 inference.csv)" = \
  "size,color,batch,device,threads,steps_per_s,ms_per_act,steps_per_s_per_core,spread_pct,repeats"
check "inference CSV row" grep -Eq "^small,rgb,3,cpu,1,$number,$number,$number,$number,2$" \
  inference.csv

if [[ "$("$spiral" --version)" == *"CUDA available"* ]]; then
  echo "a GPU is visible: the refusal of --device cuda is not checked"
else
  run bench inference --device cuda --sizes small --colors gray --batches 1 --csv cuda.csv
  check "inference --device cuda without a GPU exits 2" test "$code" -eq 2
  check "the refusal is one line naming --device" \
    test "$(lines "$err")" -eq 1 -a -n "$(grep -e '--device cuda' <<<"$err")"
  check "the refusal writes no CSV" test ! -e cuda.csv
  run bench learner --device cuda
  check "learner --device cuda without a GPU exits 2" test "$code" -eq 2
fi

run bench inference --batches 1,0
check "a batch of 0 exits 2" test "$code" -eq 2
check "the batch error names --batches" grep -q -e '--batches' <<<"$err"
run bench inference --sizes huge
check "an unknown size exits 2" test "$code" -eq 2

run bench learner --batch 2 --unroll 3 --d-batch 2 --size small --repeats 1 --warmup 0 \
  --threads 1 --csv learner.csv
check "bench learner exits 0" test "$code" -eq 0
check "learner policy row (2 x 3 frames)" \
  grep -Eq "^policy_a2c +cpu +1 +2 +3 +($number +){5}1$" <<<"$out"
check "learner discriminator row (2 + 2 images)" \
  grep -Eq "^discriminator_wgan_gp +cpu +1 +4 +1 +($number +){5}1$" <<<"$out"
check "learner CSV has a header and 2 rows" test "$(lines "$(cat learner.csv)")" -eq 3

# The oracle on a tiny input file: 4 x 4 grid (16 + 16 x 16 x 2 = 528 distinct commands), 2 steps.
tiny_config grid=4 episode-length=2 pressure-levels=2 brush-sizes=2 color-levels=1 held-out=8
# The CSV goes into the picture's folder, which does not exist yet (as BENCHMARKS.md runs it).
run bench oracle --config tiny.cfg --count 3 --threads 1 --out oracle --csv oracle/oracle.csv
check "bench oracle exits 0" test "$code" -eq 0
check "oracle names the action space and the search" \
  grep -q '^oracle: flag:2 end:16 control:16 pressure:2, 528 distinct commands, 2 steps, 3 held-out images' \
  <<<"$out"
check "oracle table rows" test "$(grep -Ec '^(blank_canvas|best_target_independent|greedy_search) ' \
  <<<"$out")" -eq 3
read -r blank independent greedy < <(awk -F, 'NR > 1 {printf "%s ", $2}' oracle/oracle.csv)
check "oracle: greedy < target-independent < blank" /usr/bin/python3 -c \
  "import sys; b, i, g = map(float, sys.argv[1:]); sys.exit(0 if g < i < b else 1)" \
  "$blank" "$independent" "$greedy"
check "oracle share line" grep -q "^an agent's share of the reachable gain" <<<"$out"
check "oracle.png is a picture" png_ok oracle/oracle.png
run bench oracle --config tiny.cfg --count 2 --candidates 20 --threads 1
check "a sampled oracle exits 0" test "$code" -eq 0
check "a sampled oracle says so" grep -q 'a sample of 20 commands per step' <<<"$out"
run bench oracle --config tiny.cfg --count 2 --candidates 20 --threads 1 --local-search 10,3
check "hill climbing: a row per budget, smallest first" \
  grep -Pzq 'local_search_3 .*\nlocal_search_10 ' <<<"$out"
check "... never worse with more programs" /usr/bin/python3 -c '
import re, sys
rows = dict(re.findall(r"^(local_search_\d+) +([0-9.]+)", sys.argv[1], re.M))
assert float(rows["local_search_10"]) <= float(rows["local_search_3"]), rows' "$out"
run bench oracle --config tiny.cfg --count 1 --local-search 0
check "a budget of 0 programs is refused with exit 2" test "$code" -eq 2
check "... in one line naming the option" test "$(lines "$err")" -eq 1 -a -n "$(grep -- --local-search <<<"$err")"
run data generate-scenes --count 20 --grid 8 --seed 4 --out scenes.h5
tiny_config env=scene dataset=scenes:scenes.h5
run bench oracle --config tiny.cfg --count 1 --candidates 30 --threads 1 --local-search 5
check "a scene oracle exits 0" test "$code" -eq 0
check "... its blank is the empty floor, and it matches objects" \
  grep -Eq '^blank_canvas +0\.0[0-9]+ +1\.000 +0\.000 +0\.000 +0\.000 +[0-9.]+$' <<<"$out"
check "... for the local search too" grep -Eq '^local_search_5 .* [0-9.]+ +[0-9.]+ +[0-9.]+$' <<<"$out"
run bench oracle --config tiny.cfg --count 1 --candidates 30 --threads 1 --grid 4
check "a scene oracle on another grid than its scenes' exits 0" test "$code" -eq 0
check "... and matches no objects, saying why" \
  test -z "$(grep objects_exact <<<"$out")" -a -n "$(grep 'not matching objects' <<<"$err")"
tiny_config grid=4 episode-length=2 pressure-levels=2 brush-sizes=2 color-levels=1 held-out=8
run bench oracle --config tiny.cfg --conditional false
check "an unconditional input file is refused with exit 2" test "$code" -eq 2
check "the refusal names the reason" grep -q 'unconditional' <<<"$err"
run bench oracle --config tiny.cfg --grid 32 --episode-length 2 --pressure-levels 10 --brush-sizes 1,2,4 \
  --count 1 --threads 1
check "millions of commands are sampled by default" test "$code" -eq 0
check "... and it says so" grep -q '31458304 distinct commands.*a sample of 1024 commands per step' <<<"$out"

# The discriminator check on the same tiny action space: 3 targets per pool, 2 random programs
# and 2 other targets' programs each, 6 updates reported every 3.
run bench discriminator --config tiny.cfg --pool-targets 3 --candidates 20 --updates 6 \
  --report-every 3 --batch 4 --discriminator-widths 8,16 --threads 1 --csv dcheck/check.csv
check "bench discriminator exits 0" test "$code" -eq 0
check "the check names its D and pools" grep -q \
  '^discriminator check: conditional D (widths 8,16), WGAN-GP, lr 0.0001, batch 4; pools of 3 targets (21 renders to train on, 21 to check' \
  <<<"$out"
check "check table: rows at 0, 3 and 6 updates" \
  test "$(grep -Ec "^ *(0|3|6) +(-|-?$number) +(-?$number +){6}-?$number$" <<<"$out")" -eq 3
check "check CSV has a header and 3 rows" test "$(lines "$(cat dcheck/check.csv)")" -eq 4
check "check CSV header" test "$(head -n 1 dcheck/check.csv)" = \
  "updates,d_loss,rank_corr,rank_corr_within,matching_share,accuracy,real_over_fake,real_score,fake_score"
run bench discriminator --config tiny.cfg --conditional false --pool-targets 2 --candidates 8 \
  --updates 2 --report-every 2 --batch 4 --discriminator-widths 8 --threads 1 \
  --discriminator-loss non-saturating --spectral-norm true
check "an unconditional check exits 0" test "$code" -eq 0
check "an unconditional check has no matching share" \
  test "$(grep -Ec "^ *(0|2) +(-|-?$number) +-?$number +-?$number +- " <<<"$out")" -eq 2
for bad in "--discriminator-widths 8,x" "--discriminator-widths 8,,16" "--discriminator-widths 0" \
  "--discriminator-widths 8,8,8,8,8,8,8" "--pool-targets 1" "--report-every 0" \
  "--check-on test" "--mismatched-fakes maybe"; do
  # shellcheck disable=SC2086
  run bench discriminator --config tiny.cfg $bad
  check "bench discriminator $bad exits 2" test "$code" -eq 2
  check "bench discriminator $bad: one line" test "$(lines "$err")" -eq 1
done

# The profile of a tiny run with a D reward: every phase gets a row, the times add up, and the
# phases that compute report GFLOP/s.
run bench profile --config tiny.cfg --reward discriminator --updates 3 --warmup 1 --threads 1 \
  --eval-every 1 --csv profile.csv
check "bench profile exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || printf '%s\n' "$err" | tail -5
check "bench profile: the peak" grep -Eq "^peak: fp32 2048\^3 matrix product on 1 LibTorch thread\(s\): $number GFLOP/s" <<<"$out"
check "bench profile: the FLOPs per frame" grep -Eq "^policy forward: $number MFLOP per frame" <<<"$out"
for phase in "render +$number +$number +- +- +-" "inference \(acting\)( +$number){5}" \
  "rewards( +$number){5}" "policy forward( +$number){5}" "policy backward( +$number){5}" \
  "policy Adam +$number +$number +- +- +-" "discriminator( +$number){5}" \
  "evaluation \(1/1\)( +$number){5}"; do
  check "bench profile row: ${phase%% +*}" grep -Eq "^$phase$" <<<"$out"
done
check "bench profile: the shares add up to 100%" /usr/bin/python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
parts = [r for r in rows if r["phase"] != "total"]
total = [r for r in rows if r["phase"] == "total"][0]
assert len(parts) == 8, rows
assert abs(sum(float(r["share_pct"]) for r in parts) - 100) < 0.5, rows
assert abs(sum(float(r["ms_per_update"]) for r in parts) - float(total["ms_per_update"])) < 0.05, rows' \
  profile.csv
check "bench profile: frames/s" grep -Eq "^frames/s: $number over 3 updates" <<<"$out"
run bench profile --config tiny.cfg --updates 0
check "bench profile --updates 0: exit 2, one line" test "$code" -eq 2 -a "$(lines "$err")" -eq 1

if command -v mpirun >/dev/null; then
  mpirun -np 2 --oversubscribe "$spiral" bench allreduce --size small --repeats 2 --warmup 1 \
    --threads 1 --bucket-mb 0.01 --csv allreduce.csv >allreduce.out 2>allreduce.err
  check "bench allreduce under mpirun exits 0" test $? -eq 0
  check "allreduce table printed once" test "$(grep -c '^parameters ' allreduce.out)" -eq 1
  for list in policy discriminator; do
    check "allreduce row $list" \
      grep -Eq "^$list +[0-9]+ +$number +2 +cpu +0\.0 +($number +){5}2$" allreduce.out
  done
  check "allreduce CSV has a header and 2 rows" test "$(lines "$(cat allreduce.csv)")" -eq 3

  # Delivery on 5 ranks as nodes of 2: rank 0 and actor 1, actors 2-3, actors 4 (3 leaders).
  mpirun -np 5 --oversubscribe "$spiral" bench delivery --mb 0.01,0.5 --repeats 2 --warmup 1 \
    --ranks-per-node 2 --csv delivery.csv >delivery.out 2>delivery.err
  check "bench delivery under mpirun exits 0" test $? -eq 0
  check "delivery table printed once" test "$(grep -c '^path ' delivery.out)" -eq 1
  check "delivery: direct sends 4 copies (one per actor)" \
    test "$(grep -Ec "^direct +0\.(01|50) +4 +- +4 +$number +($number +){3}2$" delivery.out)" -eq 2
  check "delivery: the tree sends 3 copies (one per node with actors)" \
    test "$(grep -Ec "^tree +0\.(01|50) +4 +3 +3 +$number +($number +){3}2$" delivery.out)" -eq 2
  check "delivery CSV has a header and 4 rows" test "$(lines "$(cat delivery.csv)")" -eq 5
  mpirun -np 2 --oversubscribe "$spiral" bench delivery --mb 0 >/dev/null 2>bad.err
  check "a size of 0 MB is refused with exit 2" test $? -eq 2
fi

finish
