#!/usr/bin/env bash
# The job scripts and shell helpers without a cluster (seconds): dry runs of the campaigns, the
# job file headers, clear errors, and slurm/lib.sh's launcher choice, thread count and signal
# forwarding.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/testlib.sh"
export SPIRAL_HOME=$source_dir SPIRAL_BINARY=$spiral
jobs=$source_dir/jobs
one_line() { test "$(grep -c '' "$1")" -eq 1; }

# --- paper campaign ----------------------------------------------------------------------------
experiments=(mnist-conditional mnist-unconditional omniglot-conditional celeba-conditional
  mujoco-conditional)
bash "$jobs/paper.sh" --dry-run >paper.txt 2>&1
check "paper.sh: 9 submissions (D for all, L2 for the 4 conditional)" test "$(grep -c '^sbatch ' paper.txt)" -eq 9
check "paper.sh: seeds as an array" test "$(grep -c -e '--array=1-5 ' paper.txt)" -eq 9
check "paper.sh: no L2 run without a target" test -z "$(grep 'mnist-unconditional.sbatch --reward l2' paper.txt)"
bash "$jobs/paper.sh" --dry-run --seeds 1-3 mnist-conditional >paper.txt 2>&1
check "paper.sh: --seeds and one experiment" test "$(grep -c -e '--array=1-3 ' paper.txt)" -eq 2
bash "$jobs/paper.sh" --dry-run mnist >/dev/null 2>err.txt
check "paper.sh: unknown experiment exits 2" test $? -eq 2
check "paper.sh: unknown experiment, one line" one_line err.txt
for experiment in "${experiments[@]}"; do
  file=$jobs/paper/$experiment.sbatch
  bash "$file" --help >help.txt
  for field in Reproduces: Needs: Writes: Usage; do
    check "$experiment.sbatch --help says $field" grep -q "^$field" help.txt
  done
  check "$experiment.sbatch reads inputs/$experiment.cfg" grep -q "inputs/$experiment.cfg" "$file"
  check "$experiment.sbatch forwards USR1 to the template" grep -q -e '--signal=B:USR1@' "$file"
  if [[ -f "$source_dir/inputs/$experiment.cfg" ]]; then
    (cd "$source_dir" && "$spiral" train --config "inputs/$experiment.cfg" --print-config) >/dev/null 2>err.txt
    check "inputs/$experiment.cfg is a valid spiral train input" test $? -eq 0
  else
    echo "NOTE: inputs/$experiment.cfg is not in the tree yet"
  fi
done

# --- scaling study -----------------------------------------------------------------------------
cat >study.cfg <<CFG
batch = 8
frames = 400
dataset = mnist:$source_dir/inputs/data/mnist
CFG
bash "$jobs/scaling.sh" --kind strong --config study.cfg --tasks 1,2,4 --dry-run >out.txt 2>cmd.txt
check "strong: batch split over the ranks" grep -q 'batch 8 --frames 400 ' <(sed -n 1p cmd.txt)
check "strong: 4 ranks get batch 2, same frames" grep -q -e '--ntasks=4 .*--batch 2 --frames 400 ' cmd.txt
check "strong: analysis after all three" grep -q -e '--dependency=afterok:dry1:dry2:dry3 ' cmd.txt
check "strong: analysis reads the three run folders" grep -q "study-strong-n4-dry3\$" <(tail -1 cmd.txt)
bash "$jobs/scaling.sh" --kind weak --config study.cfg --nodes 1,2 --tasks-per-node 2 --dry-run >out.txt 2>cmd.txt
check "weak: one sbatch per node count" grep -q -e '--nodes=2 --ntasks-per-node=2 ' cmd.txt
check "weak: frames grow with the ranks" grep -q 'batch 8 --frames 1600 ' cmd.txt
check "weak: analysis --kind weak" grep -q 'analysis.sbatch --kind weak' cmd.txt
bash "$jobs/scaling.sh" --kind strong --config study.cfg --tasks 3 --dry-run >/dev/null 2>err.txt
check "strong: indivisible batch exits 2" test $? -eq 2
check "strong: indivisible batch, one line" grep -q 'not divisible by 3' err.txt
bash "$jobs/scaling.sh" --kind fast --config study.cfg >/dev/null 2>err.txt
check "scaling.sh: bad --kind exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
bash "$jobs/scaling.sh" --kind weak --config absent.cfg >/dev/null 2>err.txt
check "scaling.sh: missing input exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1

# --- population campaign -----------------------------------------------------------------------
bash "$jobs/population.sh" --dry-run >pop.txt 2>&1
check "population.sh: one submission by default" test "$(grep -c '^sbatch ' pop.txt)" -eq 1
check "population.sh: 12 members of 1 rank, shared D" grep -q -e \
  '--ntasks=12 .*slurm/population.sbatch --config inputs/mnist-conditional.cfg --population 12 --shared-discriminator true' pop.txt
bash "$jobs/population.sh" --dry-run --members 4 --ranks-per-member 2 --shared-discriminator false \
  mnist-conditional omniglot-conditional >pop.txt 2>&1
check "population.sh: tasks are members x ranks per member" \
  test "$(grep -c -e '--ntasks=8 .*--population 4 --shared-discriminator false' pop.txt)" -eq 2
bash "$jobs/population.sh" --dry-run --members 2 --ranks-per-member 3 --mode async >pop.txt 2>&1
check "population.sh --mode async: members of 3 ranks in async mode" \
  grep -q -e '--ntasks=6 .*--population 2 .*--mode async' pop.txt
