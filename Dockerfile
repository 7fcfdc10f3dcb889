# syntax=docker/dockerfile:1
# Burgee self-hosted: workerd serving the edge worker and the admin app on one port, with the
# store's data in a volume. Built from the repository alone:
#
#   docker build -t burgee .
#   docker compose up          # compose.yaml: the volume, the tokens, a mounted document
#
# The README's "Self-hosting in a container" describes the settings; the entrypoint is
# deploy/container/entrypoint.mjs.

# --- build: the project's own set-up and build (`cargo xtask build`) -----------------------
FROM node:22-bookworm AS build

# rustup with no toolchain of its own: rust-toolchain.toml names the pinned one (with its wasm
# targets and rust-src), installed by `rustup toolchain install` below.
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH
RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
    | sh -s -- -y --no-modify-path --profile minimal --default-toolchain none

WORKDIR /src
COPY rust-toolchain.toml ./
RUN rustup toolchain install

COPY . .
# The set-up (wasm-bindgen, worker-build, wasm-split, `npm ci`), the admin app (admin-ui/dist)
# and both worker scripts (edge-worker/*/build); the caches only speed up rebuilds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo xtask build
# workerd, from the npm package for this machine's architecture (linux-64 or linux-arm64).
RUN install -D node_modules/@cloudflare/workerd-linux-*/bin/workerd /opt/burgee/bin/workerd

# --- runtime: Node (the entrypoint), workerd, the built worker and the admin app ------------
FROM node:22-bookworm-slim

WORKDIR /app
COPY --from=build /opt/burgee/bin/workerd /app/bin/workerd
COPY --from=build /src/edge-worker/workerd.capnp /src/edge-worker/workerd-admin-app.js /app/edge-worker/
COPY --from=build /src/edge-worker/data-plane/build/ /app/edge-worker/data-plane/build/
COPY --from=build /src/edge-worker/control-plane/build/ /app/edge-worker/control-plane/build/
COPY --from=build /src/admin-ui/dist/ /app/admin-ui/dist/
COPY deploy/container/ /app/deploy/container/

# The store's data (KV and Durable Object directories), owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

ENV BURGEE_WORKERD=/app/bin/workerd \
    BURGEE_ADMIN_APP=/app/admin-ui/dist \
    BURGEE_DATA_DIR=/data \
    BURGEE_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["node", "/app/deploy/container/entrypoint.mjs", "health"]
ENTRYPOINT ["node", "/app/deploy/container/entrypoint.mjs"]
