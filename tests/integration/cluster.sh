#!/usr/bin/env bash
# cluster.sh start|stop DIR: the PostgreSQL cluster shared by one ctest run of
# the integration tests (fixture integ_pg). A cluster left behind by an
# interrupted run is reused; each test makes its own database in it.
#
# start also makes fq_template: an empty database with every migration
# applied, by this build's fengqiao-admin (FQ_ADMIN), once per run. Each
# test's database is a copy of it (lib.sh db_create: CREATE DATABASE ...
# TEMPLATE fq_template), instead of applying the migrations again in each.
# It is made anew at every start, so it always has the migrations of the
# tree under test; it takes no connections (a copy needs the template idle).
# fq_world, a copy of it with lib.sh's setup_world done, is made the same way.
set -euo pipefail
: "${FQ_SRC_DIR:?}"
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
case "$cmd" in
start)
    base=$("$FQ_SRC_DIR/tests/pg_private.sh" start "$dir")
    echo "$base"
    if [ -n "${FQ_ADMIN:-}" ]; then
        sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$base" -c "$1" >/dev/null; }
        drop_template() {
            if [ "$(psql -X -q -A -t -d "$base" -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; then
                sql "ALTER DATABASE $1 WITH IS_TEMPLATE false ALLOW_CONNECTIONS true"
                sql "DROP DATABASE $1 WITH (FORCE)"
            fi
        }
        drop_template fq_world
        drop_template fq_template
        sql "CREATE DATABASE fq_template"
        "$FQ_ADMIN" --db "${base/dbname=fengqiao/dbname=fq_template}" migrate | tail -n 1
        sql "ALTER DATABASE fq_template WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
        # fq_world: the organisation and nodes of lib.sh's setup_world, with
        # its keys in FQ_WORK_ROOT/fq_world; a test's setup_world copies them.
        if [ -n "${FQ_WORK_ROOT:-}" ] && [ -n "${FQ_SERVERD:-}" ]; then
            mkdir -p "$FQ_WORK_ROOT"
            if ! FQ_TEST_NAME=fq_world bash -c 'source "$0"; world_template_build' \
                "$(dirname "$0")/lib.sh" >"$FQ_WORK_ROOT/fq_world.log" 2>&1; then
                cat "$FQ_WORK_ROOT/fq_world.log" >&2
                echo "cluster.sh: no fq_world; each test builds its own world" >&2
            fi
        fi
    fi
    ;;
stop)
    "$FQ_SRC_DIR/tests/pg_private.sh" stop "$dir"
    ;;
*)
    echo "cluster.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
