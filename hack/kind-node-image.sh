#!/usr/bin/env bash
# The offline kind node image and the images a kind cluster pulls, made without any registry.
#   hack/kind-node-image.sh build    builds them all (cached by Docker's build cache; rebuilt when a pinned
#                                    version or a recipe changes)
#   hack/kind-node-image.sh name     the node image's name (for `kind create cluster --image`)
#   hack/kind-node-image.sh images   every image the cluster pulls, one per line (for the registry mirror)
#
# The node image (hack/images/kind-node) is kind's layout on Debian packages with the pinned Kubernetes
# binaries. The images the cluster pulls carry the names kind and kubeadm use, so that the manifests stay
# unchanged: the control plane and kube-proxy (the pinned binaries), etcd and CoreDNS (the pinned builds,
# tagged as kubeadm expects), pause, metrics-server, local-path-provisioner and its helper, and a
# kindnetd stand-in (hack/images/kindnetd: kindnetd's source is not on the Go module proxy).
# Users with internet need none of this: kind's official node image and the registries serve them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=images.sh
source "$ROOT/hack/images.sh"
NODE_IMAGE_NAME=tentacle.local/kind-node:$KUBERNETES_VERSION
KIND_DIR=$(cd "$CACHE" && go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')

# kind_const NAME: the value of a string constant of kind's node-image builder (the image names).
kind_const() { sed -n "s/^const $1 = \"\(.*\)\"/\1/p" "$KIND_DIR"/pkg/build/nodeimage/const_*.go; }

# kind_manifest NAME: a manifest constant of kind's node-image builder, with the image names filled in.
kind_manifest() {
  awk -v name="$1" -v cni="$(kind_const kindnetdImage)" -v lpp="$(kind_const storageProvisionerImage)" \
    -v helper="$(kind_const storageHelperImage)" '
    $0 == "const " name " = `" { on = 1; next }
    on && $0 == "`" { exit }
    on {
      gsub(/` \+ kindnetdImage \+ `/, cni); gsub(/` \+ storageProvisionerImage \+ `/, lpp)
      gsub(/` \+ storageHelperImage \+ `/, helper); print
    }' "$KIND_DIR"/pkg/build/nodeimage/const_*.go
}

kubeadm_images() { "$ROOT/bin/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null; }

images() {
  kubeadm_images
  echo "registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION"
  kind_const kindnetdImage
  kind_const storageProvisionerImage
  kind_const storageHelperImage
}

# binary_image REF BINARY [PACKAGE...]: REF holding bin/BINARY as /usr/local/bin/<name> and its entrypoint,
# on the Debian base with the Debian PACKAGEs it needs.
binary_image() {
  local ref=$1 binary=$2 name ctx
  shift 2
  name=$(basename "$binary")
  ctx="$CACHE/build/image-$name"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -pL "$binary" "$ctx/$name"
  {
    echo "ARG BASE"
    echo "FROM \${BASE}"
    (($#)) && echo "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends $* && rm -rf /var/lib/apt/lists/*"
    echo "COPY $name /usr/local/bin/$name"
    echo "ENTRYPOINT [\"/usr/local/bin/$name\"]"
  } >"$ctx/Dockerfile"
  build --build-arg BASE="$BASE_IMAGE" -t "$ref" "$ctx"
  rm -rf "$ctx"
}

build_all() {
  local start=$SECONDS ref
  [[ -x $ROOT/bin/kind && -x $ROOT/bin/kubeadm && -x $ROOT/bin/local-path-provisioner && -x $ROOT/bin/tentacle-nfs-fuse ]] || "$ROOT/hack/tools.sh" kind
  debian_base
  stand_ins
  for ref in $(kubeadm_images); do
    case $ref in
      */kube-proxy:*) binary_image "$ref" "$ROOT/bin/kube-proxy" iptables conntrack ipset kmod ;;
      */kube-*:*) binary_image "$ref" "$ROOT/bin/$(basename "${ref%%:*}")" ;;
      */etcd:*) binary_image "$ref" "$ROOT/bin/etcd" ;;
      */coredns:*) binary_image "$ref" "$ROOT/bin/coredns" ;;
      */pause:*) has_image "$ref" || { log "kubeadm's $ref is not among the stand-ins"; exit 1; } ;;
      *) log "no recipe for kubeadm's image $ref"; exit 1 ;;
    esac
  done
  binary_image "registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION" "$ROOT/bin/metrics-server"
  binary_image "$(kind_const storageProvisionerImage)" "$ROOT/bin/local-path-provisioner"
  # kind's helper image is Debian with bash: the Debian base is exactly that.
  "$DOCKER" tag "$BASE_IMAGE" "$(kind_const storageHelperImage)"
  local ctx="$CACHE/build/kindnetd"
  rm -rf "$ctx"; cp -r "$IMAGES/kindnetd" "$ctx"; cp -pL "$ROOT/bin/kubectl" "$ctx/"
  build --build-arg BASE="$BASE_IMAGE" -t "$(kind_const kindnetdImage)" "$ctx"
  rm -rf "$ctx"

  ctx="$CACHE/build/kind-node"
  rm -rf "$ctx"; mkdir -p "$ctx/bin" "$ctx/manifests"
  cp -r "$IMAGES/kind-node/Dockerfile" "$ctx/"
  cp -r "$KIND_DIR/images/base/files" "$ctx/files"; rm -rf "$ctx/files/LICENSES"; chmod -R u+w "$ctx/files"
  cp -p "$ROOT/hack/kind/runc-bounded" "$ctx/"
  for b in kubeadm kubelet kubectl; do cp -pL "$ROOT/bin/$b" "$ctx/bin/"; done
  cp -pL "$ROOT/bin/crictl" "$ctx/"
  cp -pL "$ROOT/bin/tentacle-nfs-fuse" "$ROOT/hack/nfs-fuse/mount.nfs" "$ctx/"
  kind_manifest defaultCNIManifest >"$ctx/manifests/default-cni.yaml"
  kind_manifest defaultStorageManifest >"$ctx/manifests/default-storage.yaml"
  build --build-arg BASE="$BASE_IMAGE" --build-arg KUBERNETES_VERSION="$KUBERNETES_VERSION" \
    --build-arg PAUSE_IMAGE="$(pause_image)" -t "$NODE_IMAGE_NAME" "$ctx"
  rm -rf "$ctx"
  log "kind node image $NODE_IMAGE_NAME and the images it pulls ready ($((SECONDS - start)) s)"
}

case "${1:-}" in
  build) build_all ;;
  name) echo "$NODE_IMAGE_NAME" ;;
  images) images ;;
  *) echo "usage: $0 build | name | images" >&2; exit 2 ;;
esac
