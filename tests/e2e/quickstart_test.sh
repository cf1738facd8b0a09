#!/usr/bin/env bash
# End-to-end test of scripts/quickstart.sh with a built spiral (SPIRAL_BINARY: nothing installed or
# built): a short --duration run exits 0 and ends with lines that name the newest image grid and a
# curves command that works; spiral's exit code comes through (a time limit: 3, a run folder that
# exists: 2, without those lines; a mistake in the options: 2, in one line).
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
export SPIRAL_BINARY=$spiral

quickstart() {  # quickstart ARGS...: the script, runs under $work/runs; sets $code, $out, $err
  bash "$source_dir/scripts/quickstart.sh" --run-dir "$work/runs" --threads 2 \
    --progress-every 0 "$@" >q.out 2>q.err
  code=$?
  out=$(cat q.out)
  err=$(cat q.err)
}

quickstart --duration 3
check "quickstart with --duration: exit 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 5 q.err
check "spiral says --duration stopped it" grep -q "I stopped by --duration (3 s of training)" <<<"$out"
grid=$(sed -n 's/^quickstart: open \(.*\.png\) (held-out digits .*/\1/p' <<<"$out")
check "a line names the newest grid" test -n "$grid" -a -s "$grid"
check "... the one spiral's last line names" \
  grep -qF "I newest image grid: $grid" <<<"$(grep -v '^quickstart: ' <<<"$out" | tail -n 1)"
check "... a reconstruction grid of the run" \
  grep -q "^$work/runs/quickstart/images/reconstruction-[0-9]*\.png$" <<<"$grid"
curves=$(sed -n "s|^quickstart: learning curves of $work/runs/quickstart/metrics.h5: ||p" <<<"$out")
check "a line gives the curves command" grep -q '^/usr/bin/python3 analysis/curves.py ' <<<"$curves"
(cd "$source_dir" && $curves >/dev/null 2>&1)
check "... which draws them" png_ok "$work/runs/quickstart/curves.png"

quickstart --name limited --time-limit 2
check "quickstart with --time-limit: spiral's exit code 3" test "$code" -eq 3
check "... and the lines on what to open" test "$(grep -c '^quickstart: ' <<<"$out")" -eq 2

quickstart --duration 3
check "a run folder that exists: exit 2" test "$code" -eq 2
check "... without the lines on what to open" test -z "$(grep '^quickstart: ' <<<"$out")"

quickstart --name bad --duration -1
check "a negative duration: exit 2" test "$code" -eq 2
check "... in one line" test "$(lines "$err")" -eq 1
check "... before training" test ! -e "$work/runs/bad"
finish
