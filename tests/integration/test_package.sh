#!/usr/bin/env bash
# integ_package: the Debian package, built from this build tree with CPack,
# unpacked into a scratch root outside the source and build trees, and run
# from there: its file list and control data, `fengqiaod --version`,
# `fengqiao-admin migrate` reading the migrations the package installed
# (strace shows which files it opened: none of the source tree's), the
# server serving its installed web root, and `systemd-analyze verify` of the
# unpacked unit (no warnings). Then `cmake --install --prefix` elsewhere: the
# unit and config carry that prefix, and the clients find their catalogs.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
: "${FQ_BUILD_DIR:?}" "${FQ_CPACK:?}" "${FQ_CMAKE:?}" "${FQ_VERSION:?}"

# ---- build and unpack ----
out="$WORK/pkg"
mkdir -p "$out"
log "cpack -G DEB (reusing the build tree)"
# The tests run on a built tree. With the Makefile generator cpack first runs
# `make preinstall` — make's up-to-date check of every target, 14 s of CPU
# on a busy machine, half of what the packaging costs — while a generator
# without that target (Ninja) goes straight to the install scripts
# (cmake_install.cmake, the same whichever generator made the tree): the
# same package.
(cd "$FQ_BUILD_DIR" && "$FQ_CPACK" -G DEB -B "$out" -D CPACK_CMAKE_GENERATOR=Ninja) >"$WORK/cpack.log" 2>&1 ||
    fail "cpack failed: $(tail -n 20 "$WORK/cpack.log")"
deb=$(ls "$out"/fengqiao_*.deb)
assert_eq "$out/fengqiao_${FQ_VERSION}_amd64.deb" "$deb" "package file"
rm -rf "$out/_CPack_Packages"

# Outside the build tree: a binary there could fall back to the build's
# files (paths.h); this one must find the package's.
root=$(mktemp -d /tmp/fengqiao-package.XXXXXX)
CLEANUPS+=("rm -rf '$root'")
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$root/DEBIAN"

