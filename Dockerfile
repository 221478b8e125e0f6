# medmap container image: `podman build --format docker -t medmap .` (or `docker build -t medmap .`).
#
# Stages:
#   builder   compiles the release binary from this checkout (Rust on Debian bookworm);
#   base      the runtime: Debian bookworm-slim, a non-root user, the bundled data,
#             the database volume, settings for a container, the health check;
#   prebuilt  base + a binary already built on a bookworm host, instead of compiling
#             again (`--target prebuilt`; CI does this, see .ci/package): the build
#             context is then a folder holding `data/` and the binary, as `target/`
#             is left out of this checkout's context (.dockerignore);
#   runtime   base + the builder's binary: the default image.
# `--format docker` matters for podman/buildah only: the OCI format has no HEALTHCHECK.

ARG RUST_IMAGE=docker.io/library/rust:1-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
# The commit to stamp into `medmap --version` and /api/v1/version: the build context
# leaves .git out (see .dockerignore), so build.rs is told it.
ARG MEDMAP_COMMIT=unknown
ENV MEDMAP_COMMIT=${MEDMAP_COMMIT} \
    CARGO_TERM_COLOR=never
WORKDIR /src
COPY . .
# The release profile keeps line tables for backtraces; compressed (zlib, which Rust's
# backtraces read) they take 28 MB instead of 108.
RUN cargo build --release --locked --bin medmap \
 && objcopy --compress-debug-sections=zlib target/release/medmap /usr/local/bin/medmap \
 && /usr/local/bin/medmap --version

FROM ${RUNTIME_IMAGE} AS base
# A fixed uid/gid (not 0, not a host user's): the volume's files keep one owner
# across rebuilds, and orchestrators that require runAsNonRoot can check it.
RUN groupadd --system --gid 10001 medmap \
 && useradd --system --uid 10001 --gid medmap --no-create-home \
        --home-dir /var/lib/medmap --shell /usr/sbin/nologin medmap \
 && install -d -o medmap -g medmap -m 0750 /var/lib/medmap
# The bundled open data, imported into an empty database on first start (read-only:
# owned by root).
COPY data /usr/share/medmap/data
# Every `serve` flag has a variable (see `medmap serve --help`); these make the
# container listen on all its interfaces, keep the SQLite database in the volume,
# find the data above, and log JSON lines for a log collector.
ENV MEDMAP_ADDR=0.0.0.0:8080 \
    MEDMAP_DATA_DIR=/usr/share/medmap/data \
    DATABASE_URL=sqlite:///var/lib/medmap/medmap.db \
    MEDMAP_LOG_FORMAT=json
WORKDIR /var/lib/medmap
VOLUME ["/var/lib/medmap"]
EXPOSE 8080
USER 10001:10001
# Healthy once /readyz answers 200 (bundled data imported, snapshot built): the first
# start imports the data, hence the long start period. `medmap healthcheck` asks
# MEDMAP_ADDR on loopback, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5m --retries=3 \
    CMD ["medmap", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["medmap"]
CMD ["serve"]

FROM base AS prebuilt
# A binary built on a bookworm host (same glibc as the runtime), relative to the context.
ARG BINARY=medmap
COPY --chmod=0755 ${BINARY} /usr/bin/medmap
RUN ["medmap", "--version"]

FROM base AS runtime
COPY --from=builder /usr/local/bin/medmap /usr/bin/medmap
RUN ["medmap", "--version"]
