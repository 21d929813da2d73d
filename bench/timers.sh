#!/usr/bin/env bash
# bench/run timers: fq_deadlines against one libuv timer per deadline, with
# 1 M deadlines pending over 30 days: ns per insert+cancel pair (medians of 5
# runs after a warm-up), memory per pending deadline, and ns per popped
# deadline (bench/timers_bench.c says exactly what is measured).
# targets: fq-bench-timers
#
# Full: 200,000 pairs a run, 5 runs. FQ_BENCH_QUICK=1: 3 runs (the whole
# thing takes seconds; a single run would be the first after the bulk load,
# whose cold heap makes it slow and would mislead).
set -euo pipefail

runs=5
[ "${FQ_BENCH_QUICK:-0}" = 1 ] && runs=3
# Each line gets "bench":"timers" in front, as every benchmark's lines do.
"$FQ_BENCH_BUILD/bench/fq-bench-timers" --pending 1000000 --pairs 200000 --runs "$runs" |
    jq -c '{bench: "timers"} + .'
