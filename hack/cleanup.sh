# shellcheck shell=bash
# Sourced by scripts that start things: `cleanup_on_exit FN` runs FN exactly once, whole, when the
# script ends, whether it exits or gets INT or TERM (then it exits 130 afterwards), or earlier when the
# script calls `cleanup_now`.
#
# Why not `trap FN EXIT; trap 'exit 130' INT TERM`: signals come in pairs. A TERM to the process group
# (an IDE, `timeout`, a process manager) reaches the script and make, and make passes its own on a few
# milliseconds later. If the second lands as bash is about to run the EXIT trap, its handler's `exit`
# runs inside it and bash exits before FN's first line (seen in `make dev`: the control plane left
# running). Here a signal handler never exits while a cleanup is under way, and FN runs with INT and
# TERM ignored, so none can cut it short.
_cleanup_fn=''
_cleanup_started=0

cleanup_on_exit() {
  _cleanup_fn=$1
  trap _cleanup_run EXIT
  trap _cleanup_on_signal INT TERM
}

# Runs the cleanup now (a script that checks for leftovers before it ends); it will not run again.
cleanup_now() {
  _cleanup_run
}

_cleanup_run() {
  ((_cleanup_started)) && return 0
  _cleanup_started=1
  trap '' INT TERM
  # Every step is tried: under `||`, errexit does not stop the cleanup at its first failing command,
  # and the script's own exit status stands.
  "$_cleanup_fn" || true
}

_cleanup_on_signal() {
  # A signal handled while the cleanup runs (it was pending before the ignore took effect) returns,
  # and the cleanup goes on.
  ((_cleanup_started)) && return 0
  _cleanup_run
  exit 130
}
