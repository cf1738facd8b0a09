#!/usr/bin/env bash
# End-to-end test of analysis/scaling_model.py: the table, CSV and plot; the model's behaviour
# (actor- and learner-limited scaling, the allreduce share, learner 0's parameter fan-out against
# the link, directly and down a tree of nodes, and the node counts where they break); one-line refusals of bad input; and --check on made-up run folders whose predicted
# and measured frames/s are known.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
python=/usr/bin/python3
model=$source_dir/analysis/scaling_model.py

predict() {  # predict NAME ARGS...: runs the model; sets $code, $out, $err
  "$python" "$model" "$@" >"$work/.out" 2>"$work/.err"
  code=$?
  out=$(cat "$work/.out")
  err=$(cat "$work/.err")
}
column() {  # column CSV NAME: the values of one CSV column, one a line
  "$python" -c 'import csv, sys
for row in csv.DictReader(open(sys.argv[1])): print(row[sys.argv[2]])' "$1" "$2"
}
ratios() {  # ratios CSV NAME: each row's value over the first row's, 4 decimals
  column "$1" "$2" | awk 'NR == 1 {first = $1} {printf "%.4f\n", $1 / first}' | paste -sd' '
}

# ---- Defaults: a table of 11 node counts, the CSV and the plot ----
predict --csv default.csv --plot default.png
check "defaults exit 0" test "$code" -eq 0
check "the table has a header and 11 rows" \
  test "$(grep -cE '^ +[0-9]+ +[0-9]+ +[0-9]+ ' <<<"$out")" -eq 11
check "default.csv: a header and 11 rows" test "$(grep -c '' default.csv 2>/dev/null)" -eq 12
check "default.png is a picture" png_ok default.png
check "the allreduce share is 0 on one node and grows with the nodes" "$python" -c '
import csv, sys
share = [float(r["allreduce_pct"]) for r in csv.DictReader(open(sys.argv[1]))]
sys.exit(0 if share[0] == 0 and all(b > a for a, b in zip(share, share[1:])) else 1)' default.csv

# ---- Actors far slower than learners: frames/s doubles with the nodes ----
predict --actor-frames-per-core 1 --nodes 1,2,4 --csv slow.csv
check "slow actors: frames/s doubles from 1 to 2 to 4 nodes" \
  test "$(ratios slow.csv frames_per_s)" = "1.0000 2.0000 4.0000"
check "slow actors: the actors limit" test "$(column slow.csv limit | sort -u)" = actors
check "slow actors: 14 actors per 16-core node" \
  test "$(column slow.csv actors | paste -sd' ')" = "14 28 56"

# ---- Actors far faster: the learners limit, and the allreduce costs ----
predict --actor-frames-per-core 1000000 --learner-frames-per-gpu 19307 --nodes 1,2 --csv fast.csv
check "fast actors: the learners limit" test "$(column fast.csv limit | sort -u)" = learners
check "fast actors: 1 GPU learns 19307 frames/s" \
  test "$(column fast.csv frames_per_s | sed -n 1p)" = 19307
check "fast actors: 2 nodes make less than twice 1 node's frames/s (allreduce)" \
  awk '{r = $2} END {exit !(r > 1.9 && r < 2)}' <<<"$(ratios fast.csv frames_per_s)"

# The ring: a 1 s update of 4 MB of gradients on a 1 GB/s link with 0.5 ms latency takes
# 2 (N-1)/N x 4 ms + 2 (N-1) x 0.5 ms more on N nodes: 5 ms of 1005 on 2, 9 ms of 1009 on 4.
predict --learner-frames-per-gpu 1216 --batch 64 --unroll 19 --policy-params 1000000 \
  --discriminator-params 0 --link-gbps 8 --latency-us 500 --nodes 1,2,4 --csv ring.csv
check "the ring allreduce's share: 0, 5/1005 and 9/1009" \
  test "$(column ring.csv allreduce_pct | paste -sd' ')" = "0 0.497512 0.891972"

# ---- Learner 0's parameter fan-out ----
predict --actor-frames-per-core 1 --nodes 2,3,5 --csv fan.csv
check "the fan-out grows with the remote actors: 1:2:4 from 2, 3, 5 nodes" \
  test "$(ratios fan.csv fanout_mb_s)" = "1.0000 2.0000 4.0000"
# (--envs 1: an actor's rollouts are short enough to take every copy)
predict --actor-frames-per-core 1000 --learner-frames-per-gpu 19307 --nodes 2 --cores-per-node 10 \
  --envs 1 --csv fan8.csv
predict --actor-frames-per-core 1000 --learner-frames-per-gpu 19307 --nodes 2 --cores-per-node 18 \
  --envs 1 --csv fan16.csv
check "16 actors per node instead of 8: 4 times the fan-out (twice the actors, twice the updates)" \
  awk -v a="$(column fan8.csv fanout_mb_s)" -v b="$(column fan16.csv fanout_mb_s)" \
  'BEGIN {exit !(b / a > 3.999 && b / a < 4.001)}'
