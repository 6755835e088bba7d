#!/usr/bin/env bash
# `make dev`: the control plane, the CRDs, and the operator in the foreground with readable logs.
# Ctrl-C or SIGTERM stops the operator and then every process of the control plane.
# State in $TENTACLE_DEV_DIR (default .dev).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
export TENTACLE_DEV_DIR=${TENTACLE_DEV_DIR:-$ROOT/.dev}
stopping=0
stop() {
  ((stopping)) && return; stopping=1
  # More signals come (a group SIGTERM reaches this script and make passes its own on): none may cut the
  # cleanup short.
  trap '' INT TERM
  if [[ -n "${operator:-}" ]]; then
    # Ctrl-C and a group SIGTERM reach the operator directly; signal it only if it is still running
    # a moment later (this script alone was signalled), since a second signal means "exit now".
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$operator" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$operator" 2>/dev/null || true
    wait "$operator" 2>/dev/null || true
  fi
  # In a session of its own, so that no signal to this process group reaches the stop.
  setsid --wait hack/dev-cluster.sh down || true
}
trap stop EXIT
trap 'exit 130' INT TERM
hack/dev-cluster.sh up
export KUBECONFIG="$TENTACLE_DEV_DIR/kubeconfig"
if compgen -G "crds/*.yaml" >/dev/null; then
  kubectl apply --server-side -f crds/
  kubectl wait --for=condition=Established --timeout=60s -f crds/
fi
echo "[dev] operator starting; kubectl: export KUBECONFIG=$KUBECONFIG  (Ctrl-C stops everything)"
# NFS in local mode: the export of NFSProvisioner X is .dev/exports/X, served in-process.
node src/main.ts --log-format=text --nfs-local-exports="$TENTACLE_DEV_DIR/exports" --metrics-bind-address="${METRICS_ADDR:-127.0.0.1:8080}" \
  --health-probe-bind-address="${PROBE_ADDR:-127.0.0.1:8081}" "$@" &
operator=$!
wait "$operator"
