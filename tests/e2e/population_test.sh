#!/usr/bin/env bash
# End-to-end test of `spiral train --population 2` in --mode sync on 4 MPI ranks (oversubscribed):
# two members of 2 ranks each, a PBT round every 2 updates in which the worse member copies the
# better one's policy and Adam state bit for bit; population.h5, each member's metrics, inspect
# and analysis/population.py; the refusals (world size, bad ranges, resuming with another
# population). population_resume_test.sh checks resuming.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config batch=2 envs=2 threads=1 eval-every=2 images-every=100 checkpoint-every=0 \
  population=2 pbt-interval=2
# 4 ranks x 2 episodes x 3 steps = 24 frames per update.

train_on 4 a --frames 96
check "a population of 2 on 4 ranks exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 20 a.out
check "the log describes the population" \
  grep -q "population of 2 members of 2 rank(s) each, one shared discriminator, PBT every 2" a.out
check "two PBT rounds, each with one exploit step" test "$(grep -c 'I PBT after update' a.out)" -eq 2
check "each copy holds the source's policy and Adam state bit for bit (digests of both ranks)" \
  test "$(grep -c "I PBT: member [01] holds member [01]'s policy and their Adam states bit for bit" a.out)" -eq 2

/usr/bin/python3 - runs/a >a.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
run = sys.argv[1]
p = h5py.File(f"{run}/population.h5", "r")
assert p.attrs["members"] == 2 and p.attrs["pbt_interval"] == 2, dict(p.attrs)
assert p.attrs["shared_discriminator"] == 1
assert p.attrs["fitness"].startswith("held_out_mse"), p.attrs["fitness"]
update, member, source = p["update"][()], p["member"][()], p["source"][()]
assert list(update) == [0, 0, 2, 4], update
assert list(member[:2]) == [0, 1] and list(source[:2]) == [0, 1], (member, source)
lo, hi = 1e-5, 3e-4
# The initial draws lie within SPIRAL's ranges and differ between members.
init = p["new_policy_lr"][:2]
assert np.all((init >= lo) & (init <= hi)) and init[0] != init[1], init
assert np.all((p["new_entropy_cost"][:2] >= 2e-3) & (p["new_entropy_cost"][:2] <= 0.1))
m = h5py.File(f"{run}/metrics.h5", "r")
assert m.attrs["members"] == 2 and "step" not in m, list(m)
lr = {k: m[f"member-{k}/policy_lr"][()] for k in (0, 1)}
entropy = {k: m[f"member-{k}/entropy_cost"][()] for k in (0, 1)}
mse = {k: m[f"member-{k}/held_out_mse"][()] for k in (0, 1)}
for k in (0, 1):
    assert list(m[f"member-{k}/step"][()]) == [1, 2, 3, 4], m[f"member-{k}/step"][()]
    assert list(m[f"member-{k}/frames"][()]) == [24, 48, 72, 96]
    assert lr[k][0] == init[k], (k, lr[k], init)
for row in (2, 3):
    u, w, s = update[row], member[row], source[row]
    # The worse member (higher held-out MSE at that update) copied the better one.
    fw, fs = mse[w][u - 1], mse[s][u - 1]
    assert w != s and fw >= fs, (u, w, s, fw, fs)
    assert p["member_fitness"][row] == fw and p["source_fitness"][row] == fs
    # Explore: the source's lr and entropy cost x 0.8 or 1.2 (clipped to the ranges).
    for name, series, low, high in (("policy_lr", lr, lo, hi), ("entropy_cost", entropy, 2e-3, 0.1)):
        before = series[s][u - 1]
        new = p[f"new_{name}"][row]
        assert any(np.isclose(new, np.clip(before * f, low, high), rtol=1e-12) for f in (0.8, 1.2)), \
            (name, before, new)
        assert p[f"old_{name}"][row] == series[w][u - 1]
        if u < 4:  # the member trains with its new hyper-parameters from the next update on
            assert series[w][u] == new, (name, series[w], new)
print("population ok")
PY
check "population.h5 and each member's metrics record the rounds" grep -qx "population ok" a.txt
cat a.txt

/usr/bin/python3 "$source_dir/analysis/population.py" runs/a --out population.png >plot.txt 2>&1
check "analysis/population.py draws the members' curves and schedules" png_ok population.png
check "... and prints a line per member" test "$(grep -c '^member [01]: 4 updates, policy lr' plot.txt)" -eq 2
/usr/bin/python3 "$source_dir/analysis/population.py" runs/odd --out x.png >/dev/null 2>&1
check "... a folder without a population is refused with exit 2" test $? -eq 2

run inspect runs/a
check "inspect shows the population" grep -q "population: .*2 members, PBT every 2 updates" <<<"$out"
check "inspect shows each member's metrics" grep -q "member-1, 4 rows: update 4" <<<"$out"
check "inspect shows the exploit steps" grep -q "2 exploit step(s), the last:" <<<"$out"
check "inspect: the checkpoint holds the whole population" grep -q "the whole population" <<<"$out"

# An unconditional population (one rank per member) is ranked by D's mean score of each member's
# samples, higher is better.
mpirun -np 2 "$spiral" train --config tiny.cfg --name free --conditional false --frames 24 \
  --pbt-interval 1 >free.out 2>&1
code=$?
check "an unconditional population of 2 on 2 ranks exits 0" test "$code" -eq 0
[[ $code -eq 0 ]] || tail -n 20 free.out
/usr/bin/python3 - runs/free/population.h5 >free.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
p = h5py.File(sys.argv[1], "r")
assert p.attrs["fitness"].startswith("discriminator_score"), p.attrs["fitness"]
assert list(p["update"][()]) == [0, 0, 1, 2], p["update"][()]
fitness, source = p["member_fitness"][2:], p["source_fitness"][2:]
assert np.all(np.isfinite(fitness)) and np.all(fitness <= source), (fitness, source)
print("scores ok")
PY
check "... the member with the lower D score copies the higher" grep -qx "scores ok" free.txt
cat free.txt

# Refusals: one clear line, exit code 2, no run files.
mpirun -np 3 "$spiral" train --config tiny.cfg --name odd >odd.out 2>odd.err
code=$?
check "--population 2 on 3 ranks is refused with exit 2" test "$code" -eq 2
check "... saying the population must divide the ranks" \
  grep -q "population 2 needs a number of ranks that it divides (each member gets as many), this run has 3" odd.err
check "... before writing anything" test ! -e runs/odd/metrics.h5
# (--mode async populations: population_async_test.sh.)
run train --config tiny.cfg --name async --mode async
check "--population 2 --mode async on one rank is refused with exit 2" test "$code" -eq 2
check "... saying the population must divide the ranks" \
  grep -q "population 2 needs a number of ranks that it divides (each member gets as many), this run has 1" <<<"$err"
run train --config tiny.cfg --name ranges --population 1 --pbt-lr-min 1e-3 --pbt-lr-max 1e-4
check "an inverted lr range is refused with exit 2" test "$code" -eq 2
check "... naming the options" grep -q "pbt-lr-min <= --pbt-lr-max" <<<"$err"
mpirun -np 4 "$spiral" train --config tiny.cfg --name a --population 1 --frames 192 \
  --resume auto >other.out 2>&1
code=$?
check "resuming a population with --population 1 is refused with exit 2" test "$code" -eq 2
check "... saying why" grep -q "is a checkpoint of a population, this run has --population 1" other.out
finish
