#!/usr/bin/env bash
# End-to-end test of `spiral train --population 2 --mode async` on 6 MPI ranks (oversubscribed):
# two members of 3 ranks each (a learner, a replay holder and an actor), a PBT round every 2
# updates among the learners in which the worse member copies the better one's policy and Adam
# state (checked by digest); population.h5, each member's metrics, roles.h5 (every member's actors
# received parameters), the members' own trajectory files and inspect; a signal to one member's
# actor stops every member; the refusals (members too small for a role layout, a layout that does
# not fit a member). population_async_resume_test.sh
# checks resuming.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config batch=2 envs=2 threads=1 eval-every=2 images-every=100 checkpoint-every=0 \
  population=2 pbt-interval=2 mode=async layout=actors:1,replay:1,learners:1 \
  trajectory-fraction=1 peer-timeout=60
# 2 learners x 2 episodes x 3 steps = 12 frames per update.

train_on 6 a --frames 48
check "an async population of 2 on 6 ranks exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 30 a.out
check "the log describes each member's layout" \
  grep -q "a population of 2 members of 3 consecutive ranks (member m: ranks 3m to 3m + 2), each with the layout actors:1,replay:1,learners:1" a.out
check "the log describes the population" \
  grep -q "population of 2 members of 3 rank(s) each, one shared discriminator, PBT every 2 updates among the 1 learner(s) of each member" a.out
check "two PBT rounds, each with one exploit step" test "$(grep -c 'I PBT after update' a.out)" -eq 2
check "each copy holds the source's policy and Adam state bit for bit (digests of both learners)" \
  test "$(grep -c "I PBT: member [01] holds member [01]'s policy and their Adam states bit for bit" a.out)" -eq 2
check "each member's learner 0 accounts for its own member's episodes" \
  test "$(grep -c 'I episodes: actors sent [1-9][0-9]*, holders received' a.out)" -eq 2

/usr/bin/python3 - runs/a >a.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
run = sys.argv[1]
p = h5py.File(f"{run}/population.h5", "r")
assert p.attrs["members"] == 2 and p.attrs["pbt_interval"] == 2, dict(p.attrs)
assert p.attrs["shared_discriminator"] == 1
update, member, source = p["update"][()], p["member"][()], p["source"][()]
assert list(update) == [0, 0, 2, 4], update
init = p["new_policy_lr"][:2]
assert np.all((init >= 1e-5) & (init <= 3e-4)) and init[0] != init[1], init
m = h5py.File(f"{run}/metrics.h5", "r")
assert m.attrs["members"] == 2 and "step" not in m, list(m)
lr = {k: m[f"member-{k}/policy_lr"][()] for k in (0, 1)}
entropy = {k: m[f"member-{k}/entropy_cost"][()] for k in (0, 1)}
mse = {k: m[f"member-{k}/held_out_mse"][()] for k in (0, 1)}
for k in (0, 1):
    assert list(m[f"member-{k}/step"][()]) == [1, 2, 3, 4], m[f"member-{k}/step"][()]
    assert list(m[f"member-{k}/frames"][()]) == [12, 24, 36, 48], m[f"member-{k}/frames"][()]
    assert lr[k][0] == init[k], (k, lr[k], init)
    # Each member's own flow of episodes: its actor produced, its learner waited for them.
    assert m[f"member-{k}/frames_produced"][-1] > 0, m[f"member-{k}/frames_produced"][()]
for row in (2, 3):
    u, w, s = update[row], member[row], source[row]
    fw, fs = mse[w][u - 1], mse[s][u - 1]
    assert w != s and fw >= fs, (u, w, s, fw, fs)
    assert p["member_fitness"][row] == fw and p["source_fitness"][row] == fs
    for name, series, low, high in (("policy_lr", lr, 1e-5, 3e-4), ("entropy_cost", entropy, 2e-3, 0.1)):
        before = series[s][u - 1]
        new = p[f"new_{name}"][row]
        assert any(np.isclose(new, np.clip(before * f, low, high), rtol=1e-12) for f in (0.8, 1.2)), \
            (name, before, new)
        if u < 4:
            assert series[w][u] == new, (name, series[w], new)
