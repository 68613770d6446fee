# shellcheck shell=bash
# A throwaway single-node Slurm cluster on 127.0.0.1, for the tests of this folder (label slurm).
# Source this file, then:
#
#   slurm_cluster_start    # temp dir, munge key + munged, slurm.conf, slurmctld + slurmd; waits
#                          # until the node is idle; exports SLURM_CONF and SLURM_CLUSTER_DIR
#   ...                    # sbatch / squeue / scancel / scontrol talk to this cluster only
#   slurm_cluster_stop     # cancels the jobs left, stops the three daemons by pid, removes the
#                          # temp dir; idempotent, safe to call from an EXIT trap
#
# slurm_cluster_start installs an EXIT trap that calls slurm_cluster_stop (and turns SIGINT,
# SIGTERM and SIGHUP into an exit), so a test that fails anywhere leaves nothing running. A
# script that wants its own EXIT trap calls slurm_cluster_stop from it.
#
# Needs root (SlurmUser=root, and munged runs as the munge user); not root: exit 77, which the
# tests' SKIP_RETURN_CODE turns into a skip. A missing daemon or tool is a failure, not a skip:
# the machines that run label slurm are meant to have Debian's slurm-wlm and munge installed.
#
# Helpers for tests: slurm_fail MSG (message, daemon log tails, exit 1), slurm_wait_gone JOB
# SECONDS (polls squeue until the job has left the queue), slurm_run CMD... (runs a long command
# so that a signal to the test still cleans up at once), slurm_logs (log tails), slurm_now
# (seconds since the epoch, with decimals), slurm_elapsed START [END] (END - START, one decimal).
#
# Environment: NIBBLE_SLURM_KEEP=1 keeps the temp dir (its path is printed) for post-mortems;
# NIBBLE_SLURM_CPUS sets the node's CPU count (default 2).
#
# Facts this relies on (Slurm 22.05, munge 0.5.15): slurmctld and slurmd run in the foreground
# (-D) as children of this shell, munged too (-F, made the munge user by setpriv, which execs),
# so their pids are $! and a test runner that kills the test's process tree kills them as well.
# `sbatch --wait` polls with growing sleeps (2, 8, 32 s), hence slurm_wait_gone polls squeue
# every 0.5 s. There is no accounting (no sacct): `scontrol show job` knows a finished job for
# MinJobAge seconds.

SLURM_CLUSTER_DIR="${SLURM_CLUSTER_DIR:-}"
_slurm_pid_munged=""
_slurm_pid_ctld=""
_slurm_pid_slurmd=""
_slurm_stopped=0
_slurm_fg_pid=""

slurm_now() { date +%s.%N; }
slurm_elapsed() { awk -v a="$1" -v b="${2:-$(slurm_now)}" 'BEGIN { printf "%.1f", b - a }'; }

# Tails of the daemon logs, on stderr.
slurm_logs() {
  local d="$SLURM_CLUSTER_DIR" f
  [[ -n "$d" && -d "$d" ]] || return 0
  for f in "$d/log/slurmctld.log" "$d/log/slurmd.log" "$d/munge/munged.log"; do
    if [[ -f "$f" ]]; then
      echo "----- last lines of $f -----" >&2
      tail -n 25 "$f" >&2 || true
    fi
  done
  if [[ -n "${SLURM_CONF:-}" && -f "${SLURM_CONF:-}" ]]; then
    echo "----- squeue -----" >&2
    timeout 10 squeue -r -o '%i %T %r %M %N' >&2 2>&1 || true
    echo "----- sinfo -----" >&2
    timeout 10 sinfo -N -o '%N %t %E' >&2 2>&1 || true
  fi
}

slurm_fail() {
  echo "FAIL: $*" >&2
  slurm_logs
  exit 1
}

# True while pid runs (a zombie does not count) and is still the program `comm` we started.
_slurm_alive() {
  local pid="$1" comm="$2" state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ "$state" != Z && "$state" != X ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]]
}

# Waits until the child `pid` has exec'd `comm` (bash forks, then setsid/setpriv exec the daemon).
_slurm_await_exec() {
  local pid="$1" comm="$2" i state
  for ((i = 0; i < 100; i++)); do
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] && return 0
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ "$state" != Z && "$state" != X ]] || return 1
    sleep 0.05
  done
  return 1
}

# Sends TERM to a daemon we started, waits up to `seconds` for it to go, then KILLs it.
_slurm_stop_pid() {
  local pid="$1" comm="$2" seconds="$3" i
  _slurm_alive "$pid" "$comm" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 10; i++)); do
    _slurm_alive "$pid" "$comm" || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "slurm cluster: $comm (pid $pid) still running ${seconds} s after SIGTERM; SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Two free TCP ports below the ephemeral range (so outgoing connections do not take them): none
