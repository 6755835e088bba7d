# Everything runs with the project's own Node.js and pinned binaries first on PATH.
SHELL := /usr/bin/env bash
export PATH := $(CURDIR)/bin:$(PATH)

.PHONY: all dev dev-real test deps deps-real-node deps-kind kind-e2e tools lint typecheck test-unit test-integration test-example test-real-node build docs image stand-in-images docker-down chart-crds chaos fuzz clean cluster-up cluster-down help

all: test

help:
	@echo "make dev               control plane + CRDs + operator in the foreground (Ctrl-C stops all)"
	@echo "make dev-real          control plane + a real node + the operator installed by its Helm chart (root)"
	@echo "make test              lint, typecheck, unit, integration, real-node and kind e2e tests"
	@echo "make chaos             the full chaos run (test/chaos): leader kills, API-server restarts, etcd compaction; CHAOS_RUNS=3 for three in a row"
	@echo "make fuzz              1,000 generated objects per kind against admission and the operator (test/fuzz); FUZZ_SEED=N repeats a run"
	@echo "make kind-e2e          the users' quick-start (hack/kind-e2e.sh) on a 3-node kind cluster, offline (root)"
	@echo "make image             the operator image tentacle:dev (BuildKit; offline from a local Node base)"
	@echo "make docker-down       stop the Docker engine that make image started"
	@echo "make deps              Node.js 24, npm packages, system packages, pinned binaries"
	@echo "make cluster-up|down   the dev control plane alone (.dev/kubeconfig)"
	@echo "make chart-crds        copy crds/ into the Helm chart (charts/tentacle/files/crds)"
	@echo "make docs              the API reference of tentacle/runtime and tentacle/testing (typedoc) in docs/api/"

bin/node: hack/node.sh hack/versions.env
	hack/node.sh

node_modules/.installed: package.json package-lock.json bin/node
	npm ci --no-audit --no-fund
	touch $@

deps: bin/node node_modules/.installed tools
	hack/system-deps.sh

tools: bin/node
	hack/tools.sh

deps-real-node: deps
	hack/system-deps.sh real-node
	hack/tools.sh real-node

deps-kind: deps-real-node
	hack/tools.sh kind

lint: node_modules/.installed
	npx eslint .

typecheck: node_modules/.installed
	npx tsc -p tsconfig.json --noEmit

build: node_modules/.installed
	hack/build.sh

# The API reference (typedoc.json): generated, not committed; docs/runtime.md is its front page.
docs: node_modules/.installed
	npx typedoc

# The chart's copy of crds/ (Helm cannot read outside the chart); test/e2e/chart.test.ts checks it.
chart-crds:
	hack/sync-chart-crds.sh

# Jest (jest.config.js) runs ES modules only with Node's --experimental-vm-modules.
test-unit: node_modules/.installed
	node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --verbose --selectProjects unit

test-integration: deps
	hack/test-integration.sh

# examples/operator against the packed package, with its own Jest tests and control plane.
test-example: deps
	hack/test-example.sh

# The full chaos run (the short one is in test-integration); CHAOS_RUNS=N runs it N times in a row.
CHAOS_RUNS ?= 1
chaos: deps
	node test/chaos/chaos.ts --runs $(CHAOS_RUNS)

# The full fuzz run (the short one is in test-integration).
fuzz: deps
	node test/fuzz/run.ts $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# Real containers on a real node (root): the chart's operator pods and the classic manifests.
test-real-node: deps-real-node
	hack/test-real-node.sh

# hack/kind-e2e.sh as users run it, here with locally made images behind a local registry mirror.
kind-e2e: deps-kind
	hack/kind-e2e-offline.sh

test: deps lint typecheck test-unit test-integration test-example test-real-node kind-e2e

dev: deps
	hack/dev.sh

dev-real: deps-real-node
	hack/dev-real.sh

# Leaves the Docker engine running (if it started one) so that `docker run tentacle:dev` works.
image: bin/node
	hack/docker.sh up
	hack/images.sh operator tentacle:dev

stand-in-images: bin/node
	hack/docker.sh up
	hack/images.sh stand-ins

docker-down:
	hack/docker.sh down

cluster-up: deps
	hack/dev-cluster.sh up

cluster-down:
	hack/dev-cluster.sh down

clean:
	-hack/dev-cluster.sh down
	rm -rf dist .dev node_modules bin
