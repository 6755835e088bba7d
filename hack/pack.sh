#!/usr/bin/env bash
# hack/pack.sh OUT_DIR: builds the package in OUT_DIR/package (never in dist/, which other tests run) and
# packs it there as npm publishes it; prints the tarball's path.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath "$1")
pkg="$out/package"
mkdir -p "$pkg/hack"
cp "$ROOT/package.json" "$pkg/"
cp -r "$ROOT/crds" "$pkg/"
cp "$ROOT/hack/tools.sh" "$ROOT/hack/versions.env" "$pkg/hack/"
"$ROOT/hack/build.sh" "$pkg/dist"
name=$(cd "$pkg" && npm pack --ignore-scripts --loglevel=error --pack-destination "$out")
echo "$out/$name"
