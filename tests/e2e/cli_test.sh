#!/usr/bin/env bash
# End-to-end tests of the `spiral` command line: help, version, errors, configuration round trip.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

run --help
check "--help exits 0" test "$code" -eq 0
for command in train reconstruct sample render bench inspect data; do
  check "--help lists $command" grep -q "^  $command " <<<"$out"
done

run --version
check "--version exits 0" test "$code" -eq 0
check "--version names spiral and commit" grep -Eq '^spiral [0-9]+\.[0-9]+\.[0-9]+ \(commit ' <<<"$out"
check "--version names LibTorch and CUDA" grep -Eq '^LibTorch [0-9]+\.[0-9]+.*, CUDA ' <<<"$out"
check "--version names NCCL" grep -q '^NCCL ' <<<"$out"
check "--version names the MPI library" grep -Eq '^MPI .*(Open MPI|MPICH)' <<<"$out"

run train --help
check "train --help exits 0" test "$code" -eq 0
check "train --help shows defaults and units" \
  grep -q -- '--batch INT.*Episodes per policy update \[episodes\] (default: 64' <<<"$out"
check "train --help shows --duration in seconds" \
  grep -q -- '--duration NUM.*Planned training time.*\[s\] (default: 0' <<<"$out"
check "train --help shows --echo-config" grep -q -- '--echo-config BOOL' <<<"$out"

run train --batchsize 8
check "unknown option exits 2" test "$code" -eq 2
check "unknown option: one line naming it" test "$(lines "$err")" -eq 1
check "unknown option: names the option" grep -q -- "'--batchsize'" <<<"$err"

run train --batch 0
check "out of range exits 2" test "$code" -eq 2
check "out of range: one clear line" test "$err" = \
  "spiral train: error: --batch: expected an integer in [1, 65536], got '0'"

run train --duration -5
check "negative duration exits 2" test "$code" -eq 2
check "negative duration: one clear line" test "$err" = \
  "spiral train: error: --duration: expected a number in [0, 1e+09], got '-5'"

run train --config "$work/absent.cfg"
check "missing config file exits 2" test "$code" -eq 2
check "missing config file: one line naming it" test "$(lines "$err")" -eq 1
for not_a_file in /dev/zero "$work"; do
  run train --config "$not_a_file"
  check "--config $not_a_file: exit 2 at once" test "$code" -eq 2
  check "--config $not_a_file: one line naming it" \
    test "$(lines "$err")" -eq 1 -a -n "$(grep -F -- "--config: $not_a_file: " <<<"$err")"
done

run frobnicate
check "unknown command exits 2" test "$code" -eq 2
check "unknown command is named" grep -q "unknown command 'frobnicate'" <<<"$err"

run inspect
check "inspect without a run folder exits 2" test "$code" -eq 2
check "inspect without a run folder: one line asks for it" \
  test "$(lines "$err")" -eq 1 -a -n "$(grep 'expected a run folder' <<<"$err")"

leftovers=$(find "$work" -mindepth 1 ! -name '.out' ! -name '.err' | wc -l)
check "failed commands wrote nothing" test "$leftovers" -eq 0

run train --batch 8 --policy-lr 3e-05 --mode async --print-config
check "print-config exits 0" test "$code" -eq 0
printf '%s\n' "$out" >first.cfg
run train --config first.cfg --print-config
printf '%s\n' "$out" >second.cfg
check "written config reads back identically" cmp -s first.cfg second.cfg
check "written config keeps overrides" grep -qx 'batch = 8' second.cfg
check "written config keeps real values" grep -qx 'policy-lr = 3e-05' second.cfg
run train --config first.cfg --batch 9 --print-config
check "command line beats the config file" grep -qx 'batch = 9' <<<"$out"

for file in "$source_dir"/inputs/*.cfg; do
  run train --config "$file" --print-config
  check "$(basename "$file") is a valid input file" test "$code" -eq 0
done
# Each adversarial file is its L2 file with another reward: the rest resolves alike.
reward_free() { grep -v -e '^name = ' -e '^reward' -e '^l2-form' -e '^discriminator-' \
  -e '^mismatched-fakes' <<<"$1"; }
for pair in quickstart:quickstart-adversarial omniglot-small:omniglot-adversarial; do
  run train --config "$source_dir/inputs/${pair%%:*}.cfg" --print-config
  plain=$(reward_free "$out")
  run train --config "$source_dir/inputs/${pair##*:}.cfg" --print-config
  check "${pair##*:}.cfg: ${pair%%:*}.cfg's settings but the reward's" \
    test "$(reward_free "$out")" = "$plain" -a -n "$plain"
  check "${pair##*:}.cfg: a D reward" grep -qx 'reward = discriminator' <<<"$out"
done

# Rank 0 alone prints a short summary at start; the whole configuration only with --echo-config
# true. (Runs of one update of a small painter.)
tiny_run=(--dataset "mnist:$source_dir/inputs/data/mnist" --policy-size small --episode-length 3
  --held-out 4 --frames 1 --threads 1)
mpirun -np 2 --oversubscribe "$spiral" train --batch 8 "${tiny_run[@]}" >mpi.out 2>mpi.err
check "train under mpirun prints the summary once" \
  test "$(grep -c 'I full configuration: runs/quickstart/config.cfg' mpi.out)" -eq 1
check "train does not echo the configuration by default" \
  test -z "$(grep -e '^batch = ' -e '^# spiral train' mpi.out)"
check "train log lines carry elapsed time, rank and role" \
  grep -Eq '^\[ *[0-9]+\.[0-9]{3}s r0 main\] I spiral train on 2 rank' mpi.out
mpirun -np 2 --oversubscribe "$spiral" train --batch 8 "${tiny_run[@]}" --name echo \
  --echo-config true >echo.out 2>echo.err
check "--echo-config true: the configuration once" test "$(grep -cx 'batch = 8' echo.out)" -eq 1
check "--echo-config true: as an input file" \
  grep -qx '# spiral train --config FILE reproduces this run' echo.out

finish
