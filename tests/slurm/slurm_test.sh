#!/usr/bin/env bash
# End-to-end test of the Slurm support on a private one-node cluster started here (about 2
# minutes): a spiral train job that receives USR1 checkpoints, requeues itself and resumes;
# slurm/train.sbatch trains a tiny conditional MNIST agent; the analysis scripts read
# what it wrote; jobs/scaling.sh runs a strong-scaling study on 1 and 2 tasks (through the
# mpirun launcher) and its analysis job waits for them with --dependency=afterok.
# Skips (exit 77, one line) when the Slurm daemons cannot run on this machine.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/testlib.sh"
source "$source_dir/tests/slurm/cluster.sh"
trap 'stop_cluster; rm -rf "$work"' EXIT
python=/usr/bin/python3
analysis=$source_dir/analysis
export SPIRAL_HOME=$source_dir SPIRAL_BINARY=$spiral SPIRAL_RUN_DIR=$work/runs

[[ $(id -u) -eq 0 ]] || { echo "SKIP: the private Slurm cluster runs its daemons as root"; exit 77; }
start_cluster "$work/cluster" || exit $?
echo "cluster up: $(sinfo -h -N -o '%N %c CPUs %m MB %t')"

cat >tiny.cfg <<CFG
canvas = 64
grid = 8
episode-length = 5
batch = 4
envs = 4
policy-size = small
frames = 200
held-out = 4
eval-every = 5
images-every = 2
progress-every = 0
seed = 3
dataset = mnist:$source_dir/inputs/data/mnist
conditional = true
CFG

# Does this build train on 2 ranks? One update on 2 ranks outside Slurm says.
multi_rank=0
mpirun -np 2 "$spiral" train --config tiny.cfg --run-dir probe-runs --name probe --frames 1 \
  --threads 1 >/dev/null 2>&1 && multi_rank=1

# --- one training job through sbatch (srun launcher) -------------------------------------------
job=$(sbatch --parsable --job-name=tiny --cpus-per-task=1 --time=5 \
  "$source_dir/slurm/train.sbatch" --config tiny.cfg)
check "sbatch prints a job id" grep -Eq '^[0-9]+$' <<<"$job"
# --- the scaling mini-campaign, queued behind it (the mpirun fallback launches it) -------------
SPIRAL_LAUNCHER=mpirun bash "$source_dir/jobs/scaling.sh" --kind strong --config tiny.cfg \
  --tasks 1,2 --cpus-per-task 1 --time 5 --name mini >campaign.txt 2>&1
check "scaling.sh submits three jobs" test "$(grep -c 'job [0-9]' campaign.txt)" -eq 3
read -r n1 n2 <<<"$(sed -n 's/^scaling: [12] rank(s): job \([0-9]*\).*/\1/p' campaign.txt | xargs)"
analysis_job=$(sed -n 's/^scaling: analysis job \([0-9]*\) .*/\1/p' campaign.txt)
study=$(sed -n 's/^scaling: analysis job .* writes //p' campaign.txt)
cat campaign.txt

# --- requeue with spiral itself: USR1, checkpoint, exit 3, requeue, --resume auto ---------------
# (USR1 to the batch shell, as --signal=B:USR1@120 sends it before the time limit.)
resume=$(sbatch --parsable --job-name=resume --cpus-per-task=1 --time=5 \
  "$source_dir/slurm/train.sbatch" --config tiny.cfg --frames 300 --checkpoint-every 0)
for ((i = 0; i < 600; i++)); do grep -qs ' frames 60 ' "resume-$resume.out" && break; sleep 0.2; done
# metrics.h5 reads while the job writes it (SWMR).
"$python" "$analysis/spiral_h5.py" "$work/runs/resume-$resume" >live.txt 2>&1
live_ok=$?
scancel --signal=USR1 --batch "$resume"
# Slurm makes a requeued job eligible again only after a delay (2 minutes); shorten the wait to
# 2 seconds. Not to nothing: slurmd refuses a launch whose credential was issued in the same
# second as the old run's was revoked ("Job credential revoked"), and the job ends FAILED.
for ((i = 0; i < 300; i++)); do
  if [[ "$(squeue -h -j "$resume" -o %r 2>/dev/null)" == BeginTime ]]; then
    sleep 2
    scontrol update JobId="$resume" StartTime=now
    break
  fi
  sleep 0.2
done

# --- two MPI ranks through each launcher slurm/lib.sh picks (an MPI test program) --------------
mpi_program=$(dirname "$spiral")/tests/mpi/allreduce_mpi_test
mpi_job=""
if [[ -x "$mpi_program" ]]; then
  cat >mpi.sbatch <<JOB
