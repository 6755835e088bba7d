#!/usr/bin/env bash
# `make dev`: the control plane, the CRDs, and the operator in the foreground with readable logs.
# Ctrl-C or SIGTERM stops the operator and then every process of the control plane.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
stopping=0
stop() {
  ((stopping)) && return; stopping=1
  [[ -n "${operator:-}" ]] && kill -TERM "$operator" 2>/dev/null && wait "$operator" 2>/dev/null || true
  hack/dev-cluster.sh down || true
}
trap stop EXIT
trap 'exit 130' INT TERM
hack/dev-cluster.sh up
export KUBECONFIG="$ROOT/.dev/kubeconfig"
if compgen -G "crds/*.yaml" >/dev/null; then
  kubectl apply --server-side -f crds/
  kubectl wait --for=condition=Established --timeout=60s -f crds/
fi
echo "[dev] operator starting; kubectl: export KUBECONFIG=$KUBECONFIG  (Ctrl-C stops everything)"
# Process substitution keeps $! the operator's own PID (not the log formatter's), so stop() signals it.
node src/main.ts --metrics-bind-address="${METRICS_ADDR:-127.0.0.1:8080}" \
  --health-probe-bind-address="${PROBE_ADDR:-127.0.0.1:8081}" "$@" \
  > >(node_modules/.bin/pino-pretty --translateTime SYS:HH:MM:ss.l --ignore pid,hostname) 2>&1 &
operator=$!
wait "$operator"
