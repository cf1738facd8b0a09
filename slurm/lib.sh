# Shell helpers the sbatch templates in slurm/ share (sourced inside a job).
# Environment they read:
#   SPIRAL_HOME      repository root (default: the folder sbatch was called from)
#   SPIRAL_BINARY    the spiral program (default: $SPIRAL_HOME/build/spiral, else spiral on PATH)
#   SPIRAL_RUN_DIR   folder that holds run folders (default: $SPIRAL_HOME/runs)
#   SPIRAL_LAUNCHER  srun or mpirun (default: srun when the cluster has a PMIx/PMI2 plugin)
# and Slurm's own SLURM_* variables for nodes, tasks, CPUs and GPUs.

spiral_die() {  # spiral_die MESSAGE: one line on stderr, exit 2 (a mistake the user can fix)
  echo "spiral job: $*" >&2
  exit 2
}

spiral_log() { echo "[spiral job $(date -u +%FT%TZ)] $*"; }

spiral_binary() {  # prints the spiral program to run
  if [[ -n "${SPIRAL_BINARY:-}" ]]; then
    [[ -x "$SPIRAL_BINARY" ]] || spiral_die "SPIRAL_BINARY=$SPIRAL_BINARY is not an executable"
    echo "$SPIRAL_BINARY"
  elif [[ -x "$SPIRAL_HOME/build/spiral" ]]; then
    echo "$SPIRAL_HOME/build/spiral"
  elif command -v spiral >/dev/null; then
    command -v spiral
  else
    spiral_die "no spiral program: build it (bash scripts/build.sh) or set SPIRAL_BINARY"
  fi
}

spiral_run_name() {  # job name + job id, stable across requeue; array tasks: name-ARRAYID_TASK
  if [[ -n "${SLURM_ARRAY_JOB_ID:-}" && -n "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    echo "${SLURM_JOB_NAME}-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  else
    echo "${SLURM_JOB_NAME}-${SLURM_JOB_ID}"
  fi
}

spiral_threads() {  # LibTorch threads per rank: the CPUs Slurm gave each task
  if [[ -n "${SLURM_CPUS_PER_TASK:-}" ]]; then
    echo "$SLURM_CPUS_PER_TASK"
  else
    local per_node=${SLURM_NTASKS_PER_NODE:-${SLURM_TASKS_PER_NODE:-1}}
    per_node=${per_node%%[^0-9]*}
    local cpus=${SLURM_CPUS_ON_NODE:-1}
    echo $((cpus / ${per_node:-1} > 0 ? cpus / ${per_node:-1} : 1))
  fi
}

spiral_has_option() {  # spiral_has_option --NAME ARGS...: true when ARGS set --NAME
  local name=$1 arg
  shift
  for arg in "$@"; do
    [[ "$arg" == "$name" || "$arg" == "$name="* ]] && return 0
  done
  return 1
}

spiral_ini_value() {  # spiral_ini_value KEY < INI: the value of KEY in a resolved configuration
  sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" | tail -1
}

spiral_has_checkpoints() {  # spiral_has_checkpoints RUN_FOLDER
  compgen -G "$1/checkpoints/ckpt-*.h5" >/dev/null
}

# Sets SPIRAL_LAUNCH (an array): how to start one process per Slurm task.
spiral_choose_launcher() {
  local choice=${SPIRAL_LAUNCHER:-} plugins
  if [[ -z "$choice" ]]; then
    choice=mpirun
    command -v srun >/dev/null && choice=srun
  fi
  case "$choice" in
    srun)
      plugins=$(srun --mpi=list 2>&1)
      if grep -qw pmix <<<"$plugins"; then
        SPIRAL_LAUNCH=(srun --mpi=pmix)
      elif grep -qw pmi2 <<<"$plugins"; then
        SPIRAL_LAUNCH=(srun --mpi=pmi2)
      elif [[ -n "${SPIRAL_LAUNCHER:-}" ]]; then
        SPIRAL_LAUNCH=(srun)
      else
        SPIRAL_LAUNCH=(mpirun)
      fi
      ;;
    mpirun) SPIRAL_LAUNCH=(mpirun) ;;
    *) spiral_die "SPIRAL_LAUNCHER=$choice: expected srun or mpirun" ;;
  esac
  if [[ "${SPIRAL_LAUNCH[0]}" == mpirun ]]; then
    command -v mpirun >/dev/null || spiral_die "neither srun with PMIx/PMI2 nor mpirun found"
    # Inside an allocation Open MPI's mpirun reads the node list and task count from Slurm.
    SPIRAL_LAUNCH=(mpirun -np "${SLURM_NTASKS:-1}")
    [[ $(id -u) -eq 0 ]] && SPIRAL_LAUNCH+=(--allow-run-as-root)
  fi
}

# Writes RUN_FOLDER/job.txt: what the job ran on (scaling.py reads ranks and cores from it).
spiral_write_job_file() {  # spiral_write_job_file RUN_FOLDER THREADS
  mkdir -p "$1"
  cat >"$1/job.txt" <<JOB
job_id = ${SLURM_JOB_ID:-}
job_name = ${SLURM_JOB_NAME:-}
array_task = ${SLURM_ARRAY_TASK_ID:-}
restart_count = ${SLURM_RESTART_COUNT:-0}
nodes = ${SLURM_JOB_NUM_NODES:-1}
ranks = ${SLURM_NTASKS:-1}
threads = $2
gpus = ${SLURM_GPUS_ON_NODE:-0}
launcher = ${SPIRAL_LAUNCH[*]}
JOB
}

# Runs a command (the job step) in the background and waits for it. USR1 (sent by Slurm before
# the time limit, see --signal=B:USR1@SECONDS) is forwarded to the step, which checkpoints and
# exits with code 3. Returns the step's exit code.
# USR1 before the step starts is logged and ignored (bash would otherwise end the job shell).
spiral_step_pid=""
spiral_forward_signal() {
  if [[ -z "$spiral_step_pid" ]]; then
    spiral_log "USR1 received before the run started: ignored"
    return
  fi
  spiral_log "USR1 received: asking the run to checkpoint and stop"
  kill -USR1 "$spiral_step_pid" 2>/dev/null
}
trap spiral_forward_signal USR1
spiral_run_step() {
  "$@" &
  spiral_step_pid=$!
  # `wait` returns early when a trapped signal arrives; wait again until the step has ended.
  while kill -0 "$spiral_step_pid" 2>/dev/null; do wait "$spiral_step_pid"; done
  wait "$spiral_step_pid"
  local code=$?
  spiral_step_pid=""
  return "$code"
}

# Exit code 3 of spiral train: "checkpointed, requeue me".
spiral_requeue_or_exit() {  # spiral_requeue_or_exit CODE
  local code=$1
  if ((code == 3)); then
    spiral_log "run checkpointed (exit 3): requeueing job ${SLURM_JOB_ID}"
    scontrol requeue "$SLURM_JOB_ID" || spiral_die "scontrol requeue $SLURM_JOB_ID failed"
    exit 0
  fi
  spiral_log "spiral train exited with code $code"
  exit "$code"
}
