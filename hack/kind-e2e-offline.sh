#!/usr/bin/env bash
# `make kind-e2e`: hack/kind-e2e.sh, unchanged, on a machine that reaches no container registry. Here the
# Docker engine (hack/docker.sh), the operator image, the offline kind node image and the images the
# cluster pulls (hack/kind-node-image.sh) are made locally and served by a local registry (the pinned
# distribution build) that every node's containerd uses as its mirror of docker.io, registry.k8s.io and
# gcr.io. Afterwards the cluster, the registry, the `kind` network (if this run created it), the operator
# image and the engine (if started here) are gone, and the host is checked for leftovers.
# Environment: as hack/kind-e2e.sh (CLUSTER_NAME, WORKERS, KEEP_CLUSTER, TIMEOUT, ...).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# Debian's docker CLI first (it pairs with Debian's engine), the pinned binaries before it.
export PATH="$ROOT/bin:/usr/bin:$PATH"
# shellcheck source=versions.env
source hack/versions.env
CACHE=${TENTACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tentacle}
STATE=${TENTACLE_KIND_STATE:-$ROOT/.dev/kind-e2e}
IMAGE=tentacle:e2e
NFS_SERVER_IMAGE=tentacle.local/nfs-server:e2e
# kind's kubeconfig entry goes to a file of this run, not to the user's ~/.kube/config.
export KUBECONFIG="$STATE/kubeconfig"
log() { printf '[kind-e2e-offline] %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "needs root (it may start the Docker engine); run: sudo make kind-e2e"; exit 1; }

before=$(hack/host-snapshot.sh)
start=$SECONDS
engine_started=0 registry_pid="" network_created=0
hack/docker.sh status >/dev/null 2>&1 || engine_started=1
source "$ROOT/hack/cleanup.sh"
# shellcheck disable=SC2317 # called by cleanup_on_exit and cleanup_now
stop() {
  if [[ -n $registry_pid ]]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true; fi
  if [[ ${KEEP_CLUSTER:-0} != 1 ]]; then
    ((network_created)) && docker network rm kind >/dev/null 2>&1
    docker image rm "$IMAGE" "$NFS_SERVER_IMAGE" >/dev/null 2>&1 || true
    ((engine_started)) && hack/docker.sh down
  fi
  rm -rf "$STATE"
}
cleanup_on_exit stop

hack/docker.sh up
docker network inspect kind >/dev/null 2>&1 || network_created=1
hack/images.sh operator "$IMAGE"
hack/images.sh nfs-server "$NFS_SERVER_IMAGE"
hack/kind-node-image.sh build

# The registry: on every address, because the nodes reach it at the host's address and Docker pushes to
# 127.0.0.1 (the one place it speaks plain HTTP to without configuration).
mkdir -p "$STATE"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
host_ip=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([^ ]*\).*/\1/p')
[[ -n $host_ip ]] || host_ip=$(hostname -I | awk '{print $1}')
cat >"$STATE/registry.yaml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $CACHE/kind-registry}, delete: {enabled: true}}
http: {addr: ":$port"}
YAML
bin/registry serve "$STATE/registry.yaml" >"$STATE/registry.log" 2>&1 &
registry_pid=$!
until curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do
  kill -0 "$registry_pid" 2>/dev/null || { cat "$STATE/registry.log" >&2; log "the registry exited"; exit 1; }
  sleep 0.2
done
mapfile -t refs < <(hack/kind-node-image.sh images; hack/images.sh list)
hack/images.sh push "127.0.0.1:$port" "${refs[@]}"

# metrics-server's own manifests, from its Go module (the release's components.yaml is a download).
ms_dir=$(cd "$CACHE" && go mod download -json "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
kubectl kustomize "$ms_dir/manifests/base" >"$STATE/metrics-server.yaml"

log "set-up took $((SECONDS - start)) s; registry mirror http://$host_ip:$port"
status=0
BUILD_IMAGE=0 IMAGE=$IMAGE NFS_SERVER_IMAGE=$NFS_SERVER_IMAGE KIND_NODE_IMAGE=$(hack/kind-node-image.sh name) REGISTRY_MIRROR="http://$host_ip:$port" \
  METRICS_SERVER_MANIFEST="$STATE/metrics-server.yaml" hack/kind-e2e.sh || status=$?

if [[ ${KEEP_CLUSTER:-0} != 1 ]]; then
  leaks=$(docker ps -a --filter "label=io.x-k8s.kind.cluster" --format '{{.Names}}' | sed 's/^/container /')
  leaks+=$(docker ps -a --filter "name=-nfs$" --format '{{.Names}}' | sed 's/^/\ncontainer /')
  leaks+=$(docker volume ls --filter "name=-nfs$" --format '{{.Name}}' | sed 's/^/\nvolume /')
  cleanup_now
  after=$(hack/host-snapshot.sh)
  leaks+=$(diff <(echo "$before") <(echo "$after") | grep '^>' || true)
  if ((engine_started)); then # the engine and everything it ran are gone: no shim, no container mount
    leaks+=$(pgrep -a -f 'dockerd|containerd-shim' | sed 's/^/\nprocess /' || true)
    leaks+=$(awk '$5 ~ "^(/run/tentacle-docker|/var/lib/docker)" { print "\nmount " $5 }' /proc/self/mountinfo)
  fi
  if [[ -n $leaks ]]; then
    log "left behind:"; echo "$leaks" >&2; status=1
  else
    log "nothing left behind (containers, processes, mounts, network devices, network namespaces, iptables rules)"
  fi
fi
log "kind-e2e took $((SECONDS - start)) s"
exit "$status"
