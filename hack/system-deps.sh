#!/usr/bin/env bash
# Debian packages the project uses. Installs only what is missing.
#   hack/system-deps.sh             the local control plane and the tests
#   hack/system-deps.sh real-node   also the real node and the image builds: Docker engine (BuildKit),
#                                   containerd, runc, CNI plugins, iptables, debootstrap
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v setpriv >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
# The end-to-end tests run their own Prometheus (and promtool) on a free port; shellcheck checks hack/*.sh.
# Debian's package also starts a system service where systemd runs: harmless, the tests never use it.
[[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || need+=(prometheus)
command -v shellcheck >/dev/null || need+=(shellcheck)
# hack/kind/runc-bounded edits OCI specs with jq (its unit test runs everywhere).
command -v jq >/dev/null || need+=(jq)
if [[ ${1:-} == real-node ]]; then
  # Debian's engine and CLI (/usr/bin/docker): the CLI builds with BuildKit (DOCKER_BUILDKIT=1), which a
  # newer CLI without the buildx plugin cannot.
  [[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || need+=(docker.io)
  [[ -x /usr/bin/containerd && -x /usr/bin/ctr ]] || need+=(containerd)
  [[ -x /usr/sbin/runc ]] || need+=(runc)
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/firewall ]] || need+=(containernetworking-plugins)
  command -v iptables >/dev/null || need+=(iptables)
  command -v conntrack >/dev/null || need+=(conntrack)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v ip >/dev/null || need+=(iproute2)
fi
if ((${#need[@]})); then
  echo "[system-deps] installing ${need[*]}" >&2
  SUDO=$([[ $(id -u) -eq 0 ]] || echo sudo)
  $SUDO apt-get update -qq
  # Debian's packages would start their services where an init system runs; the project starts its
  # own instances, so keep the package scripts from starting any.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
