#!/usr/bin/env bash
# A stand-in for `spiral train` that follows its checkpoint contract, for testing the requeue
# path of slurm/train.sbatch on its own:
#   --print-config        prints name and run-dir (from --name, --run-dir) like spiral does
#   otherwise             records its arguments in <run>/starts.txt and works in 0.2 s steps;
#                         on USR1 it writes <run>/checkpoints/ckpt-<n>.h5 and exits 3;
#                         started with --resume auto it finishes after 5 steps and exits 0.
set -u
name="" run_dir="" print=0 resume=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --name) name=${args[i + 1]} ;;
    --run-dir) run_dir=${args[i + 1]} ;;
    --print-config) print=1 ;;
    --resume) [[ "${args[i + 1]}" == auto ]] && resume=1 ;;
  esac
done
[[ "${1:-}" == train && -n "$name" && -n "$run_dir" ]] ||
  { echo "stand-in: expected train --name N --run-dir D" >&2; exit 2; }
if ((print)); then
  printf 'name = %s\nrun-dir = %s\n' "$name" "$run_dir"
  exit 0
fi
run=$run_dir/$name
mkdir -p "$run/checkpoints"
stop=0
trap 'stop=1' USR1
echo "${args[*]}" >>"$run/starts.txt"  # after the trap: the test signals once this line is there
for ((step = 1; ; step++)); do
  sleep 0.2
  if ((stop)); then
    : >"$run/checkpoints/ckpt-$step.h5"
    echo "USR1 received: checkpointed at step $step"
    exit 3
  fi
  if ((resume && step >= 5)); then
    echo "resumed run done"
    exit 0
  fi
  ((step < 3000)) || exit 1
done