# 14 actors x (14 x 150 / 1216 updates/s) x 6.508 MB = 157.3 MB/s per remote node: the 12,500 MB/s
# link is passed from 81 nodes on (80 remote nodes), not at 80.
link_args=(--actor-frames-per-core 150 --learner-frames-per-gpu 19307 --batch 64 --unroll 19
  --policy-params 1627000 --cores-per-node 16 --gpus-per-node 1 --replay-per-node 1
  --link-gbps 100 --envs 1)
# Into a node of 2: episodes 2 x 4200 / 2 / 19 x 82,396 B x 1/2 = 9.107 MB/s, allreduce
# 17.563 MB x 1.727 updates/s = 30.331, parameters 14 x 1.727 x 6.508 MB = 157.348: 196.786.
predict "${link_args[@]}" --discriminator-params 2763713 --nodes 1,2 --csv net.csv
check "network into a node: 0 on one node, 196.786 MB/s on two" \
  test "$(column net.csv network_mb_s_per_node | paste -sd' ')" = "0 196.786"
# An actor of 32 environments takes a copy per rollout, 150 / (32 x 19) a second, not the 1.727
# updates a second: 1216 / (32 x 19 x 14) = 1/7 of the fan-out.
predict "${link_args[@]}" --discriminator-params 2763713 --envs 32 --nodes 2 --csv capped.csv
check "busy actors take a copy per rollout: 1/7 of the fan-out" \
  awk -v a="$(column net.csv fanout_mb_s | sed -n 2p)" -v b="$(column capped.csv fanout_mb_s)" \
  'BEGIN {exit !(b / a > 0.14285 && b / a < 0.14286)}'
predict "${link_args[@]}" --nodes 80,81
check "the fan-out passes the link from 81 nodes on" \
  grep -q "fan-out (--parameter-delivery direct) exceeds the 12500 MB/s link from 81 nodes on" <<<"$out"
predict "${link_args[@]}" --nodes 80
check "... and not at 80 nodes" grep -q "stays within the 12500 MB/s link" <<<"$out"
check "... the break line says so too, searched beyond the nodes asked for" \
  grep -q "breaks: the fan-out passes the link from 81 nodes on" <<<"$out"

# ---- The tree: one copy per node from learner 0, the rest passed on inside the node ----
predict "${link_args[@]}" --discriminator-params 2763713 --nodes 1,2 --parameter-delivery tree \
  --csv tree.csv
# Into a node of 2: 9.107 + 30.331 + one copy, 1.727 x 6.508 = 11.239 MB/s: 50.677.
check "tree: network into a node 0 on one node, 50.677 MB/s on two" \
  test "$(column tree.csv network_mb_s_per_node | paste -sd' ')" = "0 50.6767"
check "tree: learner 0's fan-out is 1/14 of the direct path's (14 actors per node)" \
  awk -v a="$(column net.csv fanout_mb_s | sed -n 2p)" -v b="$(column tree.csv fanout_mb_s | sed -n 2p)" \
  'BEGIN {exit !(a / b > 13.999 && a / b < 14.001)}'
check "tree: the leader passes 13 copies on inside its node, even on one node" \
  awk -v a="$(column net.csv fanout_mb_s | sed -n 2p)" -v b="$(column tree.csv intra_node_mb_s | paste -sd' ')" \
  'BEGIN {split(b, c, " "); exit !(c[1] == c[2] && c[1] / a > 13 / 14 - 1e-4 && c[1] / a < 13 / 14 + 1e-4)}'
check "direct: nothing is passed on inside a node" test "$(column net.csv intra_node_mb_s | sort -u)" = 0
# 12,500 / 11.239 = 1112.2 remote nodes: from 1114 nodes on.
predict "${link_args[@]}" --nodes 2 --parameter-delivery tree
check "tree: the fan-out passes the link from 1114 nodes on, the allreduce's half from 15045" \
  grep -qx "breaks: the fan-out passes the link from 1114 nodes on; the allreduce takes more than half of an update from 15045 nodes on" <<<"$out"
predict "${link_args[@]}" --nodes 1113,1114 --parameter-delivery tree
check "... as the rows show: within at 1113, past at 1114" \
  grep -q "exceeds the 12500 MB/s link from 1114 nodes on" <<<"$out"
predict --parameter-delivery ring
check "an unknown delivery path is refused with exit 2" test "$code" -eq 2

# ---- --explain: the equations and the episode bytes of the wire format ----
predict --explain --nodes 1
check "--explain prints the equations" grep -q "t_allreduce(L) *= 2 (L-1)/L" <<<"$out"
check "--explain: 82,396 bytes per episode of 19 steps" grep -q "E = 82,396 bytes" <<<"$out"
predict --explain --nodes 1 --unroll 9
check "--explain: 41,196 bytes per episode of 9 steps" grep -q "E = 41,196 bytes" <<<"$out"

