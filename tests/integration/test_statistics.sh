#!/usr/bin/env bash
# integ_statistics: the meeting figures (fq_meeting_stats, fengqiao-admin
# stats) of a small, known history made through the real server and
# terminals: received, acknowledged (on time), concluded (on time), overdue,
# returned, escalated, the village share, times; each figure also checked
# against a direct count of the events; a period that ends before the
# conclusions does not count them; one that ends in the future is judged as
# of now (open cases not overdue before their limit); CSV and JSON carry the
# same rows.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

db_create
setup_world
W1=lingyin-v1-g1.w1
W2=lingyin-v1-g1.w2
# ACK_S: the floods' acknowledge limit. It restarts at every tier, so once S4
# has climbed to the town line, gov's ack must come within ACK_S too (or S4
# climbs on to the district): seconds are not enough on a busy machine.
ACK_S=20
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_statistics', 'short flood limit', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', $ACK_S, 10, 3600, 60)" >/dev/null
for w in 1 2; do
    admin node add "t$w" --role terminal --serves-worker "lingyin-v1-g1.w$w" --key-out "$WORK/keys/t$w.key" >/dev/null 2>&1
done
admin node add gov --role terminal --serves-unit lingyin.governance --key-out "$WORK/keys/gov.key" >/dev/null 2>&1
server_start --dedup-window-min 0 --presence-timeout 600

rep() { # ref category
    report lingyin-platform --category "$2" --severity IV --risk low --channel hotline \
        --place lingyin-v1-g1 --title "统计 $1" --external-ref "$1" --quiet
}
id_of() { q "SELECT id FROM incidents WHERE external_ref = '$1'"; }
holder_of() { [ "$(q "SELECT worker FROM incidents WHERE id = $1")" = "$W1" ] && echo t1 || echo t2; }

t_from=$(q "SELECT now()")
rep S1 dispute.neighbour
rep S2 dispute.neighbour
rep S3 dispute.neighbour
rep S4 hazard.flood
s1=$(id_of S1) s2=$(id_of S2) s3=$(id_of S3) s4=$(id_of S4)
term_ok "$(holder_of "$s1")" ack "$s1"
term_ok "$(holder_of "$s2")" ack "$s2"
term_ok "$(holder_of "$s3")" return "$s3" --reason capacity --note "需要街道"
# S4 misses its acknowledge limit and climbs to the town line.
for ((i = 0; i < 10 * (ACK_S + 60); i++)); do
    [ "$(q "SELECT tier FROM incidents WHERE id = $s4")" = 2 ] && break
    sleep 0.1
done
assert_eq 2 "$(q "SELECT tier FROM incidents WHERE id = $s4")" "S4 escalated"
term_ok gov ack "$s4"
t_mid=$(q "SELECT now()")
term_ok "$(holder_of "$s1")" conclude "$s1" --note 已调解
term_ok gov conclude "$s4" --note 已排水
t_to=$(q "SELECT now() + interval '1 second'")

stats() { admin stats --from "$t_from" --to "${TO:-$t_to}" "$@"; }
field() { jq -r "$1" <<<"$2"; }

# ---- the district as a whole ----
d=$(stats --by district --json)
log "district: $d"
assert_eq "4|3|2|2|2|1|1|1|0.5" \
    "$(field '[.received, .acknowledged, .acknowledged_on_time, .concluded, .concluded_on_time, .overdue, .returned, .escalated, .village_share] | map(tostring) | join("|")' "$d")" \
    "received|acknowledged|on time|concluded|on time|overdue|returned|escalated|village share"
# The same figures straight from the events.
assert_eq "$(field .acknowledged "$d")" \
    "$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'acknowledged' AND at >= '$t_from'")" \
    "acknowledged = incidents with an acknowledged event"
assert_eq "$(field .concluded "$d")" \
    "$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'concluded' AND at >= '$t_from'")" \
    "concluded = incidents with a concluded event"
assert_eq "$(field .escalated "$d")" \
    "$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'escalated' AND at >= '$t_from'")" \
    "escalated = incidents with an escalated event"
assert_eq "$(field .returned "$d")" \
    "$(q "SELECT count(DISTINCT incident_id) FROM events WHERE kind = 'returned' AND at >= '$t_from'")" \
    "returned = incidents with a returned event"
