#!/usr/bin/env bash
# End-to-end test of jobs/bench-learn.sh: both arms run side by side to their duration (exit code
# 0 each), --d-options reach the D arm alone, and the script prints the table and writes learn.csv.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

bash "$source_dir/jobs/bench-learn.sh" --minutes 0.25 --out "$work/bl" \
  --d-options "--discriminator-updates 2 --spectral-norm true" >bl.txt 2>&1
code=$?
check "bench-learn exits 0 when both arms stop at their duration" test "$code" -eq 0
check "the table has frame 0 and 10 marks" \
  test "$(grep -cE '^ +[0-9]+ +[0-9.]+ +[0-9.]+$' bl.txt)" -eq 11
check "each arm's frames/s" test "$(grep -cE '^(discriminator|l2): [0-9]+ frames in' bl.txt)" -eq 2
check "learn.csv: a header and 11 rows" test "$(grep -c '' bl/learn.csv 2>/dev/null)" -eq 12
check "--d-options reach the D arm" grep -q '^discriminator-updates = 2$' bl/discriminator/config.cfg
check "--d-options reach the D arm only" grep -q '^discriminator-updates = 1$' bl/l2/config.cfg
[[ $code -eq 0 ]] || tail -n 5 bl.txt
bash "$source_dir/jobs/bench-learn.sh" --minutes 0.25 --out "$work/bl" >again.txt 2>&1
check "an existing --out is refused with exit 2" test $? -eq 2
finish