# ---- control data ----
assert_eq fengqiao "$(dpkg-deb -f "$deb" Package)" "Package"
assert_eq "$FQ_VERSION" "$(dpkg-deb -f "$deb" Version)" "Version"
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser libpq5 libuv1 libnanomsg5 libsodium23 libinih1 libsystemd0 libh2o0.13; do
    [[ $depends == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
assert_eq /etc/fengqiao/fengqiaod.conf "$(cat "$root/DEBIAN/conffiles")" "conffiles"
grep -q "adduser --system --group" "$root/DEBIAN/postinst" || fail "postinst makes no system user"
for s in postinst prerm postrm; do
    [ -x "$root/DEBIAN/$s" ] || fail "$s is not executable"
    sh -n "$root/DEBIAN/$s" || fail "$s: shell syntax"
done

# ---- file list ----
for f in usr/bin/fengqiaod usr/bin/fengqiao-admin usr/bin/fq-report usr/bin/fq-terminal \
    usr/bin/fq-simulate usr/share/fengqiao/web/index.html \
    usr/share/fengqiao/web/vendor/leaflet/leaflet.js usr/share/fengqiao/migrations/0001_foundation.sql \
    usr/share/locale/zh_CN/LC_MESSAGES/fq-terminal.mo usr/lib/systemd/system/fengqiaod.service \
    etc/fengqiao/fengqiaod.conf usr/share/doc/fengqiao/operations.md usr/share/doc/fengqiao/README.md; do
    [ -e "$root/$f" ] || fail "the package lacks /$f"
done
[ -z "${FQ_CONSOLE:-}" ] || [ -e "$root/usr/bin/fq-console" ] || fail "the package lacks /usr/bin/fq-console"
n_src=$(find "$FQ_SRC_DIR/migrations" -maxdepth 1 -name '*.sql' | wc -l)
n_pkg=$(find "$root/usr/share/fengqiao/migrations" -maxdepth 1 -name '*.sql' | wc -l)
assert_eq "$n_src" "$n_pkg" "migrations in the package"
# Nothing of the build machine's paths in the package's files.
if grep -rl --exclude-dir=doc "$FQ_BUILD_DIR\|$FQ_SRC_DIR" "$root/etc" "$root/usr/lib" "$root/usr/share" >"$WORK/leaks" 2>/dev/null; then
    fail "build paths in the package: $(cat "$WORK/leaks")"
fi
log "package: $(dpkg-deb -c "$deb" | wc -l) entries, $(du -k "$deb" | cut -f1) KiB; Depends: $depends"

# ---- the installed programs ----
assert_eq "fengqiaod $FQ_VERSION" "$("$root/usr/bin/fengqiaod" --version)" "fengqiaod --version"
assert_eq "fengqiao-admin $FQ_VERSION" "$("$root/usr/bin/fengqiao-admin" --version)" "fengqiao-admin --version"

# An empty database, not the migrated template: the installed migrations apply.
db_create_empty
unset FQ_MIGRATIONS
trace=()
if command -v strace >/dev/null; then
    # LeakSanitizer cannot run under ptrace (a sanitizer build): off for
    # this one run; every other test checks fengqiao-admin for leaks.
    # shellcheck disable=SC2054 # the commas are ASAN_OPTIONS', not array separators
    trace=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"
        strace -f -qq -e trace=openat,open -o "$WORK/migrate.trace")
else
    log "strace not installed: the opened files are not checked"
fi
"${trace[@]}" "$root/usr/bin/fengqiao-admin" migrate >"$WORK/migrate.out" 2>&1 ||
    fail "installed fengqiao-admin migrate failed: $(cat "$WORK/migrate.out")"
assert_eq "$n_pkg" "$(q "SELECT count(*) FROM schema_migrations")" "migrations applied"
if [ ${#trace[@]} -gt 0 ]; then
    opened=$(grep -c "$root/usr/bin/../share/fengqiao/migrations/0" "$WORK/migrate.trace" || true)
    [ "$opened" -ge "$n_pkg" ] || fail "fengqiao-admin opened $opened of the package's migrations"
    ! grep -q "$FQ_SRC_DIR" "$WORK/migrate.trace" || fail "fengqiao-admin looked in the source tree: $(grep "$FQ_SRC_DIR" "$WORK/migrate.trace" | head -n 3)"
fi
log "installed fengqiao-admin migrate: $n_pkg migrations from $root/usr/share/fengqiao/migrations"

# The installed server with the installed config's layout (its paths moved
# into the scratch root) serves the installed web root.
FQ_SERVER_KEY="$WORK/server.key"
"$root/usr/bin/fengqiao-admin" server-key create "$FQ_SERVER_KEY" >/dev/null
hport=$(free_port)
sed -e "s|^db = .*|db = $FQ_DB|" -e "s|^server-key = .*|server-key = $FQ_SERVER_KEY|" \
    -e "s|^ready-file = .*|ready-file = $WORK/installed.ready|" \
    -e "s|^#intake = .*|intake = tcp://127.0.0.1:$(free_port)|" \
    -e "s|^#terminals = .*|terminals = tcp://127.0.0.1:$(free_port)|" \
    -e "s|^#http = .*|http = 127.0.0.1:$hport|" \
    "$root/etc/fengqiao/fengqiaod.conf" >"$WORK/installed.conf"
chmod 0600 "$WORK/installed.conf"
"$root/usr/bin/fengqiaod" --config "$WORK/installed.conf" --check-config >/dev/null ||
    fail "the package's config (adapted) does not check"
SERVER_LOG="$WORK/installed.log"
SERVER_LOGS+=("$SERVER_LOG")
env -u FQ_DB -u FQ_SERVER_KEY "$root/usr/bin/fengqiaod" --config "$WORK/installed.conf" 2>"$SERVER_LOG" &
SERVER_PID=$!
for ((i = 0; i < 1200; i++)); do
    [ -s "$WORK/installed.ready" ] && break
    pid_alive "$SERVER_PID" || fail "the installed fengqiaod exited: $(tail -n 5 "$SERVER_LOG")"
    sleep 0.05
done
[ -s "$WORK/installed.ready" ] || fail "the installed fengqiaod did not become ready within 60 s"
grep -q "web root $root/usr/bin/../share/fengqiao/web" "$SERVER_LOG" ||
    fail "the installed fengqiaod does not serve the installed web root: $(grep 'comp=web' "$SERVER_LOG")"
page=$(curl -sS --max-time 30 "http://127.0.0.1:$hport/")
[[ $page == *"<html"* ]] || fail "no page from the installed web root: ${page:0:200}"
server_stop 0

# ---- the unit ----
unit="$root/usr/lib/systemd/system/fengqiaod.service"
grep -q "^ExecStart=/usr/bin/fengqiaod --config /etc/fengqiao/fengqiaod.conf$" "$unit" ||
    fail "ExecStart: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
    # verify checks that ExecStart's binary exists: point it at the unpacked one.
    mkdir -p "$WORK/unit"
    sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" >"$WORK/unit/fengqiaod.service"
    systemd-analyze verify "$WORK/unit/fengqiaod.service" >"$WORK/verify.out" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
    [ ! -s "$WORK/verify.out" ] || fail "systemd-analyze verify warns: $(cat "$WORK/verify.out")"
    exposure=$(systemd-analyze security --offline=yes "$WORK/unit/fengqiaod.service" 2>/dev/null |
        grep -o "Overall exposure level.*" || true)
    log "systemd-analyze verify: clean; ${exposure:-no security summary}"
else
    fail "systemd-analyze not installed (.ci/install-deps installs systemd)"
fi

# ---- cmake --install under another prefix ----
prefix="$root/opt/fengqiao"
"$FQ_CMAKE" --install "$FQ_BUILD_DIR" --prefix "$prefix" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install --prefix failed: $(tail -n 5 "$WORK/install.log")"
grep -q "^ExecStart=$prefix/bin/fengqiaod --config $prefix/etc/fengqiao/fengqiaod.conf$" \
    "$prefix/lib/systemd/system/fengqiaod.service" ||
    fail "the unit under $prefix: $(grep ExecStart "$prefix/lib/systemd/system/fengqiaod.service")"
# Its config parses (only its server key is missing here).
rc=0
"$prefix/bin/fengqiaod" --config "$prefix/etc/fengqiao/fengqiaod.conf" --check-config \
    >/dev/null 2>"$WORK/check.err" || rc=$?
assert_eq 2 "$rc" "check-config of the installed config without its server key"
assert_eq 1 "$(wc -l <"$WORK/check.err")" "check-config's complaints"
grep -q "server key: cannot open key file /var/lib/fengqiao/server.key" "$WORK/check.err" ||
    fail "check-config: $(cat "$WORK/check.err")"
# A client speaks Chinese from the catalogs installed beside it.
help=$(LANG=zh_CN.UTF-8 "$prefix/bin/fq-terminal" --help 2>&1 || true)
[[ $help == *用法* ]] || fail "fq-terminal under $prefix found no catalog: ${help:0:200}"
log "cmake --install --prefix $prefix: unit, config and catalogs in place"
