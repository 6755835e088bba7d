#!/usr/bin/env bash
# Debian packages the local control plane and the tests use. Installs only what is missing.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v setpriv >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
# The end-to-end tests run their own Prometheus (and promtool) on a free port; shellcheck checks hack/*.sh.
# Debian's package also starts a system service where systemd runs: harmless, the tests never use it.
[[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || need+=(prometheus)
command -v shellcheck >/dev/null || need+=(shellcheck)
if ((${#need[@]})); then
  echo "[system-deps] installing ${need[*]}" >&2
  SUDO=$([[ $(id -u) -eq 0 ]] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
