#!/usr/bin/env bash
# integ_evidence: photos as evidence (docs/phone.md "Evidence", docs/history.md
# "Evidence"), end to end below HTTP: real PostgreSQL, the real fengqiaod,
# photos made by fq-make-image and sent beside the signed envelope over
# nanomsg (fq_raw_peer).
#
#  A. An action with a photo: the row holds the bytes with the event's seq,
#     and the event's recorded envelope names their SHA-256.
#  B. Refusals store nothing and say why in Reply.error_code: a non-image
#     (not_an_image), five photos or too many pixels (too_large), bytes that
#     are not those named, a type other than the one named, a ref without its
#     bytes (photo_mismatch); each refusal is audited.
#  C. A category's rule wants a photo to conclude (photo_required); with one
#     the conclude goes through; the same message id again answers as before
#     and stores no second copy.
#  D. A worker's terminal reports from patrol with a photo through the
#     intake; a resend stores nothing twice.
#  E. fengqiao-admin verify checks every photo: passes, then fails naming the
#     row once its bytes are changed behind the server's back.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

FQ_MAKE_IMAGE=${FQ_MAKE_IMAGE:?}
FQ_TERMINAL=${FQ_TERMINAL:?}
db_create
setup_world
add_terminal t1 "$W1"
add_terminal t2 "$W2"
add_node ops console xihu # the district's operators' console
# Fire hazards are concluded only with a photo of the work done.
q "UPDATE categories SET photo_to_conclude = true WHERE code = 'hazard.fire'" >/dev/null
server_start --presence-timeout 600 --dedup-window-min 0

P="$WORK/photos"
mkdir -p "$P"
"$FQ_MAKE_IMAGE" --jpeg 320 240 "$P/before.jpg" --seed 1
"$FQ_MAKE_IMAGE" --jpeg 320 240 "$P/after.jpg" --seed 2
"$FQ_MAKE_IMAGE" --png 64 48 "$P/sketch.png"
"$FQ_MAKE_IMAGE" --png 12001 2 "$P/too-wide.png"
printf '%%PDF-1.4 this is a document, not a photo\n' >"$P/not-a-photo.jpg"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# act NODE ARGS...: one assignment action over the terminal endpoint.
act() {
    local node=$1
    shift
    "$FQ_RAW_PEER" --url "$TERMINALS_URL" --node "$node" --key-file "$(key_of "$node")" \
        --timeout-ms 20000 report "$@"
}
holder_node() { # incident -> the terminal of the worker holding it
    case $(q "SELECT worker FROM incidents WHERE id = $1") in
    "$W1") echo t1 ;;
    "$W2") echo t2 ;;
    *) fail "incident $1 is not held by a worker" ;;
    esac
}
village_report() { # category external-ref
    report lingyin-platform --category "$1" --severity IV --risk low --channel hotline \
        --place lingyin-v1-g1 --title "现场 $2" --external-ref "$2" --quiet
    q "SELECT id FROM incidents WHERE external_ref = '$2'"
}
expect_ok() { # what reply
    [ "$(reply_field "$2" status)" = ok ] || fail "$1: not ok: $2"
}
expect_refused() { # what error_code reply
    [ "$(reply_field "$3" status)" = invalid ] || fail "$1: status is not invalid: $3"
    assert_eq "$(reply_field "$3" error_code)" "$2" "$1: error_code"
}
counts() { q "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM attachments)"; }

# ---- A. an action with a photo ----
inc=$(village_report dispute.neighbour A-1)
node=$(holder_node "$inc")
expect_ok ack "$(act "$node" --action acknowledge --incident "$inc")"
out=$(act "$node" --action progress --incident "$inc" --note "到场，拍照留证" --photo "$P/before.jpg" \
    --photo "$P/sketch.png")
