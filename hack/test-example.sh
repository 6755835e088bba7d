#!/usr/bin/env bash
# The example operator (examples/operator) built from the outside, as a user builds theirs: Tentacle
# packed into a tarball, the example copied to a temporary folder, its dependencies installed with that
# tarball, type-checked with tsc --strict, and tested with its own Jest configuration (tentacle/testing's
# preset starts a control plane from the pinned binaries, found as a user's project finds them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
# The example starts its own control plane; it must not find the integration tests' one.
unset TENTACLE_KUBECONFIG TENTACLE_BIN_DIR TENTACLE_TEST_DIR
log() { printf '[example] %s\n' "$*" >&2; }

work=$(mktemp -d -t tentacle-example.XXXXXX)
# shellcheck disable=SC2317 # called by cleanup_on_exit and cleanup_now
cleanup() { rm -rf "$work"; }
source "$ROOT/hack/cleanup.sh"
cleanup_on_exit cleanup

log "packing tentacle"
tarball=$(hack/pack.sh "$work")

log "installing examples/operator with ${tarball##*/}"
cp -r examples/operator "$work/operator"
rm -rf "$work/operator/node_modules"
cd "$work/operator"
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball" >/dev/null
log "tsc --strict"
npx tsc
log "npm test"
status=0
npm test || status=$?

leftovers=$(pgrep -fa "$work" || true)
if [[ -n $leftovers ]]; then
  log "processes left behind by the example's tests:"; echo "$leftovers" >&2
  status=1
fi
exit "$status"
