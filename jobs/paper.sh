#!/usr/bin/env bash
# Submits the paper reproduction campaign: each experiment in jobs/paper/ as a job array over
# seeds, with the discriminator reward and, for conditional agents, the L2 baseline reward.
# Usage (from the repository root):
#   bash jobs/paper.sh [--seeds 1-5] [--dry-run] [EXPERIMENT...]
# EXPERIMENT: mnist-conditional mnist-unconditional omniglot-conditional celeba-conditional
#   mujoco-conditional (default: all). Each reads inputs/<EXPERIMENT>.cfg.
# Needs and writes: see the header of each jobs/paper/<EXPERIMENT>.sbatch; job names are
#   <EXPERIMENT>-<reward>, run folders runs/<EXPERIMENT>-<reward>-<array job id>_<seed>/.
set -euo pipefail
die() { echo "paper.sh: $*" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seeds=1-5 dry_run=0 experiments=()
while (($#)); do
  case "$1" in
    --help | -h) sed -n '2,9s/^# \{0,1\}//p' "jobs/paper.sh"; exit 0 ;;
    --seeds) (($# >= 2)) || die "--seeds: expected a Slurm array range like 1-5"; seeds=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -*) die "$1: unknown option (see --help)" ;;
    *) experiments+=("$1"); shift ;;
  esac
done
[[ "$seeds" =~ ^[0-9]+([-,:][0-9]+)*$ ]] || die "--seeds $seeds: expected a Slurm array range like 1-5"
((${#experiments[@]})) || experiments=(mnist-conditional mnist-unconditional omniglot-conditional
  celeba-conditional mujoco-conditional)

for experiment in "${experiments[@]}"; do
  job=jobs/paper/$experiment.sbatch
  [[ -f "$job" ]] || die "$experiment: no $job (see --help for the experiments)"
  ((dry_run)) || [[ -f "inputs/$experiment.cfg" ]] || die "$experiment: no inputs/$experiment.cfg"
  rewards=(discriminator)
  [[ "$experiment" == *-conditional ]] && rewards+=(l2)
  for reward in "${rewards[@]}"; do
    command=(sbatch --job-name="$experiment-$reward" --array="$seeds" "$job" --reward "$reward")
    if ((dry_run)); then
      echo "${command[*]}"
    else
      echo "paper: $experiment-$reward: $("${command[@]}")"
    fi
  done
done
