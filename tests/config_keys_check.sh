#!/usr/bin/env bash
# config_keys_documented: every long option of fengqiaod (its --help, made
# from the one options table in server/main.c) is a key of the example
# config file (examples/fengqiaod.conf, set or commented out with its
# default) and a row of docs/operations.md's table; and the example with
# every key uncommented still parses (each documented default is a value the
# parser takes). Usage: config_keys_check.sh SOURCE_DIR FENGQIAOD
set -euo pipefail
src=$1 serverd=$2
conf="$src/examples/fengqiaod.conf"
doc="$src/docs/operations.md"
missing=0
keys=$("$serverd" --help | grep -oE '^  (-., )?--[a-z0-9-]+' | sed 's/.*--//')
[ -n "$keys" ] || { echo "no options in fengqiaod --help" >&2; exit 1; }
for k in $keys; do
    case $k in config | check-config | version | help) ;; # the command line's only
    *)
        grep -qE "^#?$k = " "$conf" || { echo "$conf: no key $k" >&2; missing=1; } ;;
    esac
    [ "$k" = help ] || grep -qE "^\|.*\`--${k}[ \`]" "$doc" || { echo "$doc: no row for --$k" >&2; missing=1; }
done
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -E 's/^#([a-z0-9-]+ = )/\1/' "$conf" >"$tmp"
# --check-config goes on to the files the settings name (absent here): only
# the parser's FILE:LINE errors count.
if "$serverd" --config "$tmp" --check-config 2>&1 >/dev/null | grep -E "^fengqiaod: $tmp(:[0-9]+)?:"; then
    echo "$conf with every key uncommented does not parse" >&2
    missing=1
fi
[ "$missing" = 0 ] && echo "config_keys_check: $(echo "$keys" | wc -w) options, all documented"
exit "$missing"
