#!/usr/bin/env bash
# A Docker engine for the project's image builds and kind.
#   hack/docker.sh up     uses the engine that answers on $DOCKER_HOST (default /var/run/docker.sock);
#                         when none does, starts Debian's dockerd in the background and records its PID
#   hack/docker.sh down   stops the dockerd that `up` started (by PID), and nothing else
#   hack/docker.sh status whether an engine answers, and whether this script started it
# The dockerd started here changes no host networking (--bridge=none, --iptables=false): builds use the
# host's network (`docker build --network=host`), so no iptables rule or bridge is left behind.
# Its data root is Docker's default (/var/lib/docker), so images and the build cache survive it.
# On a machine whose capability bounding set lacks capabilities (a VM without CAP_SYS_RESOURCE), privileged
# containers such as kind's nodes cannot start with plain runc: the engine started here then runs
# containers through hack/kind/runc-bounded, which drops exactly the missing capabilities.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${TENTACLE_DOCKER_STATE:-/run/tentacle-docker}
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
# Debian's CLI: it builds with BuildKit; a newer CLI without the buildx plugin falls back to the legacy builder.
DOCKER=/usr/bin/docker

log() { printf '[docker] %s\n' "$*" >&2; }
answers() { timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
ours() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
# Whether the bounding set lacks a capability that exists in this kernel.
caps_missing() {
  local last bounding
  last=$(cat /proc/sys/kernel/cap_last_cap)
  bounding=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
  ((bounding != (1 << (last + 1)) - 1))
}

up() {
  [[ -x /usr/sbin/dockerd ]] || "$ROOT/hack/system-deps.sh" real-node
  if answers; then return 0; fi
  if [[ $(id -u) -ne 0 ]]; then
    log "no Docker engine answers and starting one needs root: start Docker (e.g. systemctl start docker) or run as root"
    exit 1
  fi
  mkdir -p "$STATE"
  local runtime=()
  if caps_missing; then
    command -v jq >/dev/null || "$ROOT/hack/system-deps.sh"
    runtime=(--add-runtime "runc-bounded=$ROOT/hack/kind/runc-bounded" --default-runtime=runc-bounded)
  fi
  log "starting dockerd (log: $LOG)"
  setsid /usr/sbin/dockerd --pidfile="$PIDFILE" --bridge=none --iptables=false --ip-forward=false \
    --ip-masq=false --exec-root="$STATE/exec" "${runtime[@]}" >>"$LOG" 2>&1 </dev/null &
  local start=$SECONDS
  until answers; do
    if ! kill -0 $! 2>/dev/null; then log "dockerd exited; last lines of $LOG:"; tail -20 "$LOG" >&2; exit 1; fi
    if ((SECONDS - start > 60)); then log "dockerd not ready after 60 s; see $LOG"; exit 1; fi
    sleep 0.2
  done
  log "dockerd ready (pid $(cat "$PIDFILE"), $((SECONDS - start)) s)"
}

# dockerd leaves the bind mount of the host's network namespace (exec-root/netns/default) behind.
unmount_leftovers() {
  awk -v root="$STATE/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mount; do umount "$mount" || umount --lazy "$mount"; done
}

down() {
  if ! ours; then
    rm -f "$PIDFILE"
    answers || unmount_leftovers
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "dockerd $pid still running after 30 s; killing it"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  unmount_leftovers
  log "dockerd $pid stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    if answers; then echo "engine answers$(ours && echo ", started by hack/docker.sh (pid $(cat "$PIDFILE"))")"; else echo "no engine"; exit 1; fi
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