predict --help
help=$(tr -s ' \n' '  ' <<<"$out")
check "--help says which defaults were measured and which are assumed" \
  test "$(grep -o 'measured, paper sizes' <<<"$help" | grep -c '')" -eq 1 -a \
  "$(grep -o 'an assumption' <<<"$help" | grep -c '')" -eq 2

# ---- Bad input: exit 2, one line on stderr, nothing on stdout ----
for args in "--nodes 0" "--nodes 1,x" "--actor-frames-per-core -5" "--learner-frames-per-gpu 0" \
  "--cores-per-node 2" "--batch abc" "--check $work/missing"; do
  read -ra words <<<"$args"
  predict "${words[@]}"
  check "$args: exit 2" test "$code" -eq 2
  check "$args: one line, nothing on stdout" test "$(lines "$err")" -eq 1 -a -z "$out"
done

# ---- --check on made-up runs ----
# Every run: metrics.h5 with 2500 frames in the 10 s after the first update (250 frames/s).
# a: async, 2 actors at 1000 frames / 10 s acting, a learner at 4000 frames / (20 - 10) s:
#    predicted min(200, 400) = 200, error -20%.
# b: async, the same actors, a learner at 3000 frames / 20 s: predicted 150, error -40%.
# c: sync on 2 ranks (job.txt), no roles.h5: skipped, or 2 / (0.002 + 0.003) = 400, error +60%.
# d: async without roles.h5: refused.
"$python" - "$work" "$source_dir" >made.txt 2>&1 <<'PY'
import os, sys, h5py, numpy as np
sys.path.insert(0, os.path.join(sys.argv[2], "analysis"))
import spiral_h5
work = sys.argv[1]
def make(name, mode, learner=None, ranks=None):
    run = os.path.join(work, name)
    os.makedirs(run)
    with h5py.File(os.path.join(run, "metrics.h5"), "w") as f:
        for column in spiral_h5.COLUMNS:
            f[column] = np.zeros(2)
        f["frames"][...] = [100, 2600]
        f["wall_time"][...] = [1.0, 11.0]
    with open(os.path.join(run, "config.cfg"), "w") as f:
        f.write(f"mode = {mode}\nbatch = 4\nepisode-length = 3\n")
    if ranks:
        with open(os.path.join(run, "job.txt"), "w") as f:
            f.write(f"ranks = {ranks}\nnodes = 1\nthreads = 1\n")
    if learner:
        frames, seconds, blocked = learner
        rows = {"rank": [0, 1, 2, 3], "role": [0, 1, 2, 2], "frames": [frames, 0, 1000, 1000],
                "seconds": [seconds, 20, 20, 20], "seconds_working": [0, 3, 10, 10],
                "seconds_blocked": [blocked, 0, 5, 5]}
        with h5py.File(os.path.join(run, "roles.h5"), "w") as f:
            for key, values in rows.items():
                f[key] = np.array(values, dtype=np.float64 if key.startswith("sec") else np.int64)
            for key in ("episodes", "to_learners", "dropped", "left", "written",
                        "parameter_updates"):
                f[key] = np.zeros(4, dtype=np.int64)
            for key in ("bytes_sent", "peak_rss_mb"):
                f[key] = np.zeros(4)
make("a", "async", learner=(4000, 20.0, 10.0))
make("b", "async", learner=(3000, 20.0, 0.0))
make("c", "sync", ranks=2)
make("d", "async")
print("made")
PY
check "the made-up runs are written" grep -q "^made" made.txt
grep -q "^made" made.txt || cat made.txt
predict --check a b c
check "--check exits 0" test "$code" -eq 0
check "a: actors limit, predicted 200, measured 250, error -20.0%" grep -qx \
  "a: async, 2 actor(s) at 100.0 frames/s, 1 learner(s) at 400.0 frames/s, actors limit: predicted 200.0 frames/s, measured 250.0 frames/s, error -20.0%" <<<"$out"
check "b: learners limit, predicted 150, error -40.0%" \
  grep -q "^b: .*learners limit: predicted 150.0 frames/s, measured 250.0 frames/s, error -40.0%$" <<<"$out"
check "c: a sync run is skipped, with its measured frames/s" \
  grep -q "^c: sync, measured 250.0 frames/s; skipped" <<<"$out"
predict --check c --sync-act-seconds-per-frame 0.002 --sync-learn-seconds-per-frame 0.003
check "c: with the sync costs, predicted 400 on 2 ranks, error +60.0%" grep -qx \
  "c: sync, 2 rank(s): predicted 400.0 frames/s, measured 250.0 frames/s, error +60.0%" <<<"$out"
predict --check a d
check "an async run without roles.h5 is refused with exit 2 and one line" \
  test "$code" -eq 2 -a "$(lines "$err")" -eq 1
check "... naming the file" grep -q "d/roles.h5: no such file" <<<"$err"
[[ $failures -eq 0 ]] || printf '%s\n%s\n' "$out" "$err"
finish
