# A private one-node Slurm cluster for tests (sourced). Everything lives under one folder:
# a munge key and socket, slurm.conf, state, spool and logs. Daemons run as root and are
# stopped by stop_cluster (call it from an EXIT trap).
#   start_cluster DIR   writes DIR/slurm.conf, starts munged, slurmctld, slurmd; exports SLURM_CONF
#                       returns 77 (with a one-line reason on stderr) when the daemons cannot run
#   stop_cluster        stops the daemons started by start_cluster, by process id
#   wait_job ID SECONDS waits until job ID has ended (prints its final state) or times out

cluster_pids=()

cluster_skip() {  # cluster_skip REASON: the one line a skipped test prints
  echo "SKIP: no private Slurm cluster on this machine: $*" >&2
  return 77
}

# Two adjacent TCP ports nobody listens on, from a fixed list (so logs are predictable).
cluster_listening_ports() {  # decimal ports in LISTEN state (from /proc: no extra tools)
  local hex
  for hex in $(awk 'FNR > 1 && $4 == "0A" { sub(/.*:/, "", $2); print $2 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    echo $((16#$hex))
  done
}
cluster_ports() {
  local port listening
  listening=$(cluster_listening_ports)
  for port in 46817 46827 46837 46847 46857; do
    if ! grep -qx "$port" <<<"$listening" && ! grep -qx "$((port + 1))" <<<"$listening"; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

cluster_write_conf() {  # cluster_write_conf DIR HOST PORT
  local dir=$1 host=$2 port=$3 cpus memory
  cpus=$(nproc)
  memory=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  cat >"$dir/slurm.conf" <<CONF
# One-node test cluster on this machine (written by tests/slurm/cluster.sh).
ClusterName=spiraltest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
ReturnToService=2
MinJobAge=3600
KillWait=5
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

start_cluster() {
  local dir=$1 host port i
  for program in munged slurmctld slurmd sbatch scontrol srun; do
    command -v "$program" >/dev/null || { cluster_skip "$program not installed"; return; }
  done
  host=$(uname -n)
  host=${host%%.*}
  port=$(cluster_ports) || { cluster_skip "no free port pair"; return; }
  mkdir -p "$dir"/{munge,state,spool,run,log}
  chmod 700 "$dir/munge"
  head -c 1024 /dev/urandom >"$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" >>"$dir/log/munged.log" 2>&1 ||
    { cluster_skip "munged did not start: $(tail -1 "$dir/log/munged.log")"; return; }
  cluster_pids+=("$(cat "$dir/munge/munged.pid")")
  cluster_write_conf "$dir" "$host" "$port"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.out" 2>&1 &
  cluster_pids+=($!)
  slurmd -D -f "$SLURM_CONF" -N "$host" >>"$dir/log/slurmd.out" 2>&1 &
  cluster_pids+=($!)
  for ((i = 0; i < 60; i++)); do
    if [[ "$(sinfo -h -N -o %t 2>/dev/null)" == idle ]]; then return 0; fi
    for pid in "${cluster_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null ||
        { cluster_skip "a daemon exited: $(tail -1 "$dir"/log/slurm*.log 2>/dev/null)"; return; }
    done
    sleep 0.5
  done
  cluster_skip "node not idle after 30 s: $(sinfo -h -N -o '%t %E' 2>&1 | head -1)"
}

stop_cluster() {
  local pid
  for pid in "${cluster_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${cluster_pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
  cluster_pids=()
}

job_state() {  # job_state ID: the job's state word (PENDING, RUNNING, COMPLETED, ...)
  scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1
}

wait_job() {  # wait_job ID SECONDS: prints the final state; returns 1 on timeout
  local id=$1 deadline=$((SECONDS + $2)) state
  while ((SECONDS < deadline)); do
    state=$(job_state "$id")
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        echo "$state"
        return 0
        ;;
    esac
    sleep 1
  done
  echo "TIMEOUT_WAITING($state)"
  return 1
}
