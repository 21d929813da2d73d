#!/usr/bin/env bash
# translations_check.sh SRC_DIR: every string a client shows has its
# translation (ctest translations_complete).
#
# For every po folder under SRC_DIR/clients (clients/lib/po,
# clients/terminal/po, clients/console/po, ...), the msgids of the C files
# of its parent folder are extracted as the build marks them (_ N_ L_) and
# every <lang>.po there must
#   - translate each of them (msgcmp: an untranslated or fuzzy entry counts
#     as missing),
#   - have no fuzzy, untranslated or obsolete (#~) entry (msgfmt --statistics,
#     msgattrib),
#   - have no entry the sources no longer use (a stale translation), and
#   - compile with msgfmt --check (format directives match the msgid's).
# So a string added in English only fails the tests, and so does a catalog
# that drifted from its sources. Prints what is wrong, per catalog; exit 0
# when all is well, 1 otherwise.
set -euo pipefail

src=${1:?usage: translations_check.sh SRC_DIR}
for tool in xgettext msgcmp msgfmt msgattrib msgmerge; do
    command -v "$tool" >/dev/null || { echo "translations_check: $tool not found (gettext)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
catalogs=0
problem() {
    echo "FAIL $1"
    failed=1
}

while IFS= read -r podir; do
    dir=$(dirname "$podir")
    rel=${podir#"$src"/}
    mapfile -t sources < <(find "$dir" -maxdepth 1 -name '*.c' | sort)
    if [ "${#sources[@]}" -eq 0 ]; then
        problem "$rel: no C files in $(dirname "$rel") to take the msgids from"
        continue
    fi
    pot="$tmp/$(echo "$rel" | tr / _).pot"
    xgettext --keyword=_ --keyword=N_ --keyword=L_ --from-code=UTF-8 --no-location \
        --force-po -o "$pot" "${sources[@]}"
    shopt -s nullglob
    pos=("$podir"/*.po)
    shopt -u nullglob
    if [ "${#pos[@]}" -eq 0 ]; then
        problem "$rel: no .po file"
        continue
    fi
    for po in "${pos[@]}"; do
        name=${po#"$src"/}
        catalogs=$((catalogs + 1))
        # Each msgid of the sources translated (not fuzzy, not empty); the
        # catalog merged against the sources names the ones that are not.
        msgmerge --quiet --no-fuzzy-matching --no-wrap -o "$tmp/merged.po" "$po" "$pot"
        if ! msgcmp "$po" "$pot" >/dev/null 2>&1; then
            problem "$name: msgids of $(dirname "$rel") without a (non-fuzzy) translation:"
            {
                msgattrib --untranslated --no-obsolete --no-wrap "$tmp/merged.po"
                msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/merged.po"
            } | grep '^msgid ' | grep -v '^msgid ""$' | sed 's/^/    /' || true
        fi
        # No fuzzy or untranslated entries at all, and it compiles cleanly.
        stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1) ||
            problem "$name: msgfmt --check: $stats"
        if grep -qE 'fuzzy|untranslated' <<<"$stats"; then
            problem "$name: $stats"
        fi
        # No obsolete (#~) entries.
        obsolete=$(msgattrib --only-obsolete --no-wrap "$po" | grep -c '^#~ msgid' || true)
        [ "$obsolete" -eq 0 ] || problem "$name: $obsolete obsolete (#~) entries: remove them"
        # No entries the sources no longer have: merged against the sources,
        # they would become obsolete.
        stale=$(msgattrib --only-obsolete --no-wrap "$tmp/merged.po" | grep '^#~ msgid' || true)
        if [ -n "$stale" ]; then
            problem "$name: entries no source of $(dirname "$rel") uses any more:"
            sed 's/^/    /' <<<"$stale"
        fi
        [ "$failed" -eq 0 ] && echo "ok   $name: $stats"
    done
done < <(find "$src/clients" -type d -name po | sort)

if [ "$catalogs" -eq 0 ]; then
    echo "FAIL no catalogs under $src/clients"
    exit 1
fi
exit "$failed"
