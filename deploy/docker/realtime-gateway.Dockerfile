# realtime-gateway container image.
#
#   docker build -f deploy/docker/realtime-gateway.Dockerfile -t gatehouse/realtime-gateway:dev .
#
# The build context is the repository root (see /.dockerignore). The cache mounts
# below need BuildKit (the default builder since Docker 23); they keep the crate
# registry and the target directory between builds, so a source-only change does
# not recompile every dependency.

ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS builder
# cmake: fallback build path of aws-lc-sys (a rustls crypto backend in the lock file).
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
ENV CARGO_INCREMENTAL=0 \
    CARGO_TERM_COLOR=never
WORKDIR /src
COPY . .
# The target directory is a cache mount, so the binary is copied out of it.
RUN --mount=type=cache,id=gatehouse-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=gatehouse-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=gatehouse-target-realtime-gateway,target=/src/target,sharing=locked \
    cargo build --release --locked -p realtime-gateway \
 && install -D -m 0755 target/release/realtime-gateway /out/realtime-gateway

# Final image: glibc + CA certificates only, no shell, runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
COPY --from=builder /out/realtime-gateway /usr/local/bin/realtime-gateway
ENV GATEWAY_ADDR=0.0.0.0:3000 \
    GATEWAY_API_ADDR=0.0.0.0:3001 \
    LOG_FORMAT=json
USER 65532:65532
EXPOSE 3000 3001 3002
# SIGTERM (the default stop signal) drains sockets over GATEWAY_DRAIN_PERIOD:
# give the container at least that long to stop (compose stop_grace_period,
# Kubernetes terminationGracePeriodSeconds).
# `healthcheck` performs GET /healthz against GATEWAY_ADDR and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/realtime-gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/realtime-gateway"]