# of /proc/net/tcp{,6} may use them, in any state.
_slurm_free_ports() {
  local used p1 p2 tries=0
  used=$(awk 'NR > 1 { split($2, a, ":"); print strtonum("0x" a[2]) }' \
           /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  while :; do
    ((tries++ < 1000)) || return 1
    p1=$((20000 + RANDOM % 12000))
    p2=$((p1 + 1))
    if ! grep -qx -e "$p1" -e "$p2" <<<"$used"; then
      echo "$p1 $p2"
      return 0
    fi
  done
}

slurm_cluster_start() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: the Slurm tests start slurmctld/slurmd/munged and need root" >&2
    exit 77
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
  local tool
  for tool in munged mungekey munge unmunge setpriv slurmctld slurmd sbatch squeue scancel \
              scontrol sinfo; do
    command -v "$tool" >/dev/null ||
      slurm_fail "$tool not found: install Debian's slurm-wlm and munge (apt-get install" \
                 "slurm-wlm munge) to run the tests labelled slurm"
  done
  getent passwd munge >/dev/null || slurm_fail "no user munge (the munge package creates it)"

  # Jobs inherit the environment of sbatch: nothing of an enclosing Slurm job may leak in.
  local v
  for v in $(compgen -e | grep -E '^(SLURM|SBATCH|SQUEUE|SINFO|SCONTROL|SALLOC|SRUN)_' || true); do
    unset "$v"
  done

  trap 'slurm_cluster_stop' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  SLURM_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/nibble-slurm.XXXXXX")
  export SLURM_CLUSTER_DIR
  _slurm_stopped=0
  local d="$SLURM_CLUSTER_DIR" m="$SLURM_CLUSTER_DIR/munge"
  chmod 755 "$d"  # munged (user munge) reaches its socket through it
  mkdir -p "$d/state" "$d/spool" "$d/log" "$d/run" "$d/work" "$m"
  chown munge:munge "$m"
  chmod 755 "$m"

  # munge: a fresh key, munged in the foreground as the munge user.
  mungekey --create --keyfile="$m/munge.key" --bits=1024 ||
    slurm_fail "mungekey could not create $m/munge.key"
  chown munge:munge "$m/munge.key"
  chmod 400 "$m/munge.key"
  setpriv --reuid=munge --regid=munge --clear-groups \
    munged --foreground --socket="$m/munge.socket" --key-file="$m/munge.key" \
           --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed" \
           </dev/null >"$m/munged.stdout" 2>&1 &
  _slurm_pid_munged=$!
  _slurm_await_exec "$_slurm_pid_munged" munged || {
    cat "$m/munged.stdout" >&2 || true
    slurm_fail "munged did not start (pid $_slurm_pid_munged)"
  }
  local i
  for ((i = 0; ; i++)); do
    [[ -S "$m/munge.socket" ]] && break
    _slurm_alive "$_slurm_pid_munged" munged || {
      cat "$m/munged.stdout" >&2 || true
      slurm_fail "munged exited at start"
    }
    ((i < 100)) || slurm_fail "munged made no socket $m/munge.socket in 10 s"
    sleep 0.1
  done
  munge -n --socket="$m/munge.socket" | unmunge --socket="$m/munge.socket" >/dev/null ||
    slurm_fail "munge credential round trip failed on $m/munge.socket"

  # slurm.conf
  local ports ctld_port slurmd_port host cpus="${NIBBLE_SLURM_CPUS:-2}"
  ports=$(_slurm_free_ports) || slurm_fail "no two free TCP ports found in 20000-32000"
  read -r ctld_port slurmd_port <<<"$ports"
  host=$(hostname -s)
  export SLURM_CONF="$d/slurm.conf"
  cat >"$SLURM_CONF" <<EOF
# A throwaway single-node cluster for nibble's tests (tests/slurm/cluster.sh).
ClusterName=nibbletest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$m/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MinJobAge=300
KillWait=5
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

  setsid slurmctld -D -c -f "$SLURM_CONF" </dev/null >"$d/log/slurmctld.stdout" 2>&1 &
  _slurm_pid_ctld=$!
  setsid slurmd -D -f "$SLURM_CONF" </dev/null >"$d/log/slurmd.stdout" 2>&1 &
  _slurm_pid_slurmd=$!
  _slurm_await_exec "$_slurm_pid_ctld" slurmctld || slurm_fail "slurmctld did not start"
  _slurm_await_exec "$_slurm_pid_slurmd" slurmd || slurm_fail "slurmd did not start"

  local state=""
  for ((i = 0; ; i++)); do
    state=$(sinfo -h -N -o %t 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    _slurm_alive "$_slurm_pid_ctld" slurmctld || {
      cat "$d/log/slurmctld.stdout" >&2 || true
      slurm_fail "slurmctld exited at start"
    }
    _slurm_alive "$_slurm_pid_slurmd" slurmd || {
      cat "$d/log/slurmd.stdout" >&2 || true
      slurm_fail "slurmd exited at start"
    }
    ((i < 300)) || slurm_fail "node $host not idle 30 s after the start (sinfo: '${state}')"
    sleep 0.1
  done
  echo "slurm cluster: up in $d (node $host, $cpus CPUs, ports $ctld_port/$slurmd_port;" \
       "pids munged $_slurm_pid_munged, slurmctld $_slurm_pid_ctld, slurmd $_slurm_pid_slurmd)" >&2
}

# Runs a command as a child that this shell waits for interruptibly, so that SIGTERM or SIGINT to
# the test stops the cluster at once (bash runs no trap until a foreground child has ended), and
# slurm_cluster_stop ends the command first (GNU timeout, for one, passes the signal on).
slurm_run() {
  local rc=0
  "$@" &
  _slurm_fg_pid=$!
  wait "$_slurm_fg_pid" || rc=$?
  _slurm_fg_pid=""
  return "$rc"
}

# Waits until job `id` (a job, an array job or one array task, "123_4") has left the queue:
# squeue lists nothing, or no longer knows the id. Fails after `seconds`.
slurm_wait_gone() {
  local id="$1" seconds="$2" out rc t0
  t0=$SECONDS
  while :; do
    rc=0
    out=$(squeue -h -j "$id" 2>&1) || rc=$?
    if [[ $rc -eq 0 && -z "$out" ]]; then
      return 0
    fi
    if [[ $rc -ne 0 && "$out" == *"Invalid job id"* ]]; then
      return 0
    fi
    ((SECONDS - t0 < seconds)) || slurm_fail "job $id still in the queue after $seconds s: $out"
    sleep 0.5
  done
}

# Processes still holding a file under the cluster's dir (slurmstepd of a job, the job's own
# processes): what slurmd leaves behind if it is stopped while jobs run.
_slurm_leftover_pids() {
  local d="$SLURM_CLUSTER_DIR" p f
  [[ -n "$d" ]] || return 0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ "$p" != "$$" && "$p" != "$BASHPID" ]] || continue
    for f in /proc/"$p"/fd/*; do
      if [[ "$(readlink "$f" 2>/dev/null)" == "$d"/* ]]; then
        echo "$p"
        break
      fi
    done 2>/dev/null
  done
}

slurm_cluster_stop() {
  local rc=$?
  [[ "$_slurm_stopped" == 1 ]] && return 0
  _slurm_stopped=1
  local -
  set +e
  local d="$SLURM_CLUSTER_DIR" i
  if [[ -n "$_slurm_fg_pid" ]] && kill -0 "$_slurm_fg_pid" 2>/dev/null; then
    kill -TERM "$_slurm_fg_pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
      kill -0 "$_slurm_fg_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$_slurm_fg_pid" 2>/dev/null
    wait "$_slurm_fg_pid" 2>/dev/null
  fi
  if _slurm_alive "$_slurm_pid_ctld" slurmctld; then
    # Jobs first: slurmd does not kill its jobs' step daemons when it stops.
    local jobs
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u)
    if [[ -n "$jobs" ]]; then
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs 2>/dev/null
      for ((i = 0; i < 150; i++)); do
        [[ -z "$(timeout 10 squeue -h 2>/dev/null)" ]] && break
        sleep 0.2
      done
    fi
  fi
  # Both at once: slurmctld takes a few seconds to save its state and go.
  local w1 w2
  _slurm_stop_pid "$_slurm_pid_slurmd" slurmd 10 &
  w1=$!
  _slurm_stop_pid "$_slurm_pid_ctld" slurmctld 15 &
  w2=$!
  wait "$w1" "$w2" 2>/dev/null
  # The subshells above cannot reap the daemons; this shell can.
  wait "$_slurm_pid_slurmd" "$_slurm_pid_ctld" 2>/dev/null
  _slurm_stop_pid "$_slurm_pid_munged" munged 10
  local p
  for p in $(_slurm_leftover_pids); do
    echo "slurm cluster: process $p ($(cat "/proc/$p/comm" 2>/dev/null)) still uses $d; SIGKILL" >&2
    kill -KILL "$p" 2>/dev/null
  done
  _slurm_pid_slurmd="" _slurm_pid_ctld="" _slurm_pid_munged=""
  if [[ -n "$d" && -d "$d" ]]; then
    if [[ "${NIBBLE_SLURM_KEEP:-0}" == 1 ]]; then
      echo "slurm cluster: stopped; kept $d (NIBBLE_SLURM_KEEP=1)" >&2
    else
      rm -rf "$d"
      echo "slurm cluster: stopped, $d removed" >&2
    fi
  fi
  return "$rc"
}
