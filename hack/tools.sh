#!/usr/bin/env bash
# Provides the pinned binaries in bin/: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, kubelet, kube-proxy, kubeadm (real and kind nodes), kwok, helm, metrics-server, for the
# offline kind cluster: kind and local-path-provisioner, and for real NFS (hack/cluster/nfs-server.ts):
# NFS-Ganesha with rpcbind and the project's FUSE NFS client, tentacle-nfs-fuse (hack/nfs-fuse).
#
# Each binary is taken, in this order, from:
#   1. an explicit directory: $TENTACLE_TOOLS_DIR/<binary> (any version you vouch for);
#   2. the cache outside the checkout: $TENTACLE_CACHE/<name>-<version>/<binary>;
#   3. the official release download (checksum-verified);
#   4. a build from the Go modules with the local Go toolchain (minutes the first time; progress shown).
# The cache survives fresh clones, so only the first checkout on a machine pays for 3 or 4.
#
# Usage: hack/tools.sh [all|control-plane|helm|metrics-server|real-node|kind|nfs]   (default: all)
#   real-node: crictl, coredns and registry (the image registry the real node pulls from), besides
#   kubelet and kube-proxy, which come with the control-plane binaries.
#   kind: kind, and what hack/kind-node-image.sh bakes into images: the Kubernetes binaries (kubeadm,
#   kubelet, …), etcd, coredns, metrics-server, local-path-provisioner, crictl and registry.
#   nfs: tentacle-nfs-fuse, and NFS-Ganesha + rpcbind unpacked from Debian's packages (part of
#   real-node and kind). Nothing is installed on the machine: the packages are unpacked into the cache.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
source "$ROOT/hack/versions.env"
CACHE=${TENTACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tentacle}
BIN="$ROOT/bin"
OS=linux
ARCH=$(go env GOARCH 2>/dev/null || echo amd64)
mkdir -p "$CACHE" "$BIN"

log() { printf '[tools] %s\n' "$*" >&2; }

# Links $2 (a file) as bin/$1.
link() { ln -sfn "$2" "$BIN/$1"; }

# Prints the cached path of binary $1 of tool dir $2 if it is there already (or provided by the user).
present() {
  local bin=$1 dir=$2
  if [[ -n "${TENTACLE_TOOLS_DIR:-}" && -x "$TENTACLE_TOOLS_DIR/$bin" ]]; then
    echo "$TENTACLE_TOOLS_DIR/$bin"; return 0
  fi
  if [[ -x "$CACHE/$dir/$bin" ]]; then echo "$CACHE/$dir/$bin"; return 0; fi
  return 1
}

# download URL DEST [SHA256-URL]: fetches into DEST, verifying the checksum when one is published.
download() {
  local url=$1 dest=$2 sumurl=${3:-} tmp
  tmp=$(mktemp)
  if ! curl -fsSL --connect-timeout 5 --retry 2 -o "$tmp" "$url" 2>/dev/null; then
    rm -f "$tmp"; return 1
  fi
  if [[ -n "$sumurl" ]]; then
    local want
    want=$(curl -fsSL --connect-timeout 5 "$sumurl" 2>/dev/null | awk '{print $1}') || true
    if [[ -z "$want" || "$(sha256sum "$tmp" | awk '{print $1}')" != "$want" ]]; then
      log "checksum mismatch for $url"; rm -f "$tmp"; return 1
    fi
  fi
  mkdir -p "$(dirname "$dest")"
  mv "$tmp" "$dest"
}

# go_build DIR MODULE VERSION LDFLAGS REPLACES PKG...: builds PKGs of MODULE@VERSION into $CACHE/DIR
# through a throwaway wrapper module (so the module's own replace directives do not matter), printing
# a progress line every 100 compiled packages.
go_build() {
  local dir=$1 module=$2 version=$3 ldflags=$4 replaces=$5; shift 5
  local work="$CACHE/build/$dir"
  rm -rf "$work"; mkdir -p "$work"
  {
    echo "module tentacle.dev/toolbuild"
    echo "go 1.26"
    echo "require $module $version"
    [[ -n "$replaces" ]] && printf '%s\n' "$replaces"
  } >"$work/go.mod"
  log "building $* from $module@$version (first time only; this takes minutes)"
  (
    cd "$work"
    go mod download "$module" >/dev/null
    # `go get` on each package resolves and records exactly the dependencies the build needs.
    go get "${@/%/@$version}" >/dev/null 2>&1 || go get "$@" >/dev/null
    mkdir -p "$CACHE/$dir.tmp"
    CGO_ENABLED=0 go build -v -trimpath -ldflags "-s -w $ldflags" -o "$CACHE/$dir.tmp/" "$@" 2>&1 |
      awk '{ n++; if (n % 100 == 0) { printf "[tools]   %s: %d packages compiled\n", dir, n; fflush() } }
           /^#|\.go:[0-9]+:|cannot / { print; fflush() }' dir="$dir" >&2
    exit "${PIPESTATUS[0]}"
  )
  rm -rf "${CACHE:?}/$dir"; mv "$CACHE/$dir.tmp" "$CACHE/$dir"
  rm -rf "$work"
}

