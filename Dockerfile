# syntax=docker/dockerfile:1
# One image for every component; the chart picks the entrypoint with `args`:
#   operator:   dist/operator/main.js
#   api-server: dist/api-server/main.js
#   runner:     dist/runner/main.js   (needs ffmpeg, hence ffmpeg in the runtime stage)
# Build:  docker build -t cloudtranscode:dev .
# Run:    docker run --rm --read-only --tmpfs /tmp cloudtranscode:dev dist/runner/main.js --help

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first so source edits reuse the cached npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM ${NODE_IMAGE} AS runtime
# ffmpeg/ffprobe for the runner; tini as PID 1 forwards SIGTERM and reaps ffmpeg children.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 cloudtranscode \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin cloudtranscode
WORKDIR /app
COPY --from=build --chown=root:root /src/package.json ./package.json
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --from=build --chown=root:root /src/crds ./crds
# Everything the processes write goes below /tmp (an emptyDir in the chart), so the root
# filesystem can be mounted read-only; the code is owned by root and not writable by the user.
ENV NODE_ENV=production \
    HOME=/tmp \
    XDG_CONFIG_HOME=/tmp/.config \
    TMPDIR=/tmp \
    CT_RUNNER_WORK_DIR=/tmp/ct-runner/work \
    CT_RUNNER_CONFIG=/tmp/ct-runner/config.yaml
# operator: 8081 (/healthz, /readyz, /metrics); api-server: 8080 (runner API, Socket.IO, /metrics).
EXPOSE 8080 8081
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["dist/operator/main.js"]
