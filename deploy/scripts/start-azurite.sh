#!/usr/bin/env bash
# Starts the Azurite blob emulator (the repository's pinned copy in .tools/) on 127.0.0.1:10000 with a
# fresh temporary data folder, waits until it listens, and prints the connection string that `ww`
# reads from WW_BLOB_CONNECTION_STRING.
#
#   deploy/scripts/start-azurite.sh          start (in the background) and print the connection string
#   deploy/scripts/start-azurite.sh stop     stop the emulator this script started and delete its data
#
# Install the emulator first if needed: bash .ci/npm-tools/install
# Environment: AZURITE_PORT (default 10000), WW_AZURITE (another azurite-blob executable),
# WW_LOCAL_STATE (where the PID file and log go; default <repo>/artifacts/local).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port="${AZURITE_PORT:-10000}"
state="${WW_LOCAL_STATE:-$repo/artifacts/local}"
pidfile="$state/azurite.pid"
datafile="$state/azurite.data"
log="$state/azurite.log"
azurite="${WW_AZURITE:-$repo/.tools/node_modules/.bin/azurite-blob}"

# The emulator's well-known development account (public, not a secret).
account=devstoreaccount1
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
connection="DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/$account;"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
  if [[ -f "$pidfile" ]]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "azurite (pid $pid) stopped"
    fi
    rm -f "$pidfile"
  fi
  if [[ -f "$datafile" ]]; then
    rm -rf "$(cat "$datafile")"
    rm -f "$datafile"
  fi
}

case "${1:-start}" in
  stop)
    stop
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac

if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "azurite is already running (pid $(cat "$pidfile")); '$0 stop' stops it" >&2
elif listening "$port"; then
  echo "port $port is taken by another process; set AZURITE_PORT to another port" >&2
  exit 1
else
  if [[ ! -x "$azurite" ]]; then
    echo "azurite-blob not found at $azurite" >&2
    echo "install it: (cd '$repo' && bash .ci/npm-tools/install)" >&2
    exit 1
  fi
  mkdir -p "$state"
  data="$(mktemp -d "${TMPDIR:-/tmp}/ww-azurite-XXXXXX")"
  echo "$data" > "$datafile"
  # --loose and --skipApiVersionCheck: the Azure SDK's newest API version is newer than Azurite's.
  nohup "$azurite" --blobHost 127.0.0.1 --blobPort "$port" --location "$data" --silent --loose --skipApiVersionCheck \
    > "$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 150); do
    listening "$port" && break
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "azurite exited while starting; its log ($log):" >&2
      cat "$log" >&2
      rm -f "$pidfile"
      exit 1
    fi
    sleep 0.2
  done
  if ! listening "$port"; then
    echo "azurite did not listen on 127.0.0.1:$port within 30 s; log: $log" >&2
    exit 1
  fi
  echo "azurite (pid $(cat "$pidfile")) listening on 127.0.0.1:$port, data in $data" >&2
fi

echo "connection string (for ww: az://<container> stores):" >&2
echo "export WW_BLOB_CONNECTION_STRING='$connection'"
