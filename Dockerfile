# The Tentacle operator image: TypeScript compiled to dist/ (tsc -p tsconfig.build.json), production
# dependencies only, run as the non-root uid 65532 with `node dist/main.js`.
#   docker build -t tentacle:dev .          (BuildKit: Docker ≥ 23, or DOCKER_BUILDKIT=1 on 20.10+)
#   make image                              (the same build; offline it uses a locally made Node base)
# NODE_IMAGE is any image with node ≥ 24 and npm under /usr/local (the official node images' layout).
# No `# syntax=` line: BuildKit's built-in frontend handles RUN --mount, and needs no registry.
ARG NODE_IMAGE=node:24-alpine

# 1. Compile: every dependency (typescript is a dev dependency), then tsc.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The npm cache is a cache mount (never a layer, never removed: it is a mount point). An optional build
# secret `ca` adds a CA bundle for registries behind a TLS-intercepting proxy:
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# 3. Runtime: node, package.json (ESM "type": "module"), node_modules and dist/ — nothing else.
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="tentacle" \
      org.opencontainers.image.description="Kubernetes built-in controllers re-implemented as custom resources on a TypeScript operator runtime" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
# npm and corepack are not needed at run time; removing them shrinks the image and its CVE surface.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "--enable-source-maps", "dist/main.js"]
