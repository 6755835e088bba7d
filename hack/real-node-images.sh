#!/usr/bin/env bash
# hack/real-node-images.sh COMMAND...: builds the images a real node serves (the stand-ins and tentacle:dev)
# on a Docker engine, runs COMMAND (which pushes them: `cli.ts up --real-node`), and stops the engine
# afterwards if it was started here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
started=0
"$ROOT/hack/docker.sh" status >/dev/null 2>&1 || started=1
"$ROOT/hack/docker.sh" up
((started)) && trap '"$ROOT/hack/docker.sh" down' EXIT
"$ROOT/hack/images.sh" stand-ins
"$ROOT/hack/images.sh" operator "${OPERATOR_IMAGE:-tentacle:dev}"
"$@"