expect_ok "progress with photos" "$out"
seq=$(reply_field "$out" event_seq)
assert_eq "$(q "SELECT string_agg(encode(sha256, 'hex') || ' ' || content_type || ' ' || size || ' '
                  || width || 'x' || height || ' ' || name, ',' ORDER BY id)
                FROM attachments WHERE incident_id = $inc AND event_seq = $seq")" \
    "$(sha_of "$P/before.jpg") image/jpeg $(stat -c %s "$P/before.jpg") 320x240 before.jpg,$(sha_of "$P/sketch.png") image/png $(stat -c %s "$P/sketch.png") 64x48 sketch.png" \
    "the photos' rows, in the order sent, with the event's seq"
assert_eq "$(q "SELECT encode(sha256(bytes), 'hex') = encode(sha256, 'hex') FROM attachments
                WHERE incident_id = $inc ORDER BY id LIMIT 1")" t "the stored bytes are the photo's"
assert_eq "$(q "SELECT kind FROM events WHERE seq = $seq")" progress "the photos' event"
# The recorded envelope (the event's payload, which the hash chain covers)
# names each photo by its SHA-256.
for f in before.jpg sketch.png; do
    assert_eq "$(q "SELECT position(decode('$(sha_of "$P/$f")', 'hex') IN payload) > 0 FROM events WHERE seq = $seq")" \
        t "the event's envelope names $f's SHA-256"
done
# fq-terminal sends photos too (--photo); over nanomsg the whole request
# must fit 64 KiB, and a larger one is refused before it is sent.
out=$(term "$node" progress "$inc" --note "再拍一张" --photo "$P/after.jpg" --json) ||
    fail "fq-terminal progress --photo: $out"
tseq=$(jq -r .event_seq <<<"$out")
assert_eq "$(q "SELECT encode(sha256, 'hex') || ' ' || name FROM attachments WHERE event_seq = $tseq")" \
    "$(sha_of "$P/after.jpg") after.jpg" "fq-terminal's photo, stored with its event"
"$FQ_MAKE_IMAGE" --jpeg 400 400 "$P/big.jpg" --noise
rc=0
out=$(term "$node" progress "$inc" --note 大图 --photo "$P/big.jpg" 2>&1) || rc=$?
assert_eq "$rc" 1 "fq-terminal with a photo over the frame: exit status ($out)"
assert_match "at most 65536 \(not sent\)" "$out" "fq-terminal says the request is too large for nanomsg"
out=$(term "$node" progress "$inc" --note 文件 --photo "$P/not-a-photo.jpg" 2>&1) && fail "a document was sent"
assert_match "not a JPEG or PNG" "$out" "fq-terminal refuses a document before sending"
# Evidence is append-only.
out=$(q "UPDATE attachments SET name = 'x' WHERE incident_id = $inc" 2>&1) &&
    fail "an attachment row was updated"
assert_match "attachments: UPDATE refused" "$out" "updating evidence"
out=$(q "DELETE FROM attachments WHERE incident_id = $inc" 2>&1) && fail "an attachment row was deleted"
assert_match "attachments: DELETE refused" "$out" "deleting evidence"
# The console's timeline lists them with the event (metadata, not bytes).
timeline=$("$FQ_CONSOLE_PEER" --url "$TERMINALS_URL" --node ops --key-file "$(key_of ops)" \
    incident "$inc") || fail "the console's incident query: $timeline"
ids=$(q "SELECT string_agg(id::text, ' ' ORDER BY id) FROM attachments WHERE event_seq = $seq")
assert_eq "$(jq -r ".timeline[] | select(.seq == $seq) | .attachments[]" <<<"$timeline")" \
    "${ids%% *} image/jpeg $(stat -c %s "$P/before.jpg") 320x240 $(sha_of "$P/before.jpg") before.jpg
