# nadm in a container: the CLI plus nats-server (for `nadm up`). CI does not build it (its
# machines have no Docker engine); test/unit/container-files.test.ts checks that every nadm
# subcommand and flag used here and in compose.yaml exists, and `docker-compose config -q`
# validates compose.yaml. Build: docker build -t nadm .
#
# Long-running services (`controller`, `host`, `up`) are expected to serve their probes on
# `--http-port 9090`: the HEALTHCHECK below asks /livez there. A one-shot CLI container never
# becomes healthy, which nobody waits for.

# --- build: compile TypeScript and the dashboard, then drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.ui.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# --- runtime: no compiler, no sources, not root
FROM node:20-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="nadm" \
      org.opencontainers.image.description="NATS Application Deployment Manager: declarative, leaderless deployments on NATS JetStream" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# tini: PID 1 that forwards signals to nadm and reaps zombies. Instances lead their own process
# groups, and a process an instance forked outlives it as a child of PID 1; node as PID 1 would
# never reap those. Baked into the image (not `docker run --init`) so compose, Kubernetes and a
# plain `docker run` all get it. util-linux: setpriv, the parent-death signal of instances.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server util-linux tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 nadm \
 && useradd --system --uid 10001 --gid nadm --home-dir /data --no-create-home nadm \
 && mkdir -p /data /app/.nadm \
 && chown nadm:nadm /data /app/.nadm
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY manifests ./manifests
ENV NODE_ENV=production
USER nadm:nadm
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["--help"]
