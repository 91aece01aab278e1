# auth-service container image.
#
#   docker build -f deploy/docker/auth-service.Dockerfile -t gatehouse/auth-service:dev .
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
    --mount=type=cache,id=gatehouse-target-auth-service,target=/src/target,sharing=locked \
    cargo build --release --locked -p auth-service \
 && install -D -m 0755 target/release/auth-service /out/auth-service

# Final image: glibc + CA certificates only, no shell, runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
COPY --from=builder /out/auth-service /usr/local/bin/auth-service
ENV AUTH_HTTP_ADDR=0.0.0.0:8080 \
    AUTH_GRPC_ADDR=0.0.0.0:50051 \
    LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080 50051
# `healthcheck` performs GET /healthz against AUTH_HTTP_ADDR and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/auth-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/auth-service"]
