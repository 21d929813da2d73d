#!/usr/bin/env bash
# run-all.sh: every test of fengqiao, as CI runs them. Installs the packages,
# builds everything with AddressSanitizer and UndefinedBehaviorSanitizer,
# checks formatting, and runs the unit, fuzz-corpus and integration tests
# (which start their own private PostgreSQL clusters and servers).
#
#   tests/run-all.sh [BUILD_DIR]     (default: build-asan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-asan"}

"$root/.ci/install-deps"

echo "== clang-format" >&2
unformatted=$(cd "$root" && git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror 2>&1 | grep -c 'error:' || true)
if [ "$unformatted" != 0 ]; then
    (cd "$root" && git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror) || true
    echo "run-all: $unformatted formatting differences (clang-format -i fixes them)" >&2
    exit 1
fi

echo "== build with ASan+UBSan in $build" >&2
# With ccache installed, a build of another clone or worktree of the same
# sources (CCACHE_BASEDIR: paths relative to it) compiles nothing again.
launcher=()
if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFQ_SANITIZE=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

echo "== ctest" >&2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
# Four tests per core: a test's own processes use about a ninth of a core
# over its time, the rest is waiting (for its server, PostgreSQL, a deadline
# of its rules), so with two per core the cores sat partly idle beside
# stress-ng, and the run took about the sum of the tests' times over four
# (tests/README.md, "How it runs"). FQ_TEST_JOBS overrides.
ctest --output-on-failure -j"${FQ_TEST_JOBS:-$((4 * $(nproc)))}" --timeout 600
