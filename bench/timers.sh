#!/usr/bin/env bash
# bench/run timers: fq_deadlines against one libuv timer per deadline, with
# 1 M deadlines pending over 30 days: ns per insert+cancel pair (medians of 5
# runs after a warm-up), memory per pending deadline, and ns per popped
# deadline (bench/timers_bench.c says exactly what is measured).
# targets: fq-bench-timers
#
# Full: 200,000 pairs a run, 5 runs. FQ_BENCH_QUICK=1: 50,000 pairs, 1 run.
set -euo pipefail

if [ "${FQ_BENCH_QUICK:-0}" = 1 ]; then
    exec "$FQ_BENCH_BUILD/bench/fq-bench-timers" --pairs 50000 --runs 1
fi
exec "$FQ_BENCH_BUILD/bench/fq-bench-timers" --pending 1000000 --pairs 200000 --runs 5
