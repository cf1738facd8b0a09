#!/usr/bin/env bash
# End-to-end test of resuming `spiral train --population 2 --mode async` (6 MPI ranks,
# oversubscribed, a discriminator per member): 2 updates, then 2 more resumed from the checkpoint
# written after the first PBT round. The counters, both members' metrics and the PBT events
# continue from the checkpoint without a gap (async runs are not deterministic, so not bit for
# bit), and every member's actors and holders take part again.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config batch=2 envs=2 threads=1 eval-every=2 images-every=100 checkpoint-every=0 \
  population=2 pbt-interval=2 mode=async layout=actors:1,replay:1,learners:1 \
  trajectory-fraction=1 peer-timeout=60 shared-discriminator=false

train_on 6 b --frames 24
check "the first start exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 30 b.out
check "... after a PBT round that copied a discriminator too" \
  grep -q "I PBT: member [01] holds member [01]'s policy, discriminator and their Adam states bit for bit" b.out
/usr/bin/python3 -c 'import h5py, sys
print(" ".join(str(h5py.File(f"runs/b/trajectories/replay-{r}.h5", "r").attrs["episodes_received"]) for r in (1, 4)))' >first.txt 2>&1
read -r first1 first4 <first.txt
train_on 6 b --frames 48 --resume auto
check "the resumed start exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 30 b.out
check "... from the checkpoint after update 2" grep -q "resumed from .*ckpt-00000002.h5 at step 2, 24 frames" b.out
check "... with both members" \
  test "$(grep -c 'I episodes: actors sent [1-9][0-9]*, holders received' b.out)" -eq 4

/usr/bin/python3 - runs/b "${first1:-0}" "${first4:-0}" >b.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
run, first = sys.argv[1], {1: int(sys.argv[2]), 4: int(sys.argv[3])}
m = h5py.File(f"{run}/metrics.h5", "r")
lr = {k: m[f"member-{k}/policy_lr"][()] for k in (0, 1)}
for k in (0, 1):
    assert list(m[f"member-{k}/step"][()]) == [1, 2, 3, 4], m[f"member-{k}/step"][()]
    assert list(m[f"member-{k}/frames"][()]) == [12, 24, 36, 48], m[f"member-{k}/frames"][()]
    wall = m[f"member-{k}/wall_time"][()]
    assert np.all(np.diff(wall) > 0), wall
p = h5py.File(f"{run}/population.h5", "r")
update, member = p["update"][()], p["member"][()]
assert list(update) == [0, 0, 2, 4], update
assert p.attrs["shared_discriminator"] == 0
# The resumed members train with the hyper-parameters the checkpoint's PBT state holds.
for k in (0, 1):
    rows = [i for i in range(len(update)) if member[i] == k and update[i] <= 2]
    assert lr[k][2] == p["new_policy_lr"][rows[-1]], (k, lr[k], p["new_policy_lr"][()])
r = h5py.File(f"{run}/roles.h5", "r")
assert list(r["role"][()]) == [0, 1, 2, 0, 1, 2], r["role"][()]
updates = r["parameter_updates"][()]
assert updates[2] > 0 and updates[5] > 0, updates
# The holders append to their files.
for holder in (1, 4):
    t = h5py.File(f"{run}/trajectories/replay-{holder}.h5", "r")
    assert t.attrs["episodes_received"] > first[holder] > 0, (holder, first, dict(t.attrs))
print("resumed ok")
PY
check "the resumed population continues its counters, metrics and PBT events" grep -qx "resumed ok" b.txt
cat b.txt
train_on 6 b --frames 72 --resume auto --population 1 --layout actors:4,replay:1,learners:1
check "resuming it as a single agent is refused with exit 2" test "$code" -eq 2
check "... saying why" grep -q "is a checkpoint of a population, this run has --population 1" b.out
finish
