#!/usr/bin/env bash
# Runs the sweep's Slurm test (tests/integration/sweep/slurm.rs) against a real single-node
# Slurm cluster on this machine:
#   1. installs slurm-wlm and munge with apt-get when they are missing (needs root);
#   2. starts munged (unless one answers) and, with a minimal config of its own
#      (one node "localhost", select/cons_tres, proctrack/linuxproc, no accounting
#      database), slurmctld and slurmd;
#   3. waits for the node to be idle and runs
#        CLORA_SLURM_TEST=1 cargo test --release --test integration sweep::slurm
#   4. stops the daemons it started (also on failure).
# The cluster's state, logs and config live in $CLORA_SLURM_DIR (default /tmp/clora-slurm);
# nothing under /etc is changed except a munge key, created only when there is none.
#   host/scripts/slurm-test.sh           set up, test, tear down
#   host/scripts/slurm-test.sh --start   set up and leave the cluster running (prints SLURM_CONF)
#   host/scripts/slurm-test.sh --stop    stop a cluster left running
set -euo pipefail
MODE="${1:-test}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clora-host/target}"
STATE="${CLORA_SLURM_DIR:-/tmp/clora-slurm}"
export SLURM_CONF="$STATE/slurm.conf"

say() { printf 'slurm-test: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "needs root (apt-get, munged, slurmd); run it with sudo"
  exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
fi

# munge: a key, its runtime dir, and a daemon (reuse one that already answers).
STARTED_MUNGE=""
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  install -d -o munge -g munge -m 700 /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 755 /run/munge
if ! munge -n </dev/null >/dev/null 2>&1; then
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
  STARTED_MUNGE=1
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi

stop_slurm() {
  for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid"; do
    if [ -s "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  sleep 1
}

stop_daemons() {
  stop_slurm
  if [ -n "$STARTED_MUNGE" ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
}

# A previous run's daemons (same state dir) are stopped first.
stop_slurm
if [ "$MODE" = "--stop" ]; then
  STARTED_MUNGE=1
  stop_daemons
  say "stopped"
  exit 0
fi
rm -rf "$STATE"
mkdir -p "$STATE/ctld" "$STATE/d"
cat >"$SLURM_CONF" <<EOF
# Minimal single-node cluster for clora-host's Slurm test (host/scripts/slurm-test.sh).
ClusterName=clora-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=localhost CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

if [ "$MODE" != "--start" ]; then
  trap stop_daemons EXIT
fi
say "starting slurmctld and slurmd ($STATE)"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF" -N localhost

state=""
for _ in $(seq 60); do
  state="$(sinfo -h -n localhost -o %T 2>/dev/null || true)"
  case "$state" in
    idle*) break ;;
    down* | drain*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
  esac
  sleep 1
done
if [[ "$state" != idle* ]]; then
  say "the node did not become idle (state: '${state:-none}'); logs:"
  tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
  exit 1
fi
say "node localhost is idle; $(sinfo -h -o '%P %D nodes, %c CPUs')"
if [ "$MODE" = "--start" ]; then
  say "left running: export SLURM_CONF=$SLURM_CONF (stop with $0 --stop)"
  exit 0
fi

CLORA_SLURM_TEST=1 cargo test --release --test integration sweep::slurm -- --nocapture
