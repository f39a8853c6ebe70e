# syntax=docker/dockerfile:1
# The reference pricing agent (examples/agent), the image of the agent pods a
# fleet's template names. Build from the repository root (the context must hold
# the sources; pricing-agent.Dockerfile.dockerignore keeps the rest out):
#   docker build -f docker/pricing-agent.Dockerfile -t agentfleet/pricing-agent:0.1.0 .

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
 && cmake --build /build --target pricing-agent \
 && strip /build/bin/pricing-agent

# Runtime stage: only the shared libraries the binary links (readelf -d:
# libcpprest, libyaml-cpp, libpq, libssl/libcrypto, libstdc++), their
# dependencies come with them; ca-certificates for TLS to public endpoints
# (managed Redis, PostgreSQL) that a fleet gives no CA for.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libcpprest2.10 libyaml-cpp0.7 libssl3 libpq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/pricing-agent /usr/local/bin/pricing-agent
# The restricted Pod Security Standard's non-root user, so that a fleet's pod
# template can set runAsNonRoot.
USER 65532:65532
# /metrics and /healthz.
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/pricing-agent"]
