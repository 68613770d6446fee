#!/usr/bin/env bash
# Slurm.Cluster: the throwaway cluster of cluster.sh works at all: it starts, runs a 4-task job
# array (each task writes its index to a file), and stops. Diagnoses cluster problems apart from
# nibble's (Slurm.SweepJobArray runs on the same cluster). Exit 77 (skip) when not root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cluster.sh
source "$here/cluster.sh"

t0=$(slurm_now)
slurm_cluster_start
t1=$(slurm_now)

out="$SLURM_CLUSTER_DIR/work/array"
mkdir -p "$out"
# Each task publishes its file whole (write, then rename), as the sweep's points are.
job=$(sbatch --parsable --array=0-3 --output="$out/%A_%a.log" --job-name=nibble-cluster-check \
        --wrap "echo \$SLURM_ARRAY_TASK_ID > $out/.t\$SLURM_ARRAY_TASK_ID && mv $out/.t\$SLURM_ARRAY_TASK_ID $out/task\$SLURM_ARRAY_TASK_ID.txt") ||
  slurm_fail "sbatch failed"
[[ "$job" =~ ^[0-9]+$ ]] || slurm_fail "sbatch --parsable printed '$job', not a job id"
echo "submitted job array $job (4 tasks)"
slurm_wait_gone "$job" 60
t2=$(slurm_now)

states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | sed 's/^ *//')
[[ "$states" == "4 JobState=COMPLETED" ]] ||
  slurm_fail "job $job: expected 4 tasks COMPLETED, scontrol says: $states"
for i in 0 1 2 3; do
  [[ -f "$out/task$i.txt" ]] || slurm_fail "task $i wrote no $out/task$i.txt"
  [[ "$(cat "$out/task$i.txt")" == "$i" ]] ||
    slurm_fail "task $i wrote '$(cat "$out/task$i.txt")', not $i"
  [[ -f "$out/${job}_$i.log" ]] || slurm_fail "no task log $out/${job}_$i.log"
done

slurm_cluster_stop
t3=$(slurm_now)
echo "Slurm.Cluster: start $(slurm_elapsed "$t0" "$t1") s, 4-task array $(slurm_elapsed "$t1" "$t2") s," \
     "stop $(slurm_elapsed "$t2" "$t3") s, total $(slurm_elapsed "$t0" "$t3") s"
echo "PASS"