# Mean time to acknowledge, from the events.
want=$(q "SELECT round(avg(extract(epoch FROM a.at - i.recorded_at))::numeric, 1)
          FROM incidents i JOIN LATERAL (SELECT min(at) AS at FROM events e
                                         WHERE e.incident_id = i.id AND e.kind = 'acknowledged') a ON true
          WHERE i.recorded_at >= '$t_from' AND a.at IS NOT NULL")
# Both through jq, which prints a whole 8.0 as 8.
assert_eq "$(jq -r . <<<"$want")" "$(field .ack_mean_s "$d")" "mean time to acknowledge"

# ---- by town, line, worker: the parts add up ----
t=$(stats --by town --json)
assert_eq "lingyin|4" "$(field '[.grp, .received] | map(tostring) | join("|")' "$t")" "by town"
l=$(stats --by line --json)
assert_eq "governance|4" "$(field '[.grp, .received] | map(tostring) | join("|")' "$l")" "by line"
w=$(stats --by worker --json)
assert_eq 2 "$(jq -s 'map(.received) | add' <<<"$w")" "by worker: the two cases still at village tier"

# ---- a period that ends before the conclusions ----
m=$(TO=$t_mid stats --by district --json)
assert_eq "4|3|0" "$(field '[.received, .acknowledged, .concluded] | map(tostring) | join("|")' "$m")" \
    "as of before the conclusions"

# ---- a period that ends in the future: judged as of now ----
# S2 (acknowledged) and S3 (returned) are open with limits far beyond today
# but before a --to a year ahead: not overdue yet, and not pending for a year.
f=$(TO=$(q "SELECT now() + interval '400 days'") stats --by district --json)
log "to a future date: $f"
assert_eq "4|1|0|0" \
    "$(field '[.received, .overdue, .pending_over_7d, .pending_over_30d] | map(tostring) | join("|")' "$f")" \
    "a future --to: overdue and pending ages as of now"

# ---- CSV and the table ----
csv=$(stats --by district --csv)
assert_eq 2 "$(wc -l <<<"$csv")" "CSV: a header and one row"
assert_match '^group,received,acknowledged,acknowledged_on_time,concluded' "$(head -n 1 <<<"$csv")" "CSV header"
assert_match '^district,4,3,2,2,2,1,1,0,1,0.5000,' "$(tail -n 1 <<<"$csv")" "CSV row"
stats --by unit | grep -q "^GROUP" || fail "table output"
# The table: a title per part, unique headings, names, a TOTAL row made from
# counts (docs/statistics.md, "The table").
table=$(stats --by town)
log "table:
$table"
assert_match '^Cases received from .* by town' "$(sed -n 1p <<<"$table")" "the cases' title"
assert_match '^Times and backlog of the same cases, by town' "$(grep '^Times' <<<"$table")" "the times' title"
for heads in "$(grep -m 1 '^GROUP' <<<"$table")" "$(grep '^GROUP' <<<"$table" | tail -n 1)"; do
    assert_eq "" "$(awk -F '  +' '{for (i = 1; i <= NF; i++) print $i}' <<<"$heads" | sort | uniq -d)" \
        "unique headings: $heads"
done
row=$(grep -m 1 '^lingyin ' <<<"$table")
assert_match '灵隐街道' "$row" "the town by name"
total=$(grep -m 1 '^TOTAL' <<<"$table")
assert_eq "4 3 2 2 2 1 1 0 1 0 0" "$(awk '{$1 = ""; print}' <<<"$total" | xargs)" "TOTAL: the counts summed (none suspended)"
times=$(grep '^TOTAL' <<<"$table" | tail -n 1)
assert_eq 50% "$(awk '{print $2}' <<<"$times")" "TOTAL: the village share from the counts"
assert_eq "$(jq -r '.ack_mean_s / 3600 * 10 | round / 10' <<<"$d" | awk '{printf "%.1f", $1}')" \
    "$(awk '{print $3}' <<<"$times")" "TOTAL: the mean time to acknowledge in hours"
w2=$(stats --by worker)
assert_match '^TOTAL +2 ' "$(grep -m 1 '^TOTAL' <<<"$w2")" "by worker: the total of its rows"
# The views read the same.
assert_eq 4 "$(q "SELECT sum(received) FROM meeting_stats_by_town WHERE grp = 'lingyin'")" "view by town"
rc=0
out=$(admin stats --from "$t_to" --to "$t_from" 2>&1) || rc=$?
assert_eq "2|fengqiao-admin: --from must come before --to" "$rc|$out" "a reversed period"
rc=0
out=$(admin stats --from yesterday-ish --to "$t_to" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unreadable time"
assert_match 'invalid input syntax for type timestamp' "$out" "an unreadable time says why"
assert_eq "" "$(admin stats --from 2000-01-01 --to 2000-01-02 --json)" "an empty period has no rows"
server_stop
log "statistics ok"