#!/bin/bash
source "$source_dir/slurm/lib.sh"
for SPIRAL_LAUNCHER in srun mpirun; do
  spiral_choose_launcher
  "\${SPIRAL_LAUNCH[@]}" "$mpi_program" --expected-ranks=2 >/dev/null 2>&1
  echo "\${SPIRAL_LAUNCH[*]}: exit \$?"
done
JOB
  mpi_job=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=5 --output=mpi.out mpi.sbatch)
fi

# --- a paper job as a one-task array, scaled down from the command line ------------------------
paper=""
if [[ -f "$source_dir/inputs/mnist-conditional.cfg" ]]; then
  ln -s "$source_dir/inputs" inputs  # the job reads inputs/... relative to the submit folder
  paper=$(sbatch --parsable --array=2 --cpus-per-task=1 --time=5 \
    "$source_dir/jobs/paper/mnist-conditional.sbatch" --frames 19 --batch 1 --held-out 2 \
    --policy-size small --grid 8 --progress-every 0)
  paper=${paper%%;*}
else
  echo "NOTE: inputs/mnist-conditional.cfg is not in the tree: paper job not submitted"
fi

state=$(wait_job "$job" 150)
check "training job COMPLETED (got $state)" test "$state" = COMPLETED
check "training job exit code 0:0" grep -q 'ExitCode=0:0' <<<"$(scontrol show job "$job")"
run_folder=$work/runs/tiny-$job
out_file=tiny-$job.out
check "output file per job" test -s "$out_file" -a -f "tiny-$job.err"
check "output echoes the resolved configuration" grep -q '^# spiral train --config FILE reproduces this run' "$out_file"
check "configuration names the run after the job" grep -qx "name = tiny-$job" "$out_file"
check "threads from --cpus-per-task" grep -qx 'threads = 1' "$out_file"
check "launched with srun and PMIx" grep -q 'launch: srun --mpi=pmix' "$out_file"
check "job.txt records 1 rank" grep -qx 'ranks = 1' "$run_folder/job.txt"
[[ "$state" == COMPLETED ]] || { tail -5 "tiny-$job.err"; tail -20 "$work/cluster/log/slurmd.log"; }
# 200 frames at 4 episodes x 5 steps per update: 10 rows.
"$python" - "$run_folder/metrics.h5" >rows.txt 2>&1 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r", swmr=True, libver="latest") as f:
    frames = list(f["frames"][:])
    assert frames == [20 * (i + 1) for i in range(10)], frames
    assert len(f["held_out_mse"]) == 10
print("ok")
PY
check "metrics.h5 has 10 rows" grep -qx ok rows.txt

# --- the analysis scripts on the run the job wrote ----------------------------------------------
"$python" "$analysis/spiral_h5.py" "$run_folder" >summary.txt 2>&1
check "spiral_h5.py summary: 10 rows, 200 frames" grep -q "tiny-$job: 10 rows, frames 200" summary.txt
"$python" "$analysis/curves.py" "$run_folder" "$run_folder/metrics.h5" --labels a,b --out curves.png >/dev/null
check "curves.py writes a real PNG" png_ok curves.png
"$python" "$analysis/grids.py" "$run_folder" --count 3 --out grids.png >grids.txt
check "grids.py montage of 3 of the 5 grids" grep -q 'grids: 3 of 5 grid(s)' grids.txt
check "grids.py writes a real PNG" png_ok grids.png
for script in spiral_h5.py curves.py scaling.py grids.py; do
  "$python" "$analysis/$script" --help >help.txt 2>&1
  check "$script --help" grep -q '^usage:' help.txt
done
for script in spiral_h5.py curves.py scaling.py; do
  "$python" "$analysis/$script" "$work/absent" >/dev/null 2>err.txt
  check "$script: missing file exits 2" test $? -eq 2
  check "$script: missing file, one line" test "$(grep -c '' err.txt)" -eq 1 -a -n "$(grep 'no such file' err.txt)"
  "$python" "$analysis/$script" tiny.cfg >/dev/null 2>err.txt
  check "$script: wrong file exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
done
"$python" "$analysis/grids.py" "$work" >/dev/null 2>err.txt
check "grids.py: no images/ exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1

