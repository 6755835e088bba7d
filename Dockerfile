# syntax=docker/dockerfile:1
# The Tentacle operator image: TypeScript compiled to dist/ by `make build` (tsc -p tsconfig.build.json),
# production dependencies only, run as the non-root uid 65532 with `node dist/main.js`.
#   docker build -t tentacle:dev .        (hack/kind-e2e.sh builds and loads it into kind)
ARG NODE_IMAGE=node:24-alpine

# 1. Compile: every dependency (typescript is a dev dependency), then tsc.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
  && rm -rf /root/.npm

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
