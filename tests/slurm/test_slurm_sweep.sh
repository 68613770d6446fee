#!/usr/bin/env bash
# Slurm.SweepJobArray: `nibble sweep` on a real (throwaway, single-node) Slurm cluster, end to end.
#
#   1. local:    nibble sweep sweep60.yaml -o L --jobs 2          (60 points, the reference)
#   2. submit:   nibble sweep sweep60.yaml -o S --slurm --submit --throttle 2 --chunk-size 12
#                -> a 5-task job array (#SBATCH --array=0-4%2), never more than 2 tasks running
#   3. cancel:   once task 2 runs and has published a point, scancel JOB_2; the others complete
#   4. merge:    nibble sweep merge S fails (exit 1, one stderr line) and writes no sweep.csv
#   5. resubmit: the same --slurm --submit again -> a new job array of task 2 only; the points
#                task 2 published before the cancel are kept, not run again
#   6. merge:    exit 0; S/sweep.csv and S/sweep.json byte-identical to L's (>= 50 data rows)
#   7. again:    a third --submit finds nothing left: no job id on stdout, exit 0
#
# Usage: test_slurm_sweep.sh NIBBLE_BINARY SOURCE_DIR. Needs root (else exit 77, a skip), Debian's
# slurm-wlm and munge (cluster.sh). About 30-60 s on 2 cores.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 NIBBLE_BINARY SOURCE_DIR" >&2
  exit 2
fi
nibble=$(realpath "$1")
source_dir=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spec="$source_dir/tests/slurm/sweep60.yaml"
chunk_size=12  # 60 points -> 5 array tasks of 12 (one row count each, sweep60.yaml)
throttle=2
cancel_task=2  # an array task that starts only once a throttled slot frees

# shellcheck source=cluster.sh
source "$here/cluster.sh"

[[ -x "$nibble" ]] || slurm_fail "no nibble executable at $nibble"
[[ -f "$spec" ]] || slurm_fail "no sweep spec at $spec"
"$nibble" sweep --help >/dev/null 2>&1 || slurm_fail "$nibble has no working 'sweep' command"

# Every wait and every nibble command is bounded, and all of them together by a budget that ends
# the test (cluster stopped) well before ctest's TIMEOUT, which may kill this script alone.
budget=220
deadline=$((SECONDS + budget))
within() {  # within SECS: SECS, or what is left of the budget if less (at least 1)
  local left=$((deadline - SECONDS))
  ((left < $1)) || left=$1
  ((left > 1)) || left=1
  echo "$left"
}
nib() {  # nib SECS ARGS...: nibble ARGS, killed after SECS (exit 124)
  local secs=$1
  shift
  slurm_run timeout --kill-after=5 "$(within "$secs")" "$nibble" "$@"
}
status() {  # status RC: "exit RC", or "timed out"
  if [[ $1 -eq 124 || $1 -eq 137 ]]; then echo "timed out (exit $1)"; else echo "exit $1"; fi
}

declare -a phase_names=() phase_secs=()
phase_start=""
phase() {  # phase NAME: ends the running phase, starts NAME
  local now
  now=$(slurm_now)
  if [[ -n "$phase_start" ]]; then
    phase_secs+=("$(slurm_elapsed "$phase_start" "$now")")
  fi
  phase_start=$now
  [[ -n "${1:-}" ]] && phase_names+=("$1")
  return 0
}
print_phases() {
  local i
  echo "phases:"
  for i in "${!phase_secs[@]}"; do
    printf '  %-10s %6s s\n' "${phase_names[$i]}" "${phase_secs[$i]}"
  done
}

# The lines `scontrol -o show job ID` gives for a job array, one per task: "TASK STATE".
task_states() {
  scontrol -o show job "$1" |
    sed -nE 's/.*ArrayTaskId=([0-9]+) .*JobState=([A-Z_]+) .*/\1 \2/p' | sort -n
}

t_begin=$(slurm_now)
phase cluster
slurm_cluster_start
work="$SLURM_CLUSTER_DIR/work"
L="$work/local"
S="$work/slurm"

# 1. The reference: the same sweep, run locally.
phase local
rc=0
nib 120 sweep "$spec" -o "$L" --jobs 2 --no-plots --quiet || rc=$?
[[ $rc -eq 0 ]] || slurm_fail "local sweep: $(status $rc), expected exit 0"
[[ -f "$L/sweep.csv" && -f "$L/sweep.json" ]] || slurm_fail "local sweep wrote no sweep.csv/json"
rows=$(($(wc -l <"$L/sweep.csv") - 1))
((rows >= 50)) || slurm_fail "local sweep.csv has $rows data rows, expected at least 50"
echo "local sweep: $rows points"

