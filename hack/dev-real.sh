#!/usr/bin/env bash
# `make dev-real`: the local control plane with a real node (no kwok node) and a real NFS server beside it
# (NFS-Ganesha exporting .dev/nfs/export; its SERVER:PATH in .dev/nfs/server), the operator image built and
# served to the node, and the operator installed by `helm install` of charts/tentacle — release tentacle,
# namespace tentacle-system, two replicas with leader election — as users install it. Waits until the
# Deployment is Available, says how to use it, and runs until Ctrl-C or SIGTERM, which stop everything.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
export TENTACLE_DEV_DIR=${TENTACLE_DEV_DIR:-$ROOT/.dev}
export KUBECONFIG="$TENTACLE_DEV_DIR/kubeconfig"
RELEASE=tentacle
NAMESPACE=tentacle-system

source "$ROOT/hack/cleanup.sh"
stop() {
  echo "[dev-real] stopping" >&2
  if [[ -n ${sleeper:-} ]]; then kill "$sleeper" 2>/dev/null || true; fi
  # In a session of its own, so that no signal to this process group reaches the stop.
  setsid --wait hack/dev-cluster.sh down || true
}
cleanup_on_exit stop

hack/dev-cluster.sh up --real-node "$@"
echo "[dev-real] helm install $RELEASE charts/tentacle -n $NAMESPACE" >&2
helm upgrade --install "$RELEASE" charts/tentacle --namespace "$NAMESPACE" --create-namespace \
  --set image.repository=tentacle --set image.tag=dev --wait --timeout 5m >/dev/null
kubectl -n "$NAMESPACE" wait deployment/"$RELEASE" --for=condition=Available --timeout=5m >/dev/null
kubectl -n "$NAMESPACE" get pods -o wide
cat <<MSG

[dev-real] Tentacle runs in the cluster ($NAMESPACE/$RELEASE, two replicas, leader election) on a real node.
In another shell:
  export KUBECONFIG=$KUBECONFIG
  kubectl apply -f examples/batch/pi-bc-job.yaml && kubectl wait tjob/pi-bc --for=condition=Complete --timeout=5m
  kubectl logs -l job-name=pi-bc --prefix --tail=-1 | grep '3.14159'
  kubectl -n $NAMESPACE logs deploy/$RELEASE -f
NFS: NFS-Ganesha serves $(cat "$TENTACLE_DEV_DIR/nfs/server") (NFSProvisioner spec.server:spec.path) from
$TENTACLE_DEV_DIR/nfs/export; the README's "NFS on the real node" walks through a claim written by a pod.
Ctrl-C stops everything.
MSG
# Wait for a signal; `wait` returns as soon as one arrives, and the EXIT trap cleans up.
sleep infinity &
sleeper=$!
wait "$sleeper"
