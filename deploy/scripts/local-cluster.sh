#!/usr/bin/env bash
# A three-node zoo cluster on this machine: `ww node` processes on 127.0.0.1 ports 4053, 4054, 4055,
# all joining through the seed 127.0.0.1:4053 (what the Kubernetes StatefulSet does with pod DNS names).
#
#   deploy/scripts/local-cluster.sh           start the nodes (in the background) and wait until they listen
#   deploy/scripts/local-cluster.sh status    show which nodes run
#   deploy/scripts/local-cluster.sh stop      stop the nodes this script started (SIGTERM: they leave the cluster)
#
# Then submit a job to them from another process, which joins as a member without workers:
#   dotnet <ww.dll> zoo run --seeds 127.0.0.1:4053 --port 4060                       # the demo zoo
#   dotnet <ww.dll> zoo run --seeds 127.0.0.1:4053 --port 4060 --store /path/to/zoo --models models/ --results results/
#   (with deploy/scripts/start-azurite.sh: --store az://models and WW_BLOB_CONNECTION_STRING exported here
#    AND when starting the nodes, since workers read the models themselves)
#
# Environment: WW_DLL (ww.dll to run; default: built from src/WeightWatcher.Cli in Release if missing),
# NODES (default 3), BASE_PORT (default 4053), PARALLEL (layers at once per node, default 1),
# MIN_WORKERS (default: NODES), WW_LOCAL_STATE (PIDs, logs and staging; default <repo>/artifacts/local).
# WW_TLS_DIR (read by ww itself): a folder with tls.crt, tls.key and ca.crt; the nodes then talk mutual TLS
# and accept only members whose certificate that CA issued (export it for the zoo run as well).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
nodes="${NODES:-3}"
base="${BASE_PORT:-4053}"
parallel="${PARALLEL:-1}"
min_workers="${MIN_WORKERS:-$nodes}"
state="${WW_LOCAL_STATE:-$repo/artifacts/local}"
pidfile="$state/cluster.pids"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

find_ww() {
  if [[ -n "${WW_DLL:-}" ]]; then
    echo "$WW_DLL"
    return
  fi
  # The newest build that has the node command (an old `dotnet cake --target=Pack` output may predate it).
  local candidate
  for candidate in $(ls -t "$repo/artifacts/ww/ww.dll" "$repo/src/WeightWatcher.Cli/bin/Release/net10.0/ww.dll" \
      "$repo/src/WeightWatcher.Cli/bin/Debug/net10.0/ww.dll" 2>/dev/null); do
    if dotnet "$candidate" node --help >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  echo "building src/WeightWatcher.Cli (Release) ..." >&2
  dotnet build "$repo/src/WeightWatcher.Cli/WeightWatcher.Cli.csproj" -c Release -v quiet -nologo >&2
  echo "$repo/src/WeightWatcher.Cli/bin/Release/net10.0/ww.dll"
}

stop() {
  [[ -f "$pidfile" ]] || { echo "no local cluster recorded in $pidfile"; return 0; }
  local pids=()
  while read -r port pid; do
    [[ -n "${pid:-}" ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      pids+=("$pid")
      echo "node on port $port (pid $pid): SIGTERM"
    fi
  done < "$pidfile"
  # Coordinated shutdown hands shards over; ww allows itself 20 s for it.
  for _ in $(seq 1 300); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      echo "pid $pid did not stop within 30 s: killed"
    fi
  done
  rm -f "$pidfile"
}

status() {
  [[ -f "$pidfile" ]] || { echo "no local cluster recorded in $pidfile"; return 0; }
  while read -r port pid; do
    [[ -n "${pid:-}" ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      echo "node 127.0.0.1:$port pid $pid running (log $state/node-$port.log)"
    else
      echo "node 127.0.0.1:$port pid $pid not running (log $state/node-$port.log)"
    fi
  done < "$pidfile"
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  status) status; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|status|stop]" >&2; exit 2 ;;
esac

if [[ -f "$pidfile" ]]; then
  while read -r port pid; do
    if [[ -n "${pid:-}" ]] && kill -0 "$pid" 2>/dev/null; then
      echo "a local cluster is already running (node on port $port, pid $pid); '$0 stop' stops it" >&2
      exit 1
    fi
  done < "$pidfile"
  rm -f "$pidfile"
fi
for i in $(seq 0 $((nodes - 1))); do
  if listening $((base + i)); then
    echo "port $((base + i)) is already taken; set BASE_PORT to another range" >&2
    exit 1
  fi
done

ww="$(find_ww)"
[[ -f "$ww" ]] || { echo "ww.dll not found at $ww" >&2; exit 1; }
mkdir -p "$state"
seeds="127.0.0.1:$base"
: > "$pidfile"
for i in $(seq 0 $((nodes - 1))); do
  port=$((base + i))
  nohup dotnet "$ww" node --hostname 127.0.0.1 --port "$port" --seeds "$seeds" \
    --parallel "$parallel" --min-workers "$min_workers" --staging "$state/staging-$port" \
    > "$state/node-$port.log" 2>&1 < /dev/null &
  echo "$port $!" >> "$pidfile"
  echo "node 127.0.0.1:$port started (pid $!, log $state/node-$port.log)"
done

# Wait until every node listens (Akka.Remote is up); joining follows within seconds.
for _ in $(seq 1 300); do
  up=0
  for i in $(seq 0 $((nodes - 1))); do listening $((base + i)) && up=$((up + 1)); done
  [[ $up == "$nodes" ]] && break
  while read -r port pid; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "node on port $port exited while starting; its log:" >&2
      cat "$state/node-$port.log" >&2
      stop >&2
      exit 1
    fi
  done < "$pidfile"
  sleep 0.2
done
if [[ $up != "$nodes" ]]; then
  echo "only $up of $nodes nodes listen after 60 s; logs in $state" >&2
  exit 1
fi

cat <<USAGE
$nodes nodes listening on 127.0.0.1:$base-$((base + nodes - 1)), seed $seeds; PIDs in $pidfile.
Submit a zoo job (this process joins without workers and follows the job):
  WW_LOG_LEVEL=Information dotnet $ww zoo run --seeds $seeds --port $((base + nodes + 2))
  dotnet $ww zoo run --seeds $seeds --port $((base + nodes + 2)) --store <folder|az://container> --models models/ --results results/
Stop the nodes:
  $0 stop
USAGE
