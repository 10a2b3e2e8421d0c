# One image for every runwarden role; the command picks the role:
#   docker run … runwarden            → `runwarden start` (scanner, workers and board in one process)
#   docker run … runwarden scanner    → `runwarden worker archive`, `runwarden board`, …
# Build: docker build -t runwarden .
# Where no container registry is reachable, build a base image locally and pass it
# (test/deploy/compose-up/base-images.sh makes one from Debian and this host's Node):
#   docker build --network host --build-arg BASE_IMAGE=runwarden-base:… \
#     --build-arg NPM_REGISTRY="$(npm config get registry)" --build-arg NPM_CAFILE=… -t runwarden .
ARG NODE_VERSION=22
ARG BASE_IMAGE=node:${NODE_VERSION}-slim

# ── manifests: only the package.json files, so `npm ci` stays cached until dependencies change
FROM ${BASE_IMAGE} AS manifests
WORKDIR /app
COPY packages ./packages
COPY apps ./apps
RUN find packages apps -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# ── build: compile every workspace, then drop dev dependencies and sources
FROM ${BASE_IMAGE} AS build
WORKDIR /app
# npm's registry and CA bundle (a file inside the base image), when not npm's defaults.
ARG NPM_REGISTRY=
ARG NPM_CAFILE=
# better-sqlite3 falls back to a node-gyp build when its prebuilt binary cannot be
# downloaded; Node's headers are in /usr/local (as in the official images), so node-gyp
# needs nothing from outside the npm registry.
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1 npm_config_fund=false npm_config_audit=false \
    npm_config_update_notifier=false npm_config_nodedir=/usr/local
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY --from=manifests /app ./
RUN if [ -n "$NPM_REGISTRY" ]; then npm config set registry "$NPM_REGISTRY"; fi \
 && if [ -n "$NPM_CAFILE" ]; then npm config set cafile "$NPM_CAFILE"; fi \
 && npm ci
COPY tsconfig.json turbo.json ./
COPY config ./config
COPY packages ./packages
COPY apps ./apps
# Keep of better-sqlite3 only its compiled addon: its C sources, object files and the
# SQLite static library (about 28 MB) are build leftovers.
RUN npm run build \
 && npm prune --omit=dev \
 && rm -rf .turbo packages/*/.turbo apps/*/.turbo \
 && find packages apps -path '*/node_modules' -prune -o \( -path '*/src/*' -name '*.ts' -o -name '*.tsbuildinfo' \) -type f -print0 | xargs -0 rm -f \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

# ── runtime: no compilers, a dedicated non-root user, folders owned by it
FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
# The board listens on every interface of its container, so a published port reaches it.
ENV NODE_ENV=production BOARD_HOST=0.0.0.0 BOARD_PORT=3000
# zip/unzip: not needed by the workers (archives are written in-process), but handy
# for inspecting archives from `docker compose exec`; both are small.
RUN apt-get update \
 && apt-get install -y --no-install-recommends zip unzip \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 runwarden \
 && useradd --system --uid 10001 --gid runwarden --home-dir /app --shell /usr/sbin/nologin runwarden \
 && mkdir -p .state .worktrees .archive reports \
 && chown runwarden:runwarden .state .worktrees .archive reports
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/packages ./packages
COPY --from=build --chown=root:root /app/apps ./apps
COPY --from=build --chown=root:root /app/config ./config
USER runwarden
# The board's port (BOARD_PORT). Paths in config/runwarden.yaml are relative to /app:
# the orchestration database in /app/.state, run folders in /app/.worktrees, zips in
# /app/.archive, reports in /app/reports. Mount volumes there (docker-compose.yml does).
EXPOSE 3000
# Healthy when the config loads and Redis answers: `status` exits non-zero otherwise.
# The CLI loads only the status command's modules, so this stays cheap.
# (Docker reserves exit status 2, which runwarden uses for bad configuration, hence `|| exit 1`.)
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD node apps/cli/bin/runwarden.js status --json > /dev/null || exit 1
ENTRYPOINT ["node", "apps/cli/bin/runwarden.js"]
CMD ["start"]
