#!/usr/bin/env bash
# End-to-end test of resuming `spiral train --population 2` (--mode sync, 4 MPI ranks,
# oversubscribed): 4 updates in one go, and 2 then 2 more resumed from the checkpoint written just
# after a PBT round, give the same networks, metrics of both members and PBT events, bit for bit;
# with one shared discriminator and with one per member.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

tiny_config batch=2 envs=2 threads=1 eval-every=2 images-every=100 checkpoint-every=0 \
  population=2 pbt-interval=2

# Exactness: 4 updates in one go, and 2 then 2 more resumed from the checkpoint (after a PBT
# round), give the same networks, metrics of both members and PBT events; with a discriminator
# per member, which the exploit step copies too.
for d in true false; do
  train_on 4 "whole-$d" --frames 96 --shared-discriminator "$d"
  train_on 4 "split-$d" --frames 48 --shared-discriminator "$d"
  train_on 4 "split-$d" --frames 96 --shared-discriminator "$d" --resume auto
  check "--shared-discriminator $d: the split run resumed" \
    grep -q "resumed from .*ckpt-00000002.h5" "split-$d.out"
  /usr/bin/python3 - "whole-$d" "split-$d" >"exact-$d.txt" 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (f"runs/{n}" for n in sys.argv[1:])
ca = h5py.File(f"{a}/checkpoints/ckpt-00000004.h5", "r")
cb = h5py.File(f"{b}/checkpoints/ckpt-00000004.h5", "r")
assert ca["population/pbt"][()].tobytes() == cb["population/pbt"][()].tobytes()
for group in ("policy", "discriminator"):
    names = []
    ca[group].visititems(lambda n, i: names.append(n) if isinstance(i, h5py.Dataset) else None)
    for name in names:
        assert np.array_equal(ca[group][name][()], cb[group][name][()]), "differs: " + name
ma, mb = h5py.File(f"{a}/metrics.h5", "r"), h5py.File(f"{b}/metrics.h5", "r")
for k in (0, 1):
    for name in ("step", "policy_loss", "value_loss", "discriminator_loss", "reward", "grad_norm",
                 "held_out_mse", "policy_lr", "entropy_cost"):
        x, y = ma[f"member-{k}/{name}"][()], mb[f"member-{k}/{name}"][()]
        assert np.array_equal(x, y, equal_nan=True), ("differs", k, name, x, y)
pa, pb = h5py.File(f"{a}/population.h5", "r"), h5py.File(f"{b}/population.h5", "r")
for name in pa:
    assert np.array_equal(pa[name][()], pb[name][()], equal_nan=True), ("differs", name)
print("identical")
PY
  check "--shared-discriminator $d: 2 + 2 resumed updates equal 4 in one go" \
    grep -qx identical "exact-$d.txt"
  grep -qx identical "exact-$d.txt" || { cat "exact-$d.txt"; tail -n 5 "split-$d.out"; }
done
check "a discriminator each: the copy includes D" \
  grep -q "holds member [01]'s policy, discriminator and their Adam states" whole-false.out

finish
