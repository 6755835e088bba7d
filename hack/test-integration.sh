#!/usr/bin/env bash
# Integration tests: one local control plane for the whole run (tests isolate themselves by namespace),
# always stopped afterwards, whatever happens.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
dir="${TENTACLE_TEST_DIR:-$ROOT/.dev/test}"
stop() { node hack/cluster/cli.ts down --dir "$dir" >/dev/null 2>&1 || true; }
source "$ROOT/hack/cleanup.sh"
cleanup_on_exit stop
stop
node hack/cluster/cli.ts up --dir "$dir"
export TENTACLE_KUBECONFIG="$dir/kubeconfig"
if compgen -G "crds/*.yaml" >/dev/null; then
  kubectl --kubeconfig "$TENTACLE_KUBECONFIG" apply --server-side -f crds/ >/dev/null
  kubectl --kubeconfig "$TENTACLE_KUBECONFIG" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null
fi
# Jest's integration project (test/integration, test/e2e; jest.config.js), or only the files given
# (test path patterns); its ES modules need Node's --experimental-vm-modules.
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --verbose --selectProjects integration \
  --maxWorkers="${TEST_CONCURRENCY:-2}" "$@"
