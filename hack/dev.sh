#!/usr/bin/env bash
# `make dev`: the control plane, the CRDs, and the operator in the foreground with readable logs.
# Ctrl-C or SIGTERM stops the operator and then every process of the control plane.
# State in $TENTACLE_DEV_DIR (default .dev).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
export TENTACLE_DEV_DIR=${TENTACLE_DEV_DIR:-$ROOT/.dev}
source "$ROOT/hack/cleanup.sh"
stop() {
  # The operator is this script's one background job; `jobs -p` finds it even when the signal came
  # between its start and `operator=$!`.
  local pid
  for pid in ${operator:-} $(jobs -p); do
    # Ctrl-C and a group SIGTERM reach the operator directly; signal it only if it is still running
    # a moment later (this script alone was signalled), since a second signal means "exit now".
    if alive_for 1 "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    # A shutdown that hangs must not keep the control plane running.
    if alive_for 15 "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  # In a session of its own, so that no signal to this process group reaches the stop.
  setsid --wait hack/dev-cluster.sh down || true
}
# alive_for SECONDS PID: true if PID is still running after SECONDS (checked every 0.1 s).
alive_for() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do kill -0 "$2" 2>/dev/null || return 1; sleep 0.1; done
  kill -0 "$2" 2>/dev/null
}
cleanup_on_exit stop
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
