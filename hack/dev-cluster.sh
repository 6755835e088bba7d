#!/usr/bin/env bash
# hack/dev-cluster.sh up|down|status — the local control plane alone, state in .dev/.
#   up      starts it in the background; the admin kubeconfig is .dev/kubeconfig
#   down    stops every process it started (by PID)
#   status  each component and whether it is alive, and the nodes
# Extra arguments go to hack/cluster/cli.ts (e.g. --nodes 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

cmd=${1:-}
case "$cmd" in
  up | down | status) shift ;;
  *) echo "usage: $0 up|down|status [--nodes N]" >&2; exit 2 ;;
esac

"$ROOT/hack/node.sh"
if [[ "$cmd" == up ]]; then
  "$ROOT/hack/tools.sh" control-plane
fi
exec "$ROOT/bin/node" "$ROOT/hack/cluster/cli.ts" "$cmd" --dir "$ROOT/.dev" "$@"
