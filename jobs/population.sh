#!/usr/bin/env bash
# Submits population-based training runs (SPIRAL: 12 agents evolving policy lr and entropy cost;
# SPIRAL++: one discriminator shared by the population): one slurm/population.sbatch job per
# experiment, with --members members of --ranks-per-member ranks each (--mode async: each member's
# ranks take the roles of the default layout, so 3 ranks or more).
# Usage (from the repository root):
#   bash jobs/population.sh [--members 12] [--ranks-per-member 1] [--shared-discriminator true]
#     [--pbt-interval 100] [--mode sync] [--time 24:00:00] [--dry-run] [EXPERIMENT...]
# EXPERIMENT: mnist-conditional mnist-unconditional omniglot-conditional celeba-conditional
#   mujoco-conditional (default: mnist-conditional). Each reads inputs/<EXPERIMENT>.cfg.
# Writes: runs/<EXPERIMENT>-pbt<members>-<job id>/ (metrics.h5 with a group per member,
#   population.h5, checkpoints/ of the whole population); plots: analysis/population.py RUN.
set -euo pipefail
die() { echo "population.sh: $*" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."

members=12 per_member=1 shared=true interval=100 mode=sync time=24:00:00 dry_run=0 experiments=()
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 $2: expected a positive whole number"; }
while (($#)); do
  case "$1" in
    --help | -h) sed -n '2,12s/^# \{0,1\}//p' "jobs/population.sh"; exit 0 ;;
    --members | --ranks-per-member | --shared-discriminator | --pbt-interval | --mode | --time)
      (($# >= 2)) || die "$1: expected a value"
      case "$1" in
        --members) positive "$1" "$2"; members=$2 ;;
        --ranks-per-member) positive "$1" "$2"; per_member=$2 ;;
        --pbt-interval) positive "$1" "$2"; interval=$2 ;;
        --shared-discriminator)
          [[ "$2" == true || "$2" == false ]] || die "--shared-discriminator $2: expected true or false"
          shared=$2 ;;
        --mode) [[ "$2" == sync || "$2" == async ]] || die "--mode $2: expected sync or async"
          mode=$2 ;;
        --time) time=$2 ;;
      esac
      shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -*) die "$1: unknown option (see --help)" ;;
    *) experiments+=("$1"); shift ;;
  esac
done
((members >= 2)) || die "--members $members: a population needs 2 members or more"
[[ "$mode" == sync ]] || ((per_member >= 3)) ||
  die "--mode async --ranks-per-member $per_member: a member needs 3 ranks or more (a learner, a replay holder and an actor)"
((${#experiments[@]})) || experiments=(mnist-conditional)

for experiment in "${experiments[@]}"; do
  [[ -f "inputs/$experiment.cfg" ]] || die "$experiment: no inputs/$experiment.cfg (see --help)"
  command=(sbatch --job-name="$experiment-pbt$members" --ntasks=$((members * per_member))
    --time="$time" slurm/population.sbatch --config "inputs/$experiment.cfg"
    --population "$members" --shared-discriminator "$shared" --pbt-interval "$interval")
  [[ "$mode" == sync ]] || command+=(--mode "$mode")
  if ((dry_run)); then
    echo "${command[*]}"
  else
    echo "population: $experiment: $("${command[@]}")"
  fi
done
