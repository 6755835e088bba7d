#!/usr/bin/env bash
# hack/build.sh [OUT_DIR]: compiles src/ to OUT_DIR (default dist/) with declarations, and copies the
# files tsc does not (the kwok configurations tentacle/testing starts kwok with).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$ROOT/dist}
"$ROOT/node_modules/.bin/tsc" -p "$ROOT/tsconfig.build.json" --outDir "$out"
cp "$ROOT"/src/testing/control-plane/kwok-*.yaml "$out/testing/control-plane/"
