#!/usr/bin/env bash
# Integration tests: Jest's integration project (test/integration, test/e2e; jest.config.js), or only the
# files given (test path patterns). tentacle/testing's global setup starts one local control plane for
# the whole run in $TENTACLE_TEST_DIR (its logs stay there) with crds/ installed, and its teardown stops
# it; the components die with Jest even when it is killed. Jest's ES modules need Node's
# --experimental-vm-modules.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
export TENTACLE_TEST_DIR="${TENTACLE_TEST_DIR:-$ROOT/.dev/test}"
# The preset starts its own control plane; one from the environment would be used instead.
unset TENTACLE_KUBECONFIG
# A control plane left in that folder by `hack/cluster/cli.ts up` (which outlives its caller) goes first.
stop() { node hack/cluster/cli.ts down --dir "$TENTACLE_TEST_DIR" >/dev/null 2>&1 || true; }
source "$ROOT/hack/cleanup.sh"
cleanup_on_exit stop
stop
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --verbose --selectProjects integration \
  --maxWorkers="${TEST_CONCURRENCY:-2}" "$@"
