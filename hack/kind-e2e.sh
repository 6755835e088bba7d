#!/usr/bin/env bash
# End to end in a real cluster, as a user installs Tentacle: kind cluster → image built with docker and
# loaded into kind → helm install --wait → helm test → every example under examples/ applied → wait for
# the expected results → summary. The cluster is deleted on exit unless KEEP_CLUSTER=1.
#
# Needs: docker, kind, kubectl, helm (bin/ first on PATH).
#   hack/kind-e2e.sh
#   KEEP_CLUSTER=1 CLUSTER_NAME=tentacle hack/kind-e2e.sh
# Environment: CLUSTER_NAME (tentacle-e2e), IMAGE (tentacle:e2e), NAMESPACE (tentacle-system),
#   CONTROLLERS (the chart's value, e.g. "job,cronjob"; default: every controller with examples),
#   TIMEOUT (per wait, default 300s), KIND_NODE_IMAGE (kind's default node image).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"

CLUSTER_NAME=${CLUSTER_NAME:-tentacle-e2e}
IMAGE=${IMAGE:-tentacle:e2e}
NAMESPACE=${NAMESPACE:-tentacle-system}
RELEASE=${RELEASE:-tentacle}
TIMEOUT=${TIMEOUT:-300s}
EXAMPLES_NS=${EXAMPLES_NS:-tentacle-examples}

log() { printf '\n[kind-e2e] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

cleanup() {
  local rc=$?
  if ((rc != 0)); then
    log "diagnostics"
    kubectl -n "$NAMESPACE" get all,lease 2>/dev/null || true
    kubectl -n "$NAMESPACE" logs "deployment/$RELEASE" --tail=200 2>/dev/null || true
    kubectl -n "$EXAMPLES_NS" get tentacle,pods 2>/dev/null || true
  fi
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "keeping cluster $CLUSTER_NAME (kind delete cluster --name $CLUSTER_NAME)"
  else
    log "deleting cluster $CLUSTER_NAME"
    kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT

log "cluster $CLUSTER_NAME"
if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  kind create cluster --name "$CLUSTER_NAME" --wait 120s ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi
kubectl config use-context "kind-$CLUSTER_NAME" >/dev/null

log "image $IMAGE"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER_NAME"

# Controllers: the chart value (a YAML list) from $CONTROLLERS or from the example folders present.
if [[ -z ${CONTROLLERS:-} ]]; then
  controllers=()
  [[ -d examples/batch ]] && controllers+=(job cronjob)
  [[ -d examples/apps ]] && controllers+=(statefulset)
  CONTROLLERS=$(IFS=,; echo "${controllers[*]}")
fi

log "helm install $RELEASE (controllers: $CONTROLLERS)"
helm upgrade --install "$RELEASE" charts/tentacle \
  --namespace "$NAMESPACE" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set "controllers={$CONTROLLERS}" \
  --wait --timeout "$TIMEOUT"
kubectl -n "$NAMESPACE" rollout status "deployment/$RELEASE" --timeout "$TIMEOUT"
helm test "$RELEASE" --namespace "$NAMESPACE" --logs --timeout "$TIMEOUT"

log "examples"
kubectl create namespace "$EXAMPLES_NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
mapfile -t examples < <(find examples -name '*.yaml' | sort)
for f in "${examples[@]}"; do
  kubectl -n "$EXAMPLES_NS" apply -f "$f"
done

# What each example kind should reach.
summary=()
wait_for() { # kind name condition...
  local kind=$1 name=$2
  shift 2
  local start=$SECONDS
  if kubectl -n "$EXAMPLES_NS" wait "$kind/$name" "$@" --timeout "$TIMEOUT" >/dev/null; then
    summary+=("OK    $kind/$name ($((SECONDS - start))s)")
  else
    summary+=("FAIL  $kind/$name: $* not reached in $TIMEOUT")
  fi
}
for f in "${examples[@]}"; do
  while read -r kind name; do
    [[ -n $kind ]] || continue
    case $kind in
      Job) wait_for jobs.batch.tentacle.dev "$name" --for=condition=Complete ;;
      CronJob) wait_for cronjobs.batch.tentacle.dev "$name" --for=jsonpath='{.status.lastSuccessfulTime}' ;;
      StatefulSet)
        replicas=$(kubectl -n "$EXAMPLES_NS" get "statefulsets.apps.tentacle.dev/$name" -o jsonpath='{.spec.replicas}')
        wait_for statefulsets.apps.tentacle.dev "$name" --for=jsonpath="{.status.readyReplicas}=${replicas:-1}"
        ;;
      *) summary+=("SKIP  $kind/$name (no expectation)") ;;
    esac
  done < <(kubectl -n "$EXAMPLES_NS" apply -f "$f" --dry-run=client -o jsonpath='{range .items[*]}{.kind}{" "}{.metadata.name}{"\n"}{end}{.kind}{" "}{.metadata.name}{"\n"}' 2>/dev/null | grep -v '^List ' | sort -u)
done

log "summary"
kubectl get tentacle -n "$EXAMPLES_NS" || true
printf '%s\n' "${summary[@]}"
if printf '%s\n' "${summary[@]}" | grep -q '^FAIL'; then
  die "some examples did not reach their expected state"
fi
log "all examples reached their expected state"