bash "$jobs/population.sh" --dry-run --mode async >/dev/null 2>err.txt
check "population.sh --mode async with members of one rank exits 2 in one line" \
  test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
bash "$jobs/population.sh" --dry-run --members 1 >/dev/null 2>err.txt
check "population.sh: one member exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
bash "$jobs/population.sh" --dry-run nothing >/dev/null 2>err.txt
check "population.sh: unknown experiment exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1
(cd "$source_dir" && "$spiral" train --config inputs/mnist-conditional.cfg --population 12 \
  --print-config) >/dev/null 2>err.txt
check "the campaign's options are valid spiral train input" test $? -eq 0
population_job() {  # population_job TASKS ARGS...: the template in a fake job of TASKS tasks
  local tasks=$1
  shift
  (SLURM_JOB_ID=1 SLURM_NTASKS=$tasks SLURM_SUBMIT_DIR=$source_dir \
    bash "$source_dir/slurm/population.sbatch" "$@")
}
population_job 3 --config "$source_dir/inputs/mnist-conditional.cfg" --population 2 >/dev/null 2>err.txt
check "population.sbatch: members not dividing the tasks exit 2" test $? -eq 2
check "... in one line naming both" grep -q "population 2 does not divide the job's 3 task(s)" err.txt
population_job 4 --config "$source_dir/inputs/mnist-conditional.cfg" --population 2 --mode async \
  >/dev/null 2>err.txt
check "population.sbatch: async members of fewer than 3 tasks exit 2" test $? -eq 2
check "... in one line saying how many tasks" \
  grep -q "population 2 --mode async needs 3 tasks or more per member.*sbatch --ntasks 6 or more" err.txt
population_job 4 --config "$source_dir/inputs/mnist-conditional.cfg" >/dev/null 2>err.txt
check "population.sbatch: a population of one exits 2" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1

# --- templates outside Slurm -------------------------------------------------------------------
for template in train analysis population; do
  bash "$source_dir/slurm/$template.sbatch" --help >help.txt
  check "$template.sbatch --help" grep -q 'Usage' help.txt
done
(unset SLURM_JOB_ID; bash "$source_dir/slurm/train.sbatch" --config x.cfg) >/dev/null 2>err.txt
check "train.sbatch outside a job exits 2" test $? -eq 2
check "train.sbatch outside a job, one line" one_line err.txt
bash "$source_dir/slurm/analysis.sbatch" --kind weak >/dev/null 2>err.txt
check "analysis.sbatch without --out exits 2 in one line" test $? -eq 2 -a "$(grep -c '' err.txt)" -eq 1

# --- slurm/lib.sh ------------------------------------------------------------------------------
lib=$source_dir/slurm/lib.sh
mkdir -p fake
printf '#!/bin/sh\necho "MPI plugin types are..."; printf "\\t%%s\\n" $FAKE_MPI\n' >fake/srun
chmod +x fake/srun
launcher() {  # launcher MPI_PLUGINS: the launch command lib.sh picks when srun lists them
  (PATH=$work/fake:$PATH FAKE_MPI=$1 SLURM_NTASKS=3 bash -c \
    "source '$lib'; spiral_choose_launcher; echo \"\${SPIRAL_LAUNCH[*]}\"")
}
check "srun --mpi=pmix when listed" test "$(launcher 'pmix none pmi2')" = "srun --mpi=pmix"
check "srun --mpi=pmi2 without pmix" test "$(launcher 'none pmi2')" = "srun --mpi=pmi2"
check "mpirun without PMIx/PMI2" grep -q '^mpirun -np 3' <<<"$(launcher 'none')"
check "SPIRAL_LAUNCHER=mpirun" grep -q '^mpirun' <<<"$(SPIRAL_LAUNCHER=mpirun launcher pmix)"
threads() { (bash -c "source '$lib'; spiral_threads"); }
check "threads from SLURM_CPUS_PER_TASK" test "$(SLURM_CPUS_PER_TASK=6 threads)" = 6
check "threads: node CPUs over tasks" \
  test "$(unset SLURM_CPUS_PER_TASK; SLURM_CPUS_ON_NODE=8 SLURM_TASKS_PER_NODE='4(x2)' threads)" = 2
name() { (bash -c "source '$lib'; spiral_run_name"); }
check "run name: job name and id" test "$(SLURM_JOB_NAME=a SLURM_JOB_ID=7 name)" = a-7
check "run name: array job and task" \
  test "$(SLURM_JOB_NAME=a SLURM_JOB_ID=9 SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=2 name)" = a-7_2
# USR1 to the job shell reaches the step, and the step's exit code comes back.
step='trap "echo got USR1; exit 3" USR1; touch ready; while :; do sleep 0.1; done'
bash -c "source '$lib'; spiral_run_step bash -c '$step'; echo code \$?" >step.txt 2>&1 &
shell=$!
for ((i = 0; i < 100; i++)); do [[ -f ready ]] && break; sleep 0.1; done
kill -USR1 "$shell"
wait "$shell"
check "USR1 forwarded to the step" grep -q 'got USR1' step.txt
check "the step's exit code 3 returned" grep -qx 'code 3' step.txt
bash -c "source '$lib'; touch ready2; sleep 1; echo alive" >early.txt 2>&1 &
shell=$!
for ((i = 0; i < 100; i++)); do [[ -f ready2 ]] && break; sleep 0.1; done
kill -USR1 "$shell"
wait "$shell"
check "USR1 before the step: the job shell lives on" grep -qx alive early.txt
check "USR1 before the step: logged" grep -q 'before the run started: ignored' early.txt

finish
