#!/usr/bin/env bash
# Real-node tests: a control plane of their own with a real node (no kwok node) and the NFS server beside it,
# the operator installed by its Helm chart as users install it, then test/real-node/*.test.ts against it.
# Afterwards everything is stopped and the machine is checked for leftovers: processes (the node's, the NFS
# server's, FUSE NFS clients, rpc.statd), mounts (FUSE NFS mounts anywhere), network devices, network
# namespaces, iptables rules.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
dir="${TENTACLE_REAL_NODE_DIR:-$ROOT/.dev/real-node-test}"
log() { printf '[real-node] %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "the real-node tests need root: containerd, the kubelet, kube-proxy's iptables rules and volume mounts"
  log "cannot run as $(id -un). Run them with: sudo make test-real-node (or sudo make test)"
  exit 1
fi

before=$(hack/host-snapshot.sh)
start=$SECONDS
source "$ROOT/hack/cleanup.sh"
# shellcheck disable=SC2317 # called by cleanup_on_exit and cleanup_now
stop() {
  node hack/cluster/cli.ts down --dir "$dir" >&2 || true
}
cleanup_on_exit stop

node hack/cluster/cli.ts down --dir "$dir" >/dev/null 2>&1 || true
# A fresh export each run (make dev-real keeps its own).
rm -rf "$dir/nfs"
statd_before=$(pgrep -x rpc.statd || true)
hack/real-node-images.sh node hack/cluster/cli.ts up --real-node --dir "$dir"
export TENTACLE_KUBECONFIG="$dir/kubeconfig" TENTACLE_REAL_NODE_DIR="$dir"
log "helm install tentacle charts/tentacle -n tentacle-system"
helm --kubeconfig "$TENTACLE_KUBECONFIG" install tentacle charts/tentacle --namespace tentacle-system --create-namespace \
  --set image.repository=tentacle --set image.tag=dev --wait --timeout 5m >/dev/null
log "set-up took $((SECONDS - start)) s"

# Jest's real-node project (test/real-node; jest.config.js), or only the files given (test path
# patterns); its ES modules need Node's --experimental-vm-modules.
status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --verbose --selectProjects real-node \
  --maxWorkers="${TEST_CONCURRENCY:-4}" "$@" || status=$?

cleanup_now
after=$(hack/host-snapshot.sh)
leaks=$(diff <(echo "$before") <(echo "$after") | grep '^>' || true)
leaks+=$(awk -v dir="$dir" '$5 ~ "^(" dir "|/run/tentacle-node|/run/tentacle-docker)" || $0 ~ / - fuse\.tentacle-nfs / { print "\nmount " $5 }' /proc/self/mountinfo)
for proc in kubelet kube-proxy containerd-shim-runc-v2 coredns ganesha.nfsd rpcbind; do
  pgrep -f "$dir|/run/tentacle-node" -a | grep -F "$proc" | sed 's/^/process /' || true
done >/tmp/real-node-procs.$$
{
  pgrep -a -f 'tentacle-nfs-fuse|bin/nfs-server/' | sed 's/^/process /' || true
  [[ $(pgrep -x rpc.statd || true) == "$statd_before" ]] || echo "process rpc.statd started by the run"
} >>/tmp/real-node-procs.$$
leaks+=$(cat /tmp/real-node-procs.$$); rm -f /tmp/real-node-procs.$$
if [[ -n $leaks ]]; then
  log "left behind after the stop:"; echo "$leaks" >&2
  status=1
else
  log "nothing left behind (processes, mounts, FUSE NFS clients and mounts, the NFS server, network devices, network namespaces, iptables rules)"
fi
log "real-node stage took $((SECONDS - start)) s"
exit "$status"
