#!/usr/bin/env bash
# End to end in a real cluster, as a user installs Tentacle: a kind cluster (1 control plane + 2 workers)
# and an NFS server on its network (NFS-Ganesha in a container, hack/images/nfs-server) → image built with
# docker and loaded into kind → metrics-server → helm install --wait → helm test → every example under
# examples/ applied (the NFS examples pointed at that server) → the expected state of each (php-apache
# scaled up under load, the NFS test-pod's file on the server's disk) → summary. The cluster and the NFS
# server (container and volume) are deleted on exit unless KEEP_CLUSTER=1.
#
# Needs: docker, kind, kubectl, helm (bin/ first on PATH).
#   hack/kind-e2e.sh
#   KEEP_CLUSTER=1 CLUSTER_NAME=tentacle hack/kind-e2e.sh
# Environment:
#   CLUSTER_NAME (tentacle-e2e), IMAGE (tentacle:e2e), NAMESPACE (tentacle-system), TIMEOUT (per wait, 300s)
#   CONTROLLERS       the chart's value, e.g. "job,cronjob" (default: every controller with examples)
#   WORKERS           worker nodes (2)
#   KIND_NODE_IMAGE   the node image (default: kind's own for its version)
#   BUILD_IMAGE       1: docker build $IMAGE from ./Dockerfile and $NFS_SERVER_IMAGE (default); 0: both are built
#   NFS_SERVER_IMAGE  the NFS server's image (tentacle-nfs-server:e2e)
#   REGISTRY_MIRROR   http://host:port: every node's containerd pulls docker.io, registry.k8s.io and gcr.io
#                     images through this mirror (unset: from the registries themselves)
#   METRICS_SERVER_MANIFEST  URL or file (default: the metrics-server release's components.yaml)
# `make kind-e2e` runs this offline through hack/kind-e2e-offline.sh, which sets the last four.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/bin:$PATH"
# shellcheck source=versions.env
source "$ROOT/hack/versions.env"

