#!/usr/bin/env bash
# cluster.sh start|stop DIR: the PostgreSQL cluster shared by one ctest run of
# the integration tests (fixture integ_pg). A cluster left behind by an
# interrupted run is reused; each test makes its own database in it.
set -euo pipefail
: "${FQ_SRC_DIR:?}"
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
case "$cmd" in
start)
    "$FQ_SRC_DIR/tests/pg_private.sh" start "$dir"
    ;;
stop)
    "$FQ_SRC_DIR/tests/pg_private.sh" stop "$dir"
    ;;
*)
    echo "cluster.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
