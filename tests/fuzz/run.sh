#!/bin/sh
# Builds the libFuzzer drivers with clang in build-fuzz and runs each for
# SECONDS (default 30) from its seed corpus. Fails if any driver crashes.
#   tests/fuzz/run.sh [SECONDS]
# New inputs go to build-fuzz/fuzz-work/<name>, crashes to
# build-fuzz/fuzz-artifacts/<name>/, the output to build-fuzz/fuzz-<name>.log;
# the seed corpus in the source tree is only read.
set -eu

seconds=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DFQ_FUZZ=ON >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
}
names="request reply org_ids topology console webcmd fieldreq frontdeskreq mediationreq calendar o311form o311path photo judgment upward copyrows outboxseqs"
# shellcheck disable=SC2046,SC2086 # one target per name
cmake --build "$build" -j"$jobs" --target $(printf 'fuzz_%s ' $names)

status=0
for name in $names; do
    work=$build/fuzz-work/$name
    artifacts=$build/fuzz-artifacts/$name
    log=$build/fuzz-$name.log
    mkdir -p "$work" "$artifacts"
    printf 'fuzz_%s: %s s ... ' "$name" "$seconds"
    if "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "ok ($runs runs, $cov)"
    else
        echo "FAILED: see $log and $artifacts"
        grep -m 5 -E 'ERROR|check failed|runtime error' "$log" || true
        status=1
    fi
done
exit $status