CLUSTER_NAME=${CLUSTER_NAME:-tentacle-e2e}
IMAGE=${IMAGE:-tentacle:e2e}
NAMESPACE=${NAMESPACE:-tentacle-system}
RELEASE=${RELEASE:-tentacle}
TIMEOUT=${TIMEOUT:-300s}
EXAMPLES_NS=${EXAMPLES_NS:-tentacle-examples}
WORKERS=${WORKERS:-2}
NFS_SERVER_IMAGE=${NFS_SERVER_IMAGE:-tentacle-nfs-server:e2e}
# The NFS server's container and its volume (the server's disk).
NFS_SERVER=$CLUSTER_NAME-nfs
METRICS_SERVER_MANIFEST=${METRICS_SERVER_MANIFEST:-https://github.com/kubernetes-sigs/metrics-server/releases/download/$METRICS_SERVER_VERSION/components.yaml}

log() { printf '\n[kind-e2e] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

cleanup() {
  local rc=$?
  if ((rc != 0)); then
    log "diagnostics"
    kubectl get nodes -o wide 2>/dev/null || true
    kubectl -n "$NAMESPACE" get all,lease 2>/dev/null || true
    kubectl -n "$NAMESPACE" logs "deployment/$RELEASE" --tail=200 2>/dev/null || true
    kubectl -n "$EXAMPLES_NS" get tentacle,pods,pvc -o wide 2>/dev/null || true
    kubectl get pods -A 2>/dev/null | grep -v ' Running \| Completed ' || true
  fi
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "keeping cluster $CLUSTER_NAME (kind delete cluster --name $CLUSTER_NAME) and NFS server $NFS_SERVER (docker rm -f $NFS_SERVER; docker volume rm $NFS_SERVER)"
  else
    log "deleting cluster $CLUSTER_NAME and NFS server $NFS_SERVER"
    kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
    docker rm -f "$NFS_SERVER" >/dev/null 2>&1 || true
    docker volume rm "$NFS_SERVER" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT

# The cluster's configuration: the nodes, the mirror, and cgroup v1 hosts (kubelet ≥ 1.35 refuses them
# unless told otherwise).
cluster_config() {
  echo "kind: Cluster"
  echo "apiVersion: kind.x-k8s.io/v1alpha4"
  echo "nodes:"
  echo "- role: control-plane"
  for ((i = 0; i < WORKERS; i++)); do echo "- role: worker"; done
  if [[ -n ${REGISTRY_MIRROR:-} ]]; then
    echo "containerdConfigPatches:"
    echo "- |-"
    for registry in docker.io registry.k8s.io gcr.io; do
      echo "  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"$registry\"]"
      echo "    endpoint = [\"$REGISTRY_MIRROR\"]"
    done
  fi
  if [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]]; then
    echo "kubeadmConfigPatches:"
    echo "- |"
    echo "  kind: KubeletConfiguration"
    echo "  failCgroupV1: false"
  fi
}

log "cluster $CLUSTER_NAME (1 control plane, $WORKERS workers)"
if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  kind create cluster --name "$CLUSTER_NAME" --wait 180s --config <(cluster_config) ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi
kubectl config use-context "kind-$CLUSTER_NAME" >/dev/null

log "image $IMAGE"
[[ ${BUILD_IMAGE:-1} == 0 ]] || docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER_NAME"

# The NFS server: a container on kind's network (reachable from every node, as an NFS server beside a
# cluster is), exporting its volume at $nfs_ip:/exports; the examples use /exports/k8s, writable by the
# NFS agent's uid 65532. The nodes mount it with their kernel's NFS client (nfs-common, in kind's node
# image), or where the kernel has none, with the FUSE client of the project's node image.
log "NFS server $NFS_SERVER ($NFS_SERVER_IMAGE) on the kind network"
[[ ${BUILD_IMAGE:-1} == 0 ]] || docker build -t "$NFS_SERVER_IMAGE" hack/images/nfs-server
docker rm -f "$NFS_SERVER" >/dev/null 2>&1 || true
docker run -d --name "$NFS_SERVER" --network kind --cap-add DAC_READ_SEARCH --cap-add SYS_ADMIN -v "$NFS_SERVER:/export" "$NFS_SERVER_IMAGE" >/dev/null
nfs_ip=$(docker inspect -f '{{.NetworkSettings.Networks.kind.IPAddress}}' "$NFS_SERVER")
docker exec "$NFS_SERVER" sh -c 'mkdir -p /export/k8s && chown 65532:65532 /export/k8s'
start=$SECONDS
until docker logs "$NFS_SERVER" 2>&1 | grep -q 'NFS SERVER INITIALIZED'; do
  [[ $(docker inspect -f '{{.State.Running}}' "$NFS_SERVER") == true ]] || { docker logs "$NFS_SERVER" >&2; die "the NFS server exited"; }
  ((SECONDS - start < 60)) || die "the NFS server did not start in 60 s"
  sleep 1
done
log "NFS server serving $nfs_ip:/exports"

# kind's kubelets serve self-signed certificates, hence --kubelet-insecure-tls (as metrics-server's docs say).
log "metrics-server $METRICS_SERVER_VERSION"
kubectl apply -f "$METRICS_SERVER_MANIFEST" >/dev/null
kubectl -n kube-system set image deployment/metrics-server \
  "metrics-server=registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION" >/dev/null
kubectl -n kube-system patch deployment metrics-server --type=json \
  -p '[{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--kubelet-insecure-tls"}]' >/dev/null

# Controllers: the chart value (a YAML list) from $CONTROLLERS or from the example folders present.
if [[ -z ${CONTROLLERS:-} ]]; then
  controllers=()
  [[ -d examples/batch ]] && controllers+=(job cronjob)
  [[ -d examples/apps ]] && controllers+=(statefulset)
  [[ -d examples/autoscaling ]] && controllers+=(autoscaler)
  [[ -d examples/storage ]] && controllers+=(nfs)
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
kubectl -n kube-system rollout status deployment/metrics-server --timeout "$TIMEOUT"

log "examples"
kubectl create namespace "$EXAMPLES_NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
mapfile -t examples < <(find examples -name '*.yaml' | sort)
# An example as applied here: the NFS examples' placeholder server (10.0.0.5) is the server above.
manifest() { sed "s|10\.0\.0\.5|$nfs_ip|g" "$1"; }
for f in "${examples[@]}"; do
  manifest "$f" | kubectl -n "$EXAMPLES_NS" apply -f -
done

summary=()
record() { # ok|fail what seconds
  if [[ $1 == ok ]]; then summary+=("OK    $2 (${3}s)"); else summary+=("FAIL  $2"); fi
}
wait_for() { # resource name condition...
  local resource=$1 name=$2 start=$SECONDS
  shift 2
  if kubectl -n "$EXAMPLES_NS" wait "$resource/$name" "$@" --timeout "$TIMEOUT" >/dev/null; then
    record ok "$resource/$name $*" $((SECONDS - start))
  else
    record fail "$resource/$name: $* not reached in $TIMEOUT"
  fi
}
poll() { # what command...: until the command succeeds, at most $TIMEOUT
  local what=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start > ${TIMEOUT%s})); then record fail "$what: not reached in $TIMEOUT"; return 1; fi
    sleep 2
  done
  record ok "$what" $((SECONDS - start))
}
jsonpath() { kubectl -n "$EXAMPLES_NS" get "$1" -o jsonpath="$2"; }

