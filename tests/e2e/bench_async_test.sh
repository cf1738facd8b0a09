#!/usr/bin/env bash
# End-to-end test of jobs/bench-async.sh and analysis/roles.py: a sync run and an async run with one
# actor stop at their duration (exit code 0), and the script prints each rank's breakdown and the
# table, and writes roles.csv with the figures of both runs.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config threads=1
bash "$source_dir/jobs/bench-async.sh" --seconds 8 --actors 1 --config "$work/tiny.cfg" \
  --out "$work/ba" >ba.txt 2>&1
code=$?
check "bench-async exits 0 when its runs stop at their duration" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 20 ba.txt
check "the async run's three ranks are listed" \
  test "$(grep -cE '^  rank +[012] (learner|replay holder|actor) ' ba.txt)" -eq 4
check "a table row per run" test "$(grep -cE '^\| (sync-1|async-1-actors) \|' ba.txt)" -eq 2
/usr/bin/python3 - ba/roles.csv >csv.txt 2>&1 <<'PY'
import csv, sys
rows = {r["run"]: r for r in csv.DictReader(open(sys.argv[1]))}
s, a = rows["sync-1"], rows["async-1-actors"]
print("sync", s["ranks"], s["actors"], float(s["learnt_frames_per_s"]) > 0,
      float(s["peak_rss_learner_mb"]) > 50)
print("async", a["ranks"], a["actors"], float(a["learnt_frames_per_s"]) > 0,
      float(a["produced_frames_per_s"]) >= float(a["learnt_frames_per_s"]) * 0.5,
      float(a["acting_frames_per_s_per_actor"]) > 0, float(a["actor_efficiency"]) == 1.0,
      0 <= float(a["actor_waiting_pct"]) <= 100,
      all(float(a[f"peak_rss_{r}_mb"]) > 50 for r in ("learner", "replay", "actor")))
PY
cat csv.txt
check "roles.csv: the sync run, 1 rank, with frames/s and peak memory" grep -qx "sync 1 0 True True" csv.txt
check "roles.csv: the async run, 3 ranks, 1 actor, every figure in range" \
  grep -qx "async 3 1 True True True True True True" csv.txt
bash "$source_dir/jobs/bench-async.sh" --seconds 8 --out "$work/ba" >again.txt 2>&1
check "an existing --out is refused with exit 2" test $? -eq 2
bash "$source_dir/jobs/bench-async.sh" --actors 0 --out "$work/other" >zero.txt 2>&1
check "--actors 0 is refused with exit 2" test $? -eq 2
/usr/bin/python3 "$source_dir/analysis/roles.py" "$work/nothing" >missing.txt 2>&1
check "roles.py: a missing run folder is one line, exit 2" test $? -eq 2 -a "$(lines "$(cat missing.txt)")" -eq 1
finish