if [[ -n "$paper" ]]; then
  state=$(wait_job "${paper}_2" 150)
  check "paper array task COMPLETED (got $state)" test "$state" = COMPLETED
  paper_out=$(ls mnist-conditional-*.out 2>/dev/null | head -1)
  check "array task 2 runs seed 2" grep -qx 'seed = 2' "$paper_out"
  check "array task run folder name-ARRAY_TASK" test -s "$work/runs/mnist-conditional-${paper}_2/metrics.h5"
  [[ "$state" == COMPLETED ]] || tail -5 mnist-conditional-*.err
fi

if [[ -n "$resume" ]]; then
  state=$(wait_job "$resume" 150)
  check "spiral requeue: job COMPLETED (got $state)" test "$state" = COMPLETED
  check "spiral_h5.py reads a running job's metrics.h5" test "$live_ok" -eq 0
  check "the live read saw part of the run (3 to 14 rows)" grep -Eq ': ([3-9]|1[0-4]) rows' live.txt
  [[ $live_ok -eq 0 ]] || cat live.txt
  check "spiral requeue: restarted once" grep -q 'Restarts=1 ' <<<"$(scontrol show job "$resume")"
  check "spiral requeue: exit 3 requeued the job" grep -q "requeueing job $resume" "resume-$resume.out"
  check "spiral requeue: second start resumed" grep -q 'launch: .* --resume auto' "resume-$resume.out"
  # The counters continue: 15 updates of 20 frames, each once, in one metrics.h5.
  "$python" - "$work/runs/resume-$resume/metrics.h5" >resume.txt 2>&1 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert list(f["frames"][:]) == [20 * (i + 1) for i in range(15)], list(f["frames"][:])
    assert list(f["step"][:]) == list(range(1, 16)), list(f["step"][:])
print("ok")
PY
  check "spiral requeue: frames and steps continue without gaps or repeats" grep -qx ok resume.txt
  if [[ "$(cat resume.txt)" != ok || "$state" != COMPLETED ]]; then
    cat resume.txt
    tail -n 25 "resume-$resume".{out,err}
    scontrol show job "$resume"
    grep -E "JobId=$resume[^0-9]|job_id=$resume[^0-9]" "$work/cluster/log/"*.log | tail -n 30
  fi
fi

if [[ -n "$mpi_job" ]]; then
  state=$(wait_job "$mpi_job" 120)
  check "2 ranks with srun --mpi=pmix" grep -qx 'srun --mpi=pmix: exit 0' mpi.out
  check "2 ranks with mpirun in the allocation" grep -q '^mpirun -np 2 .*: exit 0' mpi.out
  [[ "$state" == COMPLETED ]] || cat mpi.out
fi

# --- scaling: both counts, then the analysis job ------------------------------------------------
s1=$(wait_job "$n1" 150)
s2=$(wait_job "$n2" 150)
check "1-task scaling job COMPLETED (got $s1)" test "$s1" = COMPLETED
check "mpirun fallback launched it" grep -q 'launch: mpirun -np 1' "mini-strong-n1-$n1.out"
if ((!multi_rank)); then
  check "2-task scaling job FAILED (got $s2)" test "$s2" = FAILED
  # spiral train runs on one rank only in this build: the dependent analysis must never start.
  echo "NOTE: spiral train does not run on 2 ranks in this build; checking afterok on the failure"
  sleep 3
  check "analysis waits: DependencyNeverSatisfied" \
    grep -q 'DependencyNeverSatisfied' <<<"$(squeue -h -j "$analysis_job" -o %r)"
  scancel "$analysis_job"
  analysis_job=$(sbatch --parsable --dependency=afterok:"$n1" \
    "$source_dir/slurm/analysis.sbatch" --kind strong --out "$study" "$work/runs/mini-strong-n1-$n1")
  expected_rows=1
else
  check "2-task scaling job COMPLETED (got $s2)" test "$s2" = COMPLETED
  expected_rows=2
fi
sa=$(wait_job "$analysis_job" 90)
check "analysis job COMPLETED (got $sa)" test "$sa" = COMPLETED
check "scaling.csv: header and $expected_rows row(s)" \
  test "$(grep -c '' "$study/scaling.csv" 2>/dev/null)" -eq $((expected_rows + 1))
check "scaling.csv starts at 1 rank, efficiency 1" grep -q '^1,1,1,1,1,200,.*,1,1$' "$study/scaling.csv"
check "scaling.png is a real PNG" png_ok "$study/scaling.png"
check "curves.png of the study is a real PNG" png_ok "$study/curves.png"
[[ "$sa" == COMPLETED ]] || cat ./*analysis-"$analysis_job".{out,err} 2>/dev/null
cat "$study/scaling.csv" 2>/dev/null

finish
