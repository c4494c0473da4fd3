#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a fixed time each.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
#
# BUILD_DIR is a build configured with CC=clang -DRMQ_FUZZ=ON.  Each target
# starts from a copy of its seed corpus (tests/fuzz/corpus/<target>/) in a
# temporary directory, so new corpus entries and crash artifacts never land in
# the source tree.  Prints one line per target; exits non-zero if any target
# crashed (the temporary directory is then kept for its artifacts and logs).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build_dir=$1
duration=$2
case $duration in
'' | *[!0-9]*)
    echo "$0: SECONDS must be a positive integer" >&2
    exit 2
    ;;
esac
src_dir=$(cd "$(dirname "$0")" && pwd)

shopt -s nullglob
targets=("$build_dir"/tests/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
    echo "$0: no fuzz targets under $build_dir/tests/fuzz (configure with -DRMQ_FUZZ=ON)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-fuzz.XXXXXX")
failed=0
# UBSan only reports by default; halting turns a report into a crash that
# libFuzzer records like any other.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

for bin in "${targets[@]}"; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    name=$(basename "$bin")
    dir=$work/$name
    mkdir -p "$dir/corpus" "$dir/artifacts"
    if [ -d "$src_dir/corpus/$name" ]; then
        cp "$src_dir/corpus/$name"/* "$dir/corpus/" 2>/dev/null
    fi
    "$bin" -max_total_time="$duration" -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1)
    ncorpus=$(find "$dir/corpus" -type f | wc -l)
    artifacts=("$dir"/artifacts/*)
    if [ $rc -ne 0 ] || [ ${#artifacts[@]} -ne 0 ]; then
        failed=1
        printf '%-16s FAIL  exit %d; log %s; artifacts: %s\n' "$name" "$rc" "$dir/log" \
            "${artifacts[*]:-none}"
    else
        printf '%-16s ok    %ss  execs %s  exec/s %s  %s  corpus %s\n' "$name" "$duration" \
            "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$ncorpus"
    fi
done

if [ $failed -ne 0 ]; then
    echo "fuzzing found problems; work directory kept: $work" >&2
    exit 1
fi
rm -rf "$work"
exit 0