# NFS: a provisioner is ready once its agent mounted the export (AgentReady) and the export answers.
nfs_ready() {
  local name=$1 class
  kubectl wait "nfsprovisioners.storage.tentacle.dev/$name" --for=condition=AgentReady --timeout "$TIMEOUT" >/dev/null &&
    kubectl wait "nfsprovisioners.storage.tentacle.dev/$name" --for=condition=Ready --timeout "$TIMEOUT" >/dev/null || return 1
  class=$(kubectl get "nfsprovisioners.storage.tentacle.dev/$name" -o jsonpath='{.spec.storageClassName}')
  [[ $(kubectl get storageclass "$class" -o jsonpath='{.provisioner}') == tentacle.dev/nfs ]]
}
# test-pod wrote SUCCESS into test-claim's directory: on the server's disk.
nfs_success_on_server() {
  docker exec "$NFS_SERVER" sh -c "ls /export/k8s/$EXAMPLES_NS-test-claim-pvc-*/SUCCESS" >/dev/null 2>&1
}
# The single-instance MySQL on NFS: a row written, the pod deleted, the row read by its replacement.
mysql_nfs_sql() { kubectl -n "$EXAMPLES_NS" exec deploy/mysql-nfs -- mysql -h 127.0.0.1 -uroot -ppassword -N -e "$1"; }
mysql_nfs_row() { [[ $(mysql_nfs_sql 'SELECT v FROM walk.t' 2>/dev/null) == 'on nfs' ]]; }
mysql_nfs_survives() {
  poll "mysql-nfs: a row written" mysql_nfs_sql \
    "CREATE DATABASE IF NOT EXISTS walk; CREATE TABLE IF NOT EXISTS walk.t (v VARCHAR(64)); INSERT INTO walk.t VALUES ('on nfs')" || return 0
  kubectl -n "$EXAMPLES_NS" delete pod -l app=mysql-nfs --wait=true >/dev/null
  kubectl -n "$EXAMPLES_NS" rollout status deployment/mysql-nfs --timeout "$TIMEOUT" >/dev/null
  poll "mysql-nfs: the row read by the replacement pod" mysql_nfs_row || true
}
# mysql: the replicated MySQL tutorial's check: a row written on the primary is read on the last replica.
replicated() {
  kubectl -n "$EXAMPLES_NS" exec mysql-2 -c mysql -- mysql -h 127.0.0.1 -N -e "SELECT message FROM test.messages" | grep -qx hello
}
mysql_replicates() {
  kubectl -n "$EXAMPLES_NS" exec mysql-0 -c mysql -- mysql -h 127.0.0.1 -e "CREATE DATABASE IF NOT EXISTS test;
    CREATE TABLE IF NOT EXISTS test.messages (message VARCHAR(250)); INSERT INTO test.messages VALUES ('hello');" &&
    poll "mysql: a row written on mysql-0 is read on mysql-2" replicated
}
# php-apache: the HorizontalPodAutoscaler walkthrough's load, until the HPA scales the Deployment up.
scaled_up() { (($(jsonpath deployment/php-apache '{.spec.replicas}') > 1)); }
php_apache_under_load() {
  wait_for horizontalpodautoscalers.autoscaling.tentacle.dev php-apache --for=condition=ScalingActive
  kubectl -n "$EXAMPLES_NS" run load-generator --image=busybox:1.28 --restart=Never -- \
    /bin/sh -c "while sleep 0.01; do wget -q -O- http://php-apache; done" >/dev/null
  poll "php-apache scaled above 1 replica under load" scaled_up || true
  kubectl -n "$EXAMPLES_NS" delete pod load-generator --wait=false >/dev/null
}