kubernetes() {
  local v=$KUBERNETES_VERSION dir="kubernetes-$KUBERNETES_VERSION"
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy kubeadm) missing=()
  for b in "${bins[@]}"; do present "$b" "$dir" >/dev/null || missing+=("$b"); done
  if ((${#missing[@]})); then
    local ok=1
    for b in "${missing[@]}"; do
      download "https://dl.k8s.io/release/$v/bin/$OS/$ARCH/$b" "$CACHE/$dir/$b" \
        "https://dl.k8s.io/release/$v/bin/$OS/$ARCH/$b.sha256" || { ok=0; break; }
      chmod +x "$CACHE/$dir/$b"
    done
    if ((!ok)); then
      log "release download unavailable; building Kubernetes $v from the Go modules"
      # The staging modules (k8s.io/api, …) are published with the matching v0 version.
      local staging="v0.${v#v1.}" gomod replaces
      gomod=$(cd "$CACHE" && go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      replaces=$(awk '/=> \.\/staging\/src\// {print "replace " $1 " => " $1 " '"$staging"'"}' "$gomod")
      local major minor
      major=$(echo "$v" | cut -d. -f1 | tr -d v); minor=$(echo "$v" | cut -d. -f2)
      local ld=""
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
        ld+=" -X $p.buildDate=1970-01-01T00:00:00Z"
      done
      go_build "$dir" k8s.io/kubernetes "$v" "$ld" "$replaces" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
        k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubeadm
    fi
  fi
  for b in "${bins[@]}"; do link "$b" "$(present "$b" "$dir")"; done
}

etcd() {
  local v=$ETCD_VERSION dir="etcd-$ETCD_VERSION"
  if ! present etcd "$dir" >/dev/null; then
    local tgz="$CACHE/etcd-$v.tar.gz"
    if download "https://github.com/etcd-io/etcd/releases/download/$v/etcd-$v-$OS-$ARCH.tar.gz" "$tgz"; then
      mkdir -p "$CACHE/$dir"
      tar -xzf "$tgz" -C "$CACHE/$dir" --strip-components=1 "etcd-$v-$OS-$ARCH/etcd"
      rm -f "$tgz"
    else
      log "release download unavailable; building etcd $v from the Go modules"
      go_build "$dir" go.etcd.io/etcd/server/v3 "$v" "" "" go.etcd.io/etcd/server/v3
      mv "$CACHE/$dir/v3" "$CACHE/$dir/etcd" 2>/dev/null || mv "$CACHE/$dir/server" "$CACHE/$dir/etcd"
    fi
  fi
  link etcd "$(present etcd "$dir")"
}

kwok() {
  local v=$KWOK_VERSION dir="kwok-$KWOK_VERSION"
  if ! present kwok "$dir" >/dev/null; then
    if ! download "https://github.com/kubernetes-sigs/kwok/releases/download/$v/kwok-$OS-$ARCH" "$CACHE/$dir/kwok"; then
      log "release download unavailable; building kwok $v from the Go modules"
      go_build "$dir" sigs.k8s.io/kwok "$v" "-X sigs.k8s.io/kwok/pkg/consts.Version=$v" "" sigs.k8s.io/kwok/cmd/kwok
    fi
    chmod +x "$CACHE/$dir/kwok"
  fi
  link kwok "$(present kwok "$dir")"
}

helm() {
  local v=$HELM_VERSION dir="helm-$HELM_VERSION"
  if ! present helm "$dir" >/dev/null; then
    local tgz="$CACHE/helm-$v.tar.gz"
    if download "https://get.helm.sh/helm-$v-$OS-$ARCH.tar.gz" "$tgz" "https://get.helm.sh/helm-$v-$OS-$ARCH.tar.gz.sha256sum"; then
      mkdir -p "$CACHE/$dir"
      tar -xzf "$tgz" -C "$CACHE/$dir" --strip-components=1 "$OS-$ARCH/helm"
      rm -f "$tgz"
    else
      log "release download unavailable; building helm $v from the Go modules"
      go_build "$dir" helm.sh/helm/v4 "$v" "-X helm.sh/helm/v4/internal/version.version=$v" "" helm.sh/helm/v4/cmd/helm
    fi
  fi
  link helm "$(present helm "$dir")"
}

# tarball_or_build NAME VERSION URL MEMBER MODULE LDFLAGS PKG: NAME from the release tarball at URL (the
# file MEMBER in it), else built from MODULE@VERSION; the binary is renamed to NAME.
tarball_or_build() {
  local name=$1 v=$2 url=$3 member=$4 module=$5 ld=$6 pkg=$7 dir="$1-$2"
  if ! present "$name" "$dir" >/dev/null; then
    local tgz="$CACHE/$dir.tar.gz"
    if download "$url" "$tgz"; then
      mkdir -p "$CACHE/$dir"
      tar -xzf "$tgz" -C "$CACHE/$dir" "$member"
      [[ $member == "$name" ]] || mv "$CACHE/$dir/$member" "$CACHE/$dir/$name"
      rm -f "$tgz"
    else
      log "release download unavailable; building $name $v from the Go modules"
      go_build "$dir" "$module" "$v" "$ld" "" "$pkg"
      local built
      built=$(basename "$pkg")
      [[ $built == "$name" ]] || mv "$CACHE/$dir/$built" "$CACHE/$dir/$name"
    fi
  fi
  link "$name" "$(present "$name" "$dir")"
}

crictl() {
  local v=$CRI_TOOLS_VERSION
  tarball_or_build crictl "$v" \
    "https://github.com/kubernetes-sigs/cri-tools/releases/download/$v/crictl-$v-$OS-$ARCH.tar.gz" crictl \
    sigs.k8s.io/cri-tools "-X sigs.k8s.io/cri-tools/pkg/version.Version=$v" sigs.k8s.io/cri-tools/cmd/crictl
}

coredns() {
  local v=$COREDNS_VERSION
  tarball_or_build coredns "$v" \
    "https://github.com/coredns/coredns/releases/download/$v/coredns_${v#v}_${OS}_$ARCH.tgz" coredns \
    github.com/coredns/coredns "" github.com/coredns/coredns
}

registry() {
  local v=$DISTRIBUTION_VERSION
  tarball_or_build registry "$v" \
    "https://github.com/distribution/distribution/releases/download/$v/registry_${v#v}_${OS}_$ARCH.tar.gz" registry \
    github.com/distribution/distribution/v3 "-X github.com/distribution/distribution/v3/version.version=$v" \
    github.com/distribution/distribution/v3/cmd/registry
}

metrics_server() {
  local v=$METRICS_SERVER_VERSION dir="metrics-server-$METRICS_SERVER_VERSION"
  if ! present metrics-server "$dir" >/dev/null; then
    # Released only as a container image, so always built here.
    log "building metrics-server $v from the Go modules"
    go_build "$dir" sigs.k8s.io/metrics-server "$v" "" "" sigs.k8s.io/metrics-server/cmd/metrics-server
  fi
  link metrics-server "$(present metrics-server "$dir")"
}

kind() {
  local v=$KIND_VERSION dir="kind-$KIND_VERSION"
  if ! present kind "$dir" >/dev/null; then
    if ! download "https://kind.sigs.k8s.io/dl/$v/kind-$OS-$ARCH" "$CACHE/$dir/kind" \
      "https://github.com/kubernetes-sigs/kind/releases/download/$v/kind-$OS-$ARCH.sha256sum"; then
      log "release download unavailable; building kind $v from the Go modules"
      go_build "$dir" sigs.k8s.io/kind "$v" "" "" sigs.k8s.io/kind
    fi
    chmod +x "$CACHE/$dir/kind"
  fi
  link kind "$(present kind "$dir")"
}

local_path_provisioner() {
  local v=$LOCAL_PATH_PROVISIONER_VERSION dir="local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION"
  if ! present local-path-provisioner "$dir" >/dev/null; then
    # Released only as a container image, so always built here.
    log "building local-path-provisioner $v from the Go modules"
    go_build "$dir" github.com/rancher/local-path-provisioner "$v" "-X main.VERSION=$v" "" \
      github.com/rancher/local-path-provisioner
  fi
  link local-path-provisioner "$(present local-path-provisioner "$dir")"
}

# debian_unpack DIR PACKAGE...: Debian's PACKAGEs (this machine's apt sources) unpacked into DIR/root,
# nothing installed. Only the packages named: their other dependencies are the machine's own libraries.
debian_unpack() {
  local dir=$1 debs
  shift
  debs=$(mktemp -d)
  if ! (cd "$debs" && apt-get download "$@" >/dev/null 2>&1); then
    log "apt-get download $* failed; updating the package lists"
    apt-get update -qq >/dev/null
    (cd "$debs" && apt-get download "$@" >/dev/null) || { rm -rf "$debs"; log "cannot download $*"; exit 1; }
  fi
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/root"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir.tmp/root"; done
  rm -rf "$debs" "$dir"; mv "$dir.tmp" "$dir"
}

# Candidate versions of Debian packages, as one cache key (the package lists are read first if missing).
debian_versions() {
  local v
  v=$(apt-cache policy "$@" 2>/dev/null | awk '/Candidate:/ { printf "%s-", $2 }')
  if [[ -z $v || $v == *"(none)"* ]]; then
    apt-get update -qq >/dev/null
    v=$(apt-cache policy "$@" 2>/dev/null | awk '/Candidate:/ { printf "%s-", $2 }')
  fi
  printf %s "${v%-}" | tr -c 'A-Za-z0-9.+~-' _
}

# The userspace NFS server: NFS-Ganesha (VFS backend) and rpcbind with the libraries Debian's minimal
# machines lack; bin/nfs-server is its root (usr/bin/ganesha.nfsd, sbin/rpcbind, the libraries).
NFS_SERVER_PACKAGES=(nfs-ganesha nfs-ganesha-vfs rpcbind libntirpc4.3 liburcu8 libwbclient0 libnfsidmap1 libwrap0 libtirpc3)
nfs_server() {
  local dir
  dir="$CACHE/nfs-server-$(debian_versions nfs-ganesha rpcbind)"
  if [[ ! -x $dir/root/usr/bin/ganesha.nfsd ]]; then
    log "unpacking NFS-Ganesha and rpcbind from Debian's packages"
    debian_unpack "$dir" "${NFS_SERVER_PACKAGES[@]}"
  fi
  ln -sfn "$dir/root" "$BIN/nfs-server"
}

# tentacle-nfs-fuse, built with gcc against Debian's libnfs and libfuse3 (unpacked into the cache; the
# binary finds them there through its rpath, and in an image that installs libnfs13 and libfuse3-3).
nfs_client() {
  local src="$ROOT/hack/nfs-fuse/nfs-fuse.c" dir key
  key="$(sha256sum "$src" | cut -c1-12)-$(debian_versions libnfs-dev libfuse3-dev)"
  dir="$CACHE/nfs-fuse-$key"
  if ! present tentacle-nfs-fuse "$(basename "$dir")" >/dev/null; then
    command -v gcc >/dev/null || { log "gcc is needed to build tentacle-nfs-fuse (apt-get install gcc)"; exit 1; }
    log "building tentacle-nfs-fuse against Debian's libnfs and libfuse3"
    debian_unpack "$dir" libnfs13 libnfs-dev libfuse3-3 libfuse3-dev
    local sys="$dir/root" lib=x86_64-linux-gnu
    lib=$(gcc -print-multiarch 2>/dev/null || echo "$lib")
    gcc -O2 -Wall -Wextra -std=gnu11 -I"$sys/usr/include" -I"$sys/usr/include/fuse3" -o "$dir/tentacle-nfs-fuse" "$src" \
      "$sys/usr/lib/$lib/libnfs.so.13" "$sys/lib/$lib/libfuse3.so.3" -Wl,-rpath,"$sys/usr/lib/$lib:$sys/lib/$lib"
  fi
  link tentacle-nfs-fuse "$dir/tentacle-nfs-fuse"
}

case "${1:-all}" in
  control-plane) etcd; kwok; kubernetes; metrics_server ;;
  helm) helm ;;
  metrics-server) metrics_server ;;
  real-node) kubernetes; crictl; coredns; registry; nfs_server; nfs_client ;;
  kind) etcd; kubernetes; metrics_server; crictl; coredns; registry; kind; local_path_provisioner; nfs_client ;;
  nfs) nfs_server; nfs_client ;;
  all) etcd; kwok; kubernetes; helm; metrics_server ;;
  *) echo "usage: $0 [all|control-plane|helm|metrics-server|real-node|kind|nfs]" >&2; exit 2 ;;
esac
log "binaries ready in bin/"