${ids##* } image/png $(stat -c %s "$P/sketch.png") 64x48 $(sha_of "$P/sketch.png") sketch.png" \
    "the console's timeline lists the event's photos"
assert_eq "$(jq -r "[.timeline[] | select(.seq != $seq and .seq != $tseq) | .attachments[]] | length" <<<"$timeline")" 0 \
    "the other events have none"
log "A: a progress note with two photos, stored with its event; the envelope names them; the timeline lists them"

# ---- B. refusals store nothing ----
before=$(counts)
audited=$(q "SELECT count(*) FROM rejected_requests")
expect_refused "a document named .jpg" not_an_image \
    "$(act "$node" --action progress --incident "$inc" --note 文件 --photo "$P/not-a-photo.jpg")"
expect_refused "five photos" too_large \
    "$(act "$node" --action progress --incident "$inc" --note 五张 --photo "$P/sketch.png" \
        --photo "$P/sketch.png" --photo "$P/sketch.png" --photo "$P/sketch.png" --photo "$P/sketch.png")"
expect_refused "12001 pixels wide" too_large \
    "$(act "$node" --action progress --incident "$inc" --note 太宽 --photo "$P/too-wide.png")"
expect_refused "bytes changed after hashing" photo_mismatch \
    "$(act "$node" --action progress --incident "$inc" --note 改过 --photo "$P/after.jpg" --photo-tamper)"
expect_refused "a JPEG named a PNG" photo_mismatch \
    "$(act "$node" --action progress --incident "$inc" --note 类型 --photo "$P/after.jpg" --photo-type image/png)"
expect_refused "a ref without its bytes" photo_mismatch \
    "$(act "$node" --action progress --incident "$inc" --note 缺图 --photo "$P/after.jpg" --photo-ref-only)"
out=$(act "$node" --action progress --incident "$inc" --note 类型 --photo "$P/sketch.png" --photo-type image/gif)
expect_refused "a GIF" not_an_image "$out"
assert_match "image/jpeg or image/png" "$(reply_field "$out" message)" "the refusal says what is accepted"
# Reports are checked the same way.
out=$(raw lingyin-platform report --place lingyin-v1-g1 --title 图 --photo "$P/not-a-photo.jpg")
expect_refused "a report with a document" not_an_image "$out"
assert_eq "$(counts)" "$before" "refused requests stored no event and no photo"
wait_q "SELECT count(*) - $audited FROM rejected_requests" 8
log "B: not_an_image, too_large, photo_mismatch: nothing stored, each audited"

# ---- C. the category's rule, and a resend ----
fire=$(village_report hazard.fire C-1)
fnode=$(holder_node "$fire")
expect_ok "ack the fire hazard" "$(act "$fnode" --action acknowledge --incident "$fire")"
before=$(counts)
expect_refused "conclude without a photo" photo_required \
    "$(act "$fnode" --action conclude --incident "$fire" --note 已清理)"
assert_eq "$(counts)" "$before" "the refused conclude stored nothing"
assert_eq "$(q "SELECT state FROM incidents WHERE id = $fire")" assigned "still open"
mid=$((RANDOM * 32768 + RANDOM + 1000))
first=$(act "$fnode" --action conclude --incident "$fire" --note 已清理 --photo "$P/after.jpg" --message-id "$mid")
expect_ok "conclude with a photo" "$first"
assert_eq "$(reply_field "$first" state)" concluded "concluded"
again=$(act "$fnode" --action conclude --incident "$fire" --note 已清理 --photo "$P/after.jpg" --message-id "$mid")
assert_eq "$(reply_field "$again" status)/$(reply_field "$again" event_seq)" \
    "ok/$(reply_field "$first" event_seq)" "the resend is answered as before"
assert_eq "$(q "SELECT count(*) FROM attachments WHERE incident_id = $fire")" 1 "one copy of the photo"
# Another category concludes without one.
inc2=$(village_report dispute.neighbour C-2)
n2=$(holder_node "$inc2")
expect_ok "ack" "$(act "$n2" --action acknowledge --incident "$inc2")"
expect_ok "conclude without the rule" "$(act "$n2" --action conclude --incident "$inc2" --note 已调解)"
log "C: photo_required, conclude with a photo, the resend stores no second copy"

# ---- D. a worker's field report from patrol ----
mid=$((RANDOM * 32768 + RANDOM + 1000))
field() {
    raw t1 report --category hazard.fire --severity 4 --risk 1 --channel 4 --place lingyin-v1-g1 \
        --title "巡查发现楼道堆物" --photo "$P/before.jpg" --message-id "$mid"
}
out=$(field)
expect_ok "a field report with a photo" "$out"
rinc=$(reply_field "$out" incident)
rseq=$(reply_field "$out" event_seq)
assert_eq "$(q "SELECT kind || ' ' || actor_node FROM events WHERE seq = $rseq")" "reported t1" "the reported event"
assert_eq "$(q "SELECT count(*) FROM attachments WHERE incident_id = $rinc AND event_seq = $rseq
                AND sha256 = decode('$(sha_of "$P/before.jpg")', 'hex')")" 1 "the report's photo"
out=$(field)
assert_eq "$(reply_field "$out" status)/$(reply_field "$out" duplicate)/$(reply_field "$out" incident)" \
    "ok/1/$rinc" "the resent report is a duplicate"
assert_eq "$(q "SELECT count(*) FROM attachments WHERE incident_id = $rinc")" 1 "one copy of the report's photo"
# Outside the terminal's jurisdiction: refused as any report is.
out=$(raw t1 report --category hazard.fire --severity 4 --risk 1 --channel 4 --place beishan-v1 \
    --title 越界 --photo "$P/before.jpg")
assert_eq "$(reply_field "$out" status)" forbidden "a field report outside the worker's grid"
log "D: a worker's report from patrol with a photo; a resend is a duplicate"

# ---- E. verify ----
server_stop
out=$(admin verify 2>&1) || fail "verify failed on a clean history: $out"
assert_match "attachments" "$out" "verify speaks of the photos"
victim=$(q "SELECT id FROM attachments WHERE incident_id = $fire")
q "ALTER TABLE attachments DISABLE TRIGGER attachments_no_update;
   UPDATE attachments SET bytes = overlay(bytes PLACING '\\x00'::bytea FROM 200 FOR 1) WHERE id = $victim;
   ALTER TABLE attachments ENABLE TRIGGER attachments_no_update" >/dev/null
rc=0
out=$(admin verify 2>&1) || rc=$?
assert_eq "$rc" 1 "verify's exit status with a changed photo (output: $out)"
assert_match "BROKEN: attachment $victim " "$out" "verify names the changed photo"
# A photo removed behind the server's back: its event still names it.
q "ALTER TABLE attachments DISABLE TRIGGER attachments_no_update;
   DELETE FROM attachments WHERE incident_id = $inc AND event_seq = $seq AND content_type = 'image/png';
   ALTER TABLE attachments ENABLE TRIGGER attachments_no_update" >/dev/null
out=$(admin verify 2>&1) && fail "verify passed with a photo removed: $out"
assert_match "BROKEN: event seq $seq names 2 photos but 1 is stored" "$out" "verify names the event missing a photo"
log "E: verify checks the photos and names the one changed and the one removed"

# ---- F. the rule comes from the topology ----
TOPO="$FQ_SRC_DIR/examples/westlake-topology.json"
jq '(.categories[] | select(.code == "dispute.family")) += {"photo_to_conclude": true}' "$TOPO" \
    >"$WORK/topology-photo.json"
rm -f "$WORK/server.key" # setup_topology makes a new one with the new database
setup_topology "$WORK/topology-photo.json"
assert_eq "$(q "SELECT string_agg(code, ',') FROM categories WHERE photo_to_conclude")" dispute.family \
    "imported: the category that wants a photo"
out=$(admin import-topology "$TOPO" 2>&1) && fail "a changed photo rule was imported without --replace"
assert_match "photo_to_conclude" "$out" "the refusal names the rule"
admin import-topology "$TOPO" --replace >/dev/null
assert_eq "$(q "SELECT count(*) FROM categories WHERE photo_to_conclude")" 0 "replaced: no category wants one"
jq '(.categories[0]) += {"photo_to_conclude": "yes"}' "$TOPO" >"$WORK/topology-bad.json"
out=$(admin import-topology "$WORK/topology-bad.json" 2>&1) && fail "a photo rule that is no boolean was imported"
assert_match "photo_to_conclude: must be true or false" "$out" "the refusal says what the rule must be"
log "F: the topology's photo_to_conclude is imported, changed only with --replace, checked"
