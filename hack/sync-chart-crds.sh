#!/usr/bin/env bash
# Copies every CRD in crds/ into the chart (charts/tentacle/files/crds/), which Helm can read while
# crds/ is outside the chart directory. crds/ is the source of truth: stale copies are removed.
#   hack/sync-chart-crds.sh          sync
#   hack/sync-chart-crds.sh --check  exit 1 (and list the differences) if the copy is out of date
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
src="$ROOT/crds"
dst="$ROOT/charts/tentacle/files/crds"
if [[ ${1:-} == --check ]]; then
  if ! diff -r "$src" "$dst"; then
    echo "charts/tentacle/files/crds differs from crds/: run hack/sync-chart-crds.sh (make chart-crds)" >&2
    exit 1
  fi
  exit 0
fi
mkdir -p "$dst"
find "$dst" -maxdepth 1 -name '*.yaml' -type f -delete
cp "$src"/*.yaml "$dst"/
echo "synced $(find "$dst" -maxdepth 1 -name '*.yaml' | wc -l) CRDs into charts/tentacle/files/crds" >&2
