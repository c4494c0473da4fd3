#!/usr/bin/env bash
# make test: the normal build (warnings as errors) and the ASan+UBSan build,
# every CTest entry in each, then each fuzz target for FUZZ_SECONDS.  Ends
# with one summary line over everything that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0
failed=0

run_suite() {
    local dir=$1 log
    shift
    echo "=== $dir: configure and build"
    if ! cmake -S . -B "$dir" -DRMQ_WERROR=ON "$@" >/dev/null || ! cmake --build "$dir" -j"$JOBS"; then
        echo "=== $dir: BUILD FAILED"
        failed=$((failed + 1))
        return
    fi
    echo "=== $dir: ctest"
    log=$(mktemp)
    (cd "$dir" && ctest --output-on-failure -j"$JOBS" 2>&1) | tee "$log"
    local total fails
    total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n1)
    fails=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n1)
    if [ -z "$total" ]; then
        failed=$((failed + 1))
    else
        passed=$((passed + total - fails))
        failed=$((failed + fails))
    fi
    rm -f "$log"
}

# The interop tests (tests/interop) need their pinned npm packages; CMake
# registers interop.ali_ons only when they are installed.
if command -v node >/dev/null && command -v npm >/dev/null; then
    echo "=== tests/interop: npm ci"
    if ! (cd tests/interop && npm ci --no-audit --no-fund); then
        echo "=== tests/interop: npm ci FAILED, interop tests not registered"
        rm -rf tests/interop/node_modules
    fi
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DRMQ_SANITIZE=ON

if [ "$FUZZ_SECONDS" -gt 0 ]; then
    echo "=== build-fuzz: libFuzzer targets, ${FUZZ_SECONDS}s each"
    if CC=clang cmake -S . -B build-fuzz -DRMQ_FUZZ=ON -DRMQ_TESTS=OFF >/dev/null &&
        cmake --build build-fuzz -j"$JOBS" >/dev/null && tests/fuzz/run.sh build-fuzz "$FUZZ_SECONDS"; then
        passed=$((passed + 1))
    else
        echo "=== fuzzing FAILED"
        failed=$((failed + 1))
    fi
fi

echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
