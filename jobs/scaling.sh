#!/usr/bin/env bash
# Scaling study: one training job per node (or task) count, then an analysis job that runs once
# they all succeed (--dependency=afterok) and writes the scaling plot, table and curves.
#   strong: the same total work at every count (--frames fixed, --batch split over the ranks)
#   weak:   the same work per rank (--batch per rank fixed, --frames grows with the ranks)
# Usage (jobs run in the current folder; their .out/.err files land there):
#   bash jobs/scaling.sh --kind strong|weak --config FILE [--nodes 1,2,4,8 | --tasks 1,2]
#        [--tasks-per-node N] [--cpus-per-task C] [--time HH:MM:SS] [--name NAME] [--dry-run]
#        [-- SPIRAL TRAIN OPTIONS]
# Needs: as long as one run of FILE at the smallest count (strong) or at every count (weak).
# Writes: runs/<name>-<kind>-n<ranks>-<job id>/ per count and
#   runs/<name>-<kind>-scaling-<first job id>/ (scaling.png, scaling.csv, curves.png).
# Environment: SPIRAL_RUN_DIR (default ./runs), SPIRAL_BINARY; the jobs see the rest.
set -euo pipefail
die() { echo "scaling.sh: $*" >&2; exit 2; }
usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }

kind="" config="" nodes="" tasks="" per_node=1 cpus=2 time_limit=01:00:00 name="" dry_run=0
extra=()
while (($#)); do
  case "$1" in
    --help | -h) usage; exit 0 ;;
    --kind | --config | --nodes | --tasks | --tasks-per-node | --cpus-per-task | --time | --name)
      (($# >= 2)) || die "$1: expected a value"
      case "$1" in
        --kind) kind=$2 ;; --config) config=$2 ;; --nodes) nodes=$2 ;; --tasks) tasks=$2 ;;
        --tasks-per-node) per_node=$2 ;; --cpus-per-task) cpus=$2 ;; --time) time_limit=$2 ;;
        --name) name=$2 ;;
      esac
      shift 2
      ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) die "$1: unknown option (see --help)" ;;
  esac
done
[[ "$kind" == strong || "$kind" == weak ]] || die "--kind: expected strong or weak"
[[ -f "$config" ]] || die "--config ${config:-(missing)}: no such input file"
[[ -n "$nodes" && -n "$tasks" ]] && die "--nodes and --tasks: give one of them"
[[ -z "$nodes" && -z "$tasks" ]] && nodes=1,2,4,8
list=${nodes:-$tasks}
[[ "$list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--nodes/--tasks $list: expected counts like 1,2,4"
[[ "$per_node" =~ ^[1-9][0-9]*$ ]] || die "--tasks-per-node $per_node: expected a positive integer"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task $cpus: expected a positive integer"
name=${name:-$(basename "$config" .cfg)}

# The jobs find slurm/lib.sh through SPIRAL_HOME; they run in this folder (relative paths work).
export SPIRAL_HOME=${SPIRAL_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
spiral=${SPIRAL_BINARY:-$SPIRAL_HOME/build/spiral}
[[ -x "$spiral" ]] || die "$spiral: no spiral program (build it or set SPIRAL_BINARY)"
resolved=$("$spiral" train --config "$config" "${extra[@]}" --print-config) || exit 2
value() { sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" <<<"$resolved" | tail -1; }
batch=$(value batch)
frames=$(value frames)
run_dir=${SPIRAL_RUN_DIR:-$PWD/runs}
extra_has() { local a; for a in "${extra[@]}"; do [[ "$a" == "$1" ]] && return 0; done; return 1; }
extra_has --batch && die "--batch: set it in the input file; the study derives it per count"
extra_has --frames && die "--frames: set it in the input file; the study derives it per count"

submit() {  # submit SBATCH_ARGS...: prints the job id (a dry run prints the command, id dryN)
  if ((dry_run)); then
    echo "sbatch $*" >&2
    echo "dry$((${#ids[@]} + 1))"
  else
    sbatch --parsable "$@" | cut -d';' -f1
  fi
}

ids=()
folders=()
IFS=, read -ra counts <<<"$list"
for count in "${counts[@]}"; do
  if [[ -n "$nodes" ]]; then
    ranks=$((count * per_node))
    layout=(--nodes="$count" --ntasks-per-node="$per_node")
  else
    ranks=$count
    layout=(--ntasks="$count")
  fi
  if [[ "$kind" == strong ]]; then
    ((batch % ranks == 0)) || die "strong scaling: batch $batch is not divisible by $ranks ranks"
    run_batch=$((batch / ranks)) run_frames=$frames
  else
    run_batch=$batch run_frames=$((frames * ranks))
  fi
  job_name=$name-$kind-n$ranks
  id=$(submit --job-name="$job_name" "${layout[@]}" --cpus-per-task="$cpus" --time="$time_limit" \
    "$SPIRAL_HOME/slurm/train.sbatch" --config "$config" --batch "$run_batch" --frames "$run_frames" \
    --run-dir "$run_dir" "${extra[@]}")
  echo "scaling: $ranks rank(s): job $id (batch $run_batch per rank, $run_frames frames)"
  ids+=("$id")
  folders+=("$run_dir/$job_name-$id")
done

out=$run_dir/$name-$kind-scaling-${ids[0]}
dependency=afterok$(printf ':%s' "${ids[@]}")
analysis=$(submit --job-name="$name-$kind-analysis" --dependency="$dependency" \
  "$SPIRAL_HOME/slurm/analysis.sbatch" --kind "$kind" --out "$out" "${folders[@]}")
echo "scaling: analysis job $analysis after ${ids[*]} writes $out"