# roles.h5: a row per rank of the job, named by its rank in the job; every member's actor received
# its member's parameters.
r = h5py.File(f"{run}/roles.h5", "r")
assert list(r["rank"][()]) == [0, 1, 2, 3, 4, 5], r["rank"][()]
assert list(r["role"][()]) == [0, 1, 2, 0, 1, 2], r["role"][()]
updates = r["parameter_updates"][()]
assert updates[2] > 0 and updates[5] > 0, updates
assert r["parameter_copies"][0] > 0 and r["parameter_copies"][3] > 0, r["parameter_copies"][()]
episodes = r["episodes"][()]
assert episodes[1] == episodes[2] and episodes[4] == episodes[5], episodes
# Each member's holder writes its own file, named by its rank in the job, of its own actor's episodes.
for holder, actor in ((1, 2), (4, 5)):
    t = h5py.File(f"{run}/trajectories/replay-{holder}.h5", "r")
    actors = set(int(a) for a in t["actor"][()])
    assert actors == {actor}, (holder, actors)
    assert t.attrs["episodes_received"] == episodes[holder], (holder, dict(t.attrs))
print("async population ok")
PY
check "population.h5, each member's metrics, roles.h5 and trajectory files" \
  grep -qx "async population ok" a.txt
cat a.txt

run inspect runs/a
check "inspect shows the population" grep -q "population: .*2 members, PBT every 2 updates" <<<"$out"
check "inspect shows each member's metrics" grep -q "member-1, 4 rows: update 4" <<<"$out"
check "inspect shows the exploit steps" grep -q "2 exploit step(s), the last:" <<<"$out"
check "inspect: the checkpoint holds the whole population" grep -q "the whole population" <<<"$out"

# A signal to one of member 1's actors stops every member at the same update, cleanly.
(timeout 300 mpirun -np 6 "$spiral" train --config tiny.cfg --name sig --frames 1000000 \
  >sig.out 2>&1
  echo $? >sig.code) &
wait_for sig.out "I PBT after update 2" && kill -TERM "$(rank_pid sig 5)"
wait
check "SIGTERM to member 1's actor: the job exits 3 (requeue)" test "$(cat sig.code)" -eq 3
check "... the actor asks its member's learner 0 to stop" \
  grep -q "r5 actor\] I SIGTERM received: asking learner 0 to stop" sig.out
check "... the learners of both members stop after the same update" \
  test "$(grep -o 'SIGTERM received: stopped after [0-9]* frames' sig.out | sort | uniq -c |
    awk '{print $1}')" = 2
check "... each member accounts for its episodes" \
  test "$(grep -c 'I episodes: actors sent [1-9][0-9]*, holders received' sig.out)" -eq 2
/usr/bin/python3 - runs/sig >sig.txt 2>&1 <<'PY'
import sys, glob, h5py
run = sys.argv[1]
assert glob.glob(f"{run}/checkpoints/ckpt-*.h5"), "no checkpoint"
r = h5py.File(f"{run}/roles.h5", "r")
assert list(r["role"][()]) == [0, 1, 2, 0, 1, 2], r["role"][()]
m = h5py.File(f"{run}/metrics.h5", "r")
assert len(m["member-0/step"]) == len(m["member-1/step"]) >= 2
print("stopped ok")
PY
check "... with a checkpoint, every rank's report and both members' metrics" \
  grep -qx "stopped ok" sig.txt
cat sig.txt

# Refusals: one clear line, exit code 2, no run files.
train_on 4 small --frames 48
check "--population 2 --mode async on 4 ranks is refused with exit 2" test "$code" -eq 2
check "... saying how many ranks a member needs" \
  grep -q "population 2 --mode async needs at least 3 ranks per member (a learner, a replay holder and an actor), 6 ranks or more; this run has 4 (2 per member)" small.out
check "... before writing anything" test ! -e runs/small/metrics.h5
train_on 6 wide --frames 48 --layout actors:2,replay:1,learners:1
check "a layout that does not fit a member is refused with exit 2" test "$code" -eq 2
check "... saying each member's share" \
  grep -q "population 2 --mode async: each member has 3 of the job's 6 ranks and its own layout: --layout 'actors:2,replay:1,learners:1' has 4 ranks, the job has 3" wide.out
check "... before writing anything" test ! -e runs/wide/metrics.h5
finish