for f in "${examples[@]}"; do
  while read -r kind name; do
    [[ -n $kind ]] || continue
    case $f:$kind in
      */storage/*:NFSProvisioner) poll "NFSProvisioner $name: AgentReady and Ready on $nfs_ip:/exports/k8s" nfs_ready "$name" || true ;;
      */storage/*:PersistentVolumeClaim) wait_for persistentvolumeclaim "$name" --for=jsonpath='{.status.phase}'=Bound ;;
      */storage/*:Pod)
        wait_for pod "$name" --for=jsonpath='{.status.phase}'=Succeeded
        [[ $name == test-pod ]] && { poll "test-pod's SUCCESS on the NFS server's disk" nfs_success_on_server || true; }
        ;;
      */storage/*:Deployment)
        wait_for deployment "$name" --for=condition=Available
        [[ $name == mysql-nfs ]] && mysql_nfs_survives
        ;;
      *:Job) wait_for jobs.batch.tentacle.dev "$name" --for=condition=Complete ;;
      *:CronJob) wait_for cronjobs.batch.tentacle.dev "$name" --for=jsonpath='{.status.lastSuccessfulTime}' ;;
      *:StatefulSet)
        replicas=$(jsonpath "statefulsets.apps.tentacle.dev/$name" '{.spec.replicas}')
        wait_for statefulsets.apps.tentacle.dev "$name" --for=jsonpath="{.status.readyReplicas}=${replicas:-1}"
        [[ $name == mysql && $replicas == 3 ]] && { mysql_replicates || record fail "mysql replication"; }
        ;;
      *:HorizontalPodAutoscaler)
        if [[ $name == php-apache ]]; then
          php_apache_under_load
        else # a Prometheus metric: without that Prometheus, the HPA must say so and leave the target alone
          wait_for horizontalpodautoscalers.autoscaling.tentacle.dev "$name" --for=condition=ScalingActive=False
        fi
        ;;
      *) summary+=("-     $kind/$name: not a Tentacle object") ;;
    esac
  done < <(manifest "$f" | kubectl -n "$EXAMPLES_NS" apply -f - --dry-run=client -o jsonpath='{range .items[*]}{.kind}{" "}{.metadata.name}{"\n"}{end}{.kind}{" "}{.metadata.name}{"\n"}' 2>/dev/null | grep -v '^List ' | sort -u)
done

# The scheduler spread the examples' pods over the workers.
nodes_used=$(kubectl -n "$EXAMPLES_NS" get pods -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | grep -c . || true)
if ((WORKERS < 2 || nodes_used >= 2)); then record ok "pods ran on $nodes_used nodes" 0; else record fail "pods ran on $nodes_used node(s)"; fi

log "summary"
kubectl get nodes
kubectl get tentacle -n "$EXAMPLES_NS" || true
kubectl get pods -n "$EXAMPLES_NS" -o wide || true
printf '%s\n' "${summary[@]}"
if printf '%s\n' "${summary[@]}" | grep -q '^FAIL'; then
  die "some examples did not reach their expected state"
fi
log "all examples reached their expected state"
