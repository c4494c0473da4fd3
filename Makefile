# The README's two commands: `make run` and `make test`.  Everything else here
# is what they are built from.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: all deps build build-asan test run bench bench-peers fuzz clean docs

all: build

# Installs the Debian packages the build and the tests need (as root, or via sudo).
deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=ON >/dev/null
	@cmake --build build -j$(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRMQ_WERROR=ON -DRMQ_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j$(JOBS)

# Both builds, every test in each, then the fuzz targets for a bounded time.
test: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/test.sh

# A local name server on 127.0.0.1:9876, data under ./data, until Ctrl-C.
run: build
	@scripts/run.sh build

bench: build
	@bench/namesrv.sh build
	@bench/store.sh build
	@bench/broker.sh build

# rmq-broker next to nats-server (JetStream) and redis-server (Streams), the
# same publish load against each; installs those two from Debian if missing.
bench-peers: build
	@bench/peers.sh build

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DRMQ_FUZZ=ON -DRMQ_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Regenerates docs/*-config.md from the configuration tables.
docs: build
	@build/tests/print_conf namesrv > docs/namesrv-config.md
	@build/tests/print_conf broker > docs/broker-config.md
	@build/tests/print_conf store > docs/store-config.md

clean:
	rm -rf build build-asan build-fuzz
