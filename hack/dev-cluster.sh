#!/usr/bin/env bash
# hack/dev-cluster.sh up|down|status — the local control plane alone, state in $TENTACLE_DEV_DIR (.dev/).
#   up [--real-node]  starts it in the background; the admin kubeconfig is .dev/kubeconfig. With
#                     --real-node, a real node joins it (containerd, kubelet, kube-proxy, CoreDNS; needs
#                     root) and no kwok node unless --nodes N: the images (operator, stand-ins) are built
#                     on Docker (started for the build and stopped after it, if none ran) and pushed to the
#                     node's registry
#   down              stops every process it started (by PID) and undoes the real node's host changes
#   status            each component and whether it is alive, and the nodes
# Extra arguments go to hack/cluster/cli.ts (e.g. --nodes 5, --dir DIR).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEV_DIR=${TENTACLE_DEV_DIR:-$ROOT/.dev}

cmd=${1:-}
case "$cmd" in
  up | down | status) shift ;;
  *) echo "usage: $0 up [--real-node] [--nodes N] | down | status" >&2; exit 2 ;;
esac

"$ROOT/hack/node.sh"
real_node=0
for arg in "$@"; do [[ $arg == --real-node ]] && real_node=1; done
if [[ "$cmd" == up ]]; then
  "$ROOT/hack/tools.sh" control-plane
  if ((real_node)); then
    "$ROOT/hack/system-deps.sh" real-node
    "$ROOT/hack/tools.sh" real-node
    "$ROOT/hack/real-node-images.sh" "$ROOT/bin/node" "$ROOT/hack/cluster/cli.ts" "$cmd" --dir "$DEV_DIR" "$@"
    exit
  fi
fi
exec "$ROOT/bin/node" "$ROOT/hack/cluster/cli.ts" "$cmd" --dir "$DEV_DIR" "$@"
