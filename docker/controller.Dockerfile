# syntax=docker/dockerfile:1
# The agentfleet operator. Build from the repository root (the context must hold
# the sources; controller.Dockerfile.dockerignore keeps the rest out):
#   docker build -f docker/controller.Dockerfile -t agentfleet/agentfleet-controller:0.1.0 .

# Build stage: the Debian packages scripts/install-deps.sh installs for building.
# The test frameworks are among them because the top-level CMakeLists.txt
# configures tests/ and tools/ unconditionally; only the one target below is
# compiled.
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-system-dev \
      libssl-dev libpq-dev libhiredis-dev libgtest-dev libgmock-dev libbenchmark-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY controller/ controller/
COPY examples/agent/ examples/agent/
COPY tests/ tests/
COPY tools/ tools/
# RelWithDebInfo (-O2 -g, the debug info stripped below) is what `make test`
# builds and tests; GCC 12 at -O3 (Release) stops on a false -Wrestrict in
# libstdc++'s string concatenation under -Werror.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build --target agentfleet-controller \
 && strip /build/bin/agentfleet-controller

# Runtime stage: only the shared libraries the binary links (readelf -d:
# libcpprest, libyaml-cpp, libpq, libssl/libcrypto, libstdc++), their
# dependencies come with them; ca-certificates for TLS to public endpoints
# (SQS, managed Redis) that a fleet gives no CA for.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libcpprest2.10 libyaml-cpp0.7 libssl3 libpq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/agentfleet-controller /usr/local/bin/agentfleet-controller
# The restricted Pod Security Standard's non-root user (the chart runs it with a
# read-only root filesystem and an emptyDir at /tmp).
USER 65532:65532
# /metrics, then /healthz and /readyz.
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/agentfleet-controller"]