# 2. The job array.
phase array  # submission until the cancel
submit() {  # submit OUT ERR: nibble sweep --slurm --submit; returns its exit status
  local rc=0
  nib 60 sweep "$spec" -o "$S" --slurm --submit --throttle "$throttle" \
    --chunk-size "$chunk_size" --no-plots >"$1" 2>"$2" || rc=$?
  return $rc
}
rc=0
submit "$work/submit1.out" "$work/submit1.err" || rc=$?
[[ $rc -eq 0 ]] || slurm_fail "nibble sweep --slurm --submit: $(status $rc): $(cat "$work/submit1.err")"
job=$(cat "$work/submit1.out")
[[ "$job" =~ ^[0-9]+$ ]] ||
  slurm_fail "--submit printed '$job' on stdout, not a job id alone; stderr: $(cat "$work/submit1.err")"
array_line=$(grep '^#SBATCH --array=' "$S/sweep.sbatch") || slurm_fail "no #SBATCH --array in $S/sweep.sbatch"
[[ "$array_line" =~ ^#SBATCH\ --array=0-([0-9]+)%${throttle}$ ]] ||
  slurm_fail "sweep.sbatch has '$array_line', expected #SBATCH --array=0-N%$throttle"
tasks=$((BASH_REMATCH[1] + 1))
((tasks >= 5)) || slurm_fail "$tasks array tasks, expected at least 5"
((cancel_task < tasks)) || slurm_fail "task $cancel_task does not exist ($tasks tasks)"
echo "submitted job array $job: $tasks tasks, at most $throttle at once"

# The ids of the points of task $cancel_task: plan.json lists the points in order, chunk i holds
# points [i*chunk_size, (i+1)*chunk_size).
mapfile -t ids < <(grep -oE '"id": *"[0-9a-f]+"' "$S/plan.json" | sed -E 's/.*"([0-9a-f]+)"$/\1/')
((${#ids[@]} == rows)) || slurm_fail "plan.json lists ${#ids[@]} points, the local sweep $rows"
cancel_ids=("${ids[@]:cancel_task*chunk_size:chunk_size}")

# 3. Cancel task $cancel_task once it runs and has published its first point, before it ends.
published() {  # the points of task $cancel_task published so far
  local id n=0
  for id in "${cancel_ids[@]}"; do
    [[ -d "$S/points/$id" ]] && n=$((n + 1))
  done
  echo $n
}
max_running=0
end=$((SECONDS + $(within 120)))
while :; do
  if ! queue=$(squeue -h -r -j "$job" -o '%i %T' 2>&1); then
    ((SECONDS < end)) || slurm_fail "squeue fails: $queue"
    sleep 0.1
    continue
  fi
  running=$(grep -c ' RUNNING$' <<<"$queue" || true)
  ((running > max_running)) && max_running=$running
  if grep -qx "${job}_${cancel_task} RUNNING" <<<"$queue"; then
    n=$(published)
    if ((n > 0)); then
      scancel "${job}_${cancel_task}" || slurm_fail "scancel ${job}_${cancel_task} failed"
      break
    fi
  elif ! grep -q "^${job}_${cancel_task} " <<<"$queue" &&
       ! grep -qE "^${job}_\[" <<<"$queue"; then
    # Neither listed nor among the pending tasks: it ran to its end before we could cancel it.
    slurm_fail "task ${job}_${cancel_task} ended before it could be cancelled (its points are" \
               "too quick: a heavier workload in sweep60.yaml would do); queue: $queue"
  fi
  ((SECONDS < end)) || slurm_fail "task ${job}_${cancel_task} not running (with a point published) in time"
  sleep 0.1
done
echo "cancelled task ${job}_${cancel_task} after $n of its ${#cancel_ids[@]} points"
# The points it published before the cancel must survive the resubmission untouched.
declare -A kept_inode=()
for id in "${cancel_ids[@]}"; do
  [[ -d "$S/points/$id" ]] && kept_inode[$id]=$(stat -c %i "$S/points/$id")
done

phase drain
end=$((SECONDS + $(within 180)))
while [[ -n "$(squeue -h -j "$job" 2>/dev/null)" ]]; do
  queue=$(squeue -h -r -j "$job" -o '%i %T' 2>/dev/null || true)
  running=$(grep -c ' RUNNING$' <<<"$queue" || true)
  ((running > max_running)) && max_running=$running
  ((SECONDS < end)) || slurm_fail "job $job still in the queue $(within 180) s after the cancel"
  sleep 0.5
done
((max_running <= throttle)) || slurm_fail "$max_running tasks ran at once, above --throttle $throttle"
expected=""
for ((i = 0; i < tasks; i++)); do
  if ((i == cancel_task)); then expected+="$i CANCELLED"$'\n'; else expected+="$i COMPLETED"$'\n'; fi
done
states=$(task_states "$job")
[[ "$states" == "${expected%$'\n'}" ]] ||
  slurm_fail "job $job: task states (task state):"$'\n'"$states"$'\n'"expected:"$'\n'"$expected"
for ((i = 0; i < tasks; i++)); do
  [[ -f "$S/slurm/${job}_$i.out" ]] || slurm_fail "no task log $S/slurm/${job}_$i.out"
done
n=$(published)
((n < ${#cancel_ids[@]})) ||
  slurm_fail "task $cancel_task published all its points despite the cancel: nothing left to resubmit"
# A point whose `nibble run` the cancel killed is unfinished, not failed: resubmitting reruns it.
if [[ -d "$S/failed" && -n "$(ls -A "$S/failed")" ]]; then
  slurm_fail "after the cancel, points are recorded as failed (so no resubmission would rerun" \
             "them): $(head -n 3 "$S"/failed/* 2>&1)"
fi
# Published points only: a killed run leaves a staging folder, points/.ID.partial-PID.
finished=$(find "$S/points" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
echo "job $job done: $finished of $rows points finished, task $cancel_task cancelled after $n"
((finished == rows - ${#cancel_ids[@]} + n)) ||
  slurm_fail "$finished points finished, expected $((rows - ${#cancel_ids[@]} + n))"

# 4. merge refuses an unfinished sweep and writes nothing.
phase merge1
rc=0
nib 60 sweep merge "$S" --no-plots >"$work/merge1.out" 2>"$work/merge1.err" || rc=$?
[[ $rc -eq 1 ]] ||
  slurm_fail "merge of an unfinished sweep: $(status $rc), expected exit 1: $(cat "$work/merge1.err")"
[[ $(wc -l <"$work/merge1.err") -eq 1 ]] ||
  slurm_fail "merge of an unfinished sweep: expected one line on stderr, got:"$'\n'"$(cat "$work/merge1.err")"
[[ ! -e "$S/sweep.csv" && ! -e "$S/sweep.json" ]] ||
  slurm_fail "merge of an unfinished sweep wrote $S/sweep.csv or sweep.json"
echo "merge before the resubmission: exit 1: $(cat "$work/merge1.err")"

# 5. The resubmission: only task $cancel_task's chunk is left.
phase resubmit
rc=0
submit "$work/submit2.out" "$work/submit2.err" || rc=$?
[[ $rc -eq 0 ]] || slurm_fail "resubmission: $(status $rc): $(cat "$work/submit2.err")"
job2=$(cat "$work/submit2.out")
[[ "$job2" =~ ^[0-9]+$ ]] ||
  slurm_fail "resubmission printed '$job2' on stdout, not a job id alone; stderr: $(cat "$work/submit2.err")"
[[ "$job2" != "$job" ]] || slurm_fail "resubmission printed the first job's id $job"
echo "resubmitted: job array $job2"
slurm_wait_gone "$job2" "$(within 120)"
states2=$(task_states "$job2")
[[ "$states2" == "$cancel_task COMPLETED" ]] ||
  slurm_fail "resubmitted job $job2: expected task $cancel_task alone, COMPLETED; scontrol:"$'\n'"$states2"
[[ -f "$S/slurm/${job2}_${cancel_task}.out" ]] || slurm_fail "no task log $S/slurm/${job2}_${cancel_task}.out"
((${#kept_inode[@]} > 0)) || slurm_fail "no point of task $cancel_task was published before the cancel"
for id in "${!kept_inode[@]}"; do
  [[ "$(stat -c %i "$S/points/$id" 2>/dev/null)" == "${kept_inode[$id]}" ]] ||
    slurm_fail "point $id, finished before the cancel, was replaced by the resubmission"
done
n=$(published)
((n == ${#cancel_ids[@]})) || slurm_fail "after the resubmission $n of task $cancel_task's ${#cancel_ids[@]} points are finished"

# 6. The merged sweep equals the local one, byte for byte.
phase merge2
rc=0
nib 60 sweep merge "$S" --no-plots >"$work/merge2.out" 2>"$work/merge2.err" || rc=$?
[[ $rc -eq 0 ]] || slurm_fail "merge: $(status $rc): $(cat "$work/merge2.err")"
for f in sweep.csv sweep.json; do
  [[ -f "$S/$f" ]] || slurm_fail "merge wrote no $S/$f"
  cmp "$L/$f" "$S/$f" || {
    diff "$L/$f" "$S/$f" | head -20 >&2 || true
    slurm_fail "$f of the Slurm sweep differs from the local sweep's"
  }
done
rows2=$(($(wc -l <"$S/sweep.csv") - 1))
((rows2 >= 50)) || slurm_fail "sweep.csv has $rows2 data rows, expected at least 50"
echo "merged: $rows2 points; sweep.csv and sweep.json identical to the local sweep's"

# 7. Nothing left: a third submission submits nothing.
phase again
rc=0
submit "$work/submit3.out" "$work/submit3.err" || rc=$?
[[ $rc -eq 0 ]] || slurm_fail "submission of a finished sweep: $(status $rc): $(cat "$work/submit3.err")"
[[ ! -s "$work/submit3.out" ]] ||
  slurm_fail "submission of a finished sweep printed '$(cat "$work/submit3.out")' on stdout"
[[ -s "$work/submit3.err" ]] || slurm_fail "submission of a finished sweep said nothing on stderr"
[[ -z "$(squeue -h)" ]] || slurm_fail "a job is queued after the submission of a finished sweep"
echo "third submission: $(cat "$work/submit3.err")"

phase stop
slurm_cluster_stop
phase
print_phases
echo "Slurm.SweepJobArray: total $(slurm_elapsed "$t_begin") s"
echo "PASS"
