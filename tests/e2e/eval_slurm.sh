#!/usr/bin/env bash
# hearth eval run --slurm on a one-node Slurm cluster that this test configures and starts on
# localhost (Debian's slurm-wlm and munge): MMLU as a job array of shards, merged, must equal the
# unsharded run; --slurm-dry-run prints the script; a failing shard is reported with its log.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf
model="local:$shared/models/stories260K.gguf"
fail() { echo "FAIL: $*"; exit 1; }
skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then fail "$*"; fi
  echo "SKIP: $*"; exit 77
}
for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || skip_or_fail "$tool not installed (apt-get install slurm-wlm munge)"
done
export PATH="$PATH:/usr/sbin"
# slurmd starts jobs as their owner, so the daemons run as root.
SUDO=""
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || skip_or_fail "the Slurm daemons need root (or passwordless sudo)"
  SUDO="sudo -n"
fi

tmp=$(mktemp -d)
chmod 755 "$tmp"
sl="$tmp/slurm"
mkdir -p "$sl/munge" "$sl/state" "$sl/spool" "$sl/log"
cleanup() {
  for pid in "$sl/slurmd.pid" "$sl/slurmctld.pid" "$sl/munge/munged.pid"; do
    [ -f "$pid" ] && $SUDO kill "$(cat "$pid")" 2>/dev/null
  done
  sleep 0.5
  $SUDO rm -rf "$tmp"
}
trap cleanup EXIT
export HEARTH_HOME="$tmp/home"

$SUDO mungekey -c -k "$sl/munge/munge.key" -f >/dev/null 2>&1 || fail "mungekey"
$SUDO chmod 600 "$sl/munge/munge.key"
$SUDO munged --key-file="$sl/munge/munge.key" --socket="$sl/munge/munge.sock" --pid-file="$sl/munge/munged.pid" \
  --log-file="$sl/munge/munged.log" --seed-file="$sl/munge/seed" -f || fail "munged did not start"
host=$(hostname -s)
port=$(( 20000 + $$ % 20000 ))
cat >"$sl/slurm.conf" <<CONF
ClusterName=hearthtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sl/munge/munge.sock
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$(( port + 1 ))
StateSaveLocation=$sl/state
SlurmdSpoolDir=$sl/spool
SlurmctldPidFile=$sl/slurmctld.pid
SlurmdPidFile=$sl/slurmd.pid
SlurmctldLogFile=$sl/log/slurmctld.log
SlurmdLogFile=$sl/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=hearth Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$sl/slurm.conf"
$SUDO env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
$SUDO env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 1 60); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %t | grep -q idle || { cat "$sl/log/"*.log; fail "the node never became idle"; }

common=(--task mmlu --limit 2 --num-fewshot 0 --model "$model" --data-dir "$shared/eval-data")
"$bin" eval run "${common[@]}" --slurm --shards 3 --partition hearth --time 10 --slurm-dry-run >"$tmp/job.sh" \
  || fail "--slurm-dry-run"
grep -q '^#SBATCH --array=0-2$' "$tmp/job.sh" && grep -q '^#SBATCH --partition=hearth$' "$tmp/job.sh" \
  && grep -q -- '--shard "$i/3"' "$tmp/job.sh" || { cat "$tmp/job.sh"; fail "dry-run script"; }

"$bin" eval run "${common[@]}" --slurm --shards 3 --partition hearth --time 10 --slurm-dir "$tmp/job" \
  -o "$tmp/runs" --json >"$tmp/slurm.json" 2>"$tmp/slurm.err" || { cat "$tmp/slurm.err" "$tmp/job/logs/"*; fail "--slurm run"; }
grep -q 'slurm: job [0-9]*: 3/3 shards finished' "$tmp/slurm.err" || { cat "$tmp/slurm.err"; fail "no progress"; }
"$bin" eval run "${common[@]}" --no-cache -o "$tmp/single" --json >"$tmp/one.json" 2>/dev/null || fail "unsharded run"
python3 - "$tmp/one.json" "$tmp/slurm.json" <<'PY' || fail "the Slurm run differs from the unsharded one"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert len(a["results"]) == 57 and "mmlu" in a["groups"], list(a)
for k in ("results", "groups", "n-samples"):
    assert a[k] == b[k], k
PY
for i in 0 1 2; do [ -s "$tmp/job/logs/shard-$i.log" ] || [ -f "$tmp/job/logs/shard-$i.log" ] || fail "no log for shard $i"; done

# Shards that fail (the model file is missing on the node) are named with the end of their logs.
"$bin" eval run --task truthfulqa_mc1 --model "local:$tmp/missing.gguf" --data-dir "$shared/eval-data" --limit 3 \
  --slurm --shards 2 --slurm-dir "$tmp/job2" -o "$tmp/runs2" >/dev/null 2>"$tmp/f.err" && fail "a run whose shards failed succeeded"
grep -q 'shards failed' "$tmp/f.err" && grep -q 'shard 0 exited 1' "$tmp/f.err" && grep -q 'shard 1 exited 1' "$tmp/f.err" \
  && grep -q 'missing.gguf' "$tmp/f.err" || { cat "$tmp/f.err"; fail "failed shards not reported with their logs"; }
echo "ok"
