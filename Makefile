# agentfleet entry points. `make test` and `make demo` work on a fresh machine:
# they install what is missing (Debian packages, the Go-built control plane).
BUILD_DIR ?= build
CLUSTER_DIR ?= .cluster
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure
JOBS ?= $(shell nproc)
# The fuzzers build apart, with clang (tests/fuzz); `make test` runs each for
# FUZZ_SMOKE_SECONDS, `make fuzz` for FUZZ_SECONDS (FUZZERS: a name regex).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 3
FUZZERS ?= .
# make chaos: the chaos soak (tests/e2e/chaos) for CHAOS_SECONDS of faults
# from the schedule of CHAOS_SEED.
CHAOS_SECONDS ?= 600
CHAOS_SEED ?= 1

.PHONY: all deps tools tools-path configure build test unit integration e2e bench \
        chaos fuzz fuzz-build unit-sanitized test-sanitized cluster-up cluster-down format format-check clean demo \
        images test-images

all: build

deps:
	@scripts/install-deps.sh

tools: deps
	@tests/cluster/build-tools.sh >/dev/null
	@tests/cluster/build-tools.sh metrics-server >/dev/null

tools-path:
	@tests/cluster/build-tools.sh --path

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test but the benchmarks and the images' (test-images): unit,
# integration (real control plane, real servers) and e2e; then every fuzzer
# for a few seconds over its seed corpus.
test: build tools fuzz-build
	ctest --test-dir $(BUILD_DIR) -LE 'bench|image' $(CTEST_FLAGS)
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

unit: build
	ctest --test-dir $(BUILD_DIR) -L unit $(CTEST_FLAGS)

integration: build tools
	ctest --test-dir $(BUILD_DIR) -L integration $(CTEST_FLAGS)

e2e: build tools
	ctest --test-dir $(BUILD_DIR) -L e2e $(CTEST_FLAGS)

chaos: build tools
	AGENTFLEET_CHAOS_SECONDS=$(CHAOS_SECONDS) AGENTFLEET_CHAOS_SEED=$(CHAOS_SEED) \
	  ctest --test-dir $(BUILD_DIR) -R '^e2e_chaos_tests$$' $(CTEST_FLAGS) --verbose

bench: build tools
	cmake --build $(BUILD_DIR) -j $(JOBS) --target agentfleet_benches
	ctest --test-dir $(BUILD_DIR) -L bench $(CTEST_FLAGS) --verbose

# The two images of docker/, built with buildah from a locally assembled
# Debian base (no daemon, no registry; as root); test-images runs them.
images:
	@scripts/build-images.sh

test-images: images build tools
	cmake --build $(BUILD_DIR) -j $(JOBS) --target image_controller_tests
	ctest --test-dir $(BUILD_DIR) -L image $(CTEST_FLAGS)

$(FUZZ_DIR)/build.ninja:
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DAGENTFLEET_FUZZ=ON

fuzz-build: deps $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) '$(FUZZERS)'

# The unit tier under ASan+UBSan, built with clang in the fuzzers' directory
# (the libraries compile once for both; only the unit tier's binaries).
unit-sanitized: fuzz-build
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target agentfleet_unit_tests
	ctest --test-dir $(FUZZ_DIR) -L unit -j $(JOBS) $(CTEST_FLAGS)

# Every test (the benchmarks' and the images' aside) and every fuzzer under
# ASan+UBSan, in the same clang directory.
test-sanitized: fuzz-build tools
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target agentfleet_all
	ctest --test-dir $(FUZZ_DIR) -LE 'bench|image' $(CTEST_FLAGS)
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

cluster-up: tools
	@tests/cluster/cluster.sh up $(CLUSTER_DIR)
	@echo "export KUBECONFIG=$(abspath $(CLUSTER_DIR))/kubeconfig PATH=$$(tests/cluster/build-tools.sh --path):\$$PATH"

cluster-down:
	@tests/cluster/cluster.sh down $(CLUSTER_DIR)

format:
	@git ls-files --cached --others --exclude-standard '*.cpp' '*.h' | xargs -r clang-format -i

format-check:
	@git ls-files --cached --others --exclude-standard '*.cpp' '*.h' | xargs -r clang-format --dry-run --Werror

demo: configure tools
	@scripts/demo.sh

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
