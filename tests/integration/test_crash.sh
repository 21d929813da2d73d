#!/usr/bin/env bash
# integ_crash: the server is killed with SIGKILL in the middle of a stream of
# reports, three times, and PostgreSQL is restarted once; nothing
# acknowledged is lost or doubled and the history stays consistent. Runs its
# own cluster (it stops and starts PostgreSQL).
#
#  A. 3,000 reports (distinct external refs, distinct coordinates ~400 m
#     apart; every 50th repeats its predecessor's matter, to be merged) fed to
#     fq-report --stdin --window 16 at ~150/s. A quarter are floods, whose rule
#     has a 2 s acknowledge limit: they escalate village -> town -> district
#     and breach there while the stream runs. At three random moments the
#     server gets SIGKILL and is restarted on the same URL (fq-report's REQ
#     sockets reconnect and resend); between the second and third kill
#     PostgreSQL is stopped for 2 s and started again on the same port.
#  B. Deadlines that passed while the server was down: 20 fresh floods, the
#     server killed at once, down until their acknowledge limits have passed;
#     after the restart the server has the same number of open incidents as
#     the database, and every one of the 20 is escalated within 2 s of the
#     ready file, in the order of their limits.
#  C. The whole input again: every line ok, under the id stored for its
#     external ref; every acknowledgement of the first run names that id too.
#  D. With the server stopped, the history: each line stored exactly once;
#     every incident has exactly one "reported" and one routing event
#     (assigned, merged or unroutable) and the state that event says; an
#     assigned incident's routing events (assigned, then each "escalated") go
#     strictly up in tier, never from the district, their number is
#     1 + incidents.escalations, and the last one's tier, lead unit, worker
#     and acknowledge limit are the incident's columns; "breached" only at
#     the district; one "report_merged" per merged report on the incident it
#     joined; no worker holds more open incidents than their capacity; and,
#     if fengqiao-admin has a verify command, the event chain verifies.
#
# Each limit is warned and breached at most once per holder, across the
# restarts: two "ack_warning" or two "breached" events between one routing
# event and the next fail the test (the breach is recorded on the incident
# row, and the server's own writes land in the order they were decided).
# The conclude limits here are an hour away, so every breach in this test
# is of an acknowledge limit and a second one for a holder is a repeat.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

own_cluster crash.cluster
db_create "$CLUSTER"
setup_world

# Floods: 2 s to acknowledge (warning at 1 s); part B's floods (severity IV,
# medium risk: none in part A) 8 s, time enough to report all twenty and kill
# the server before the first limit however busy the machine; everything
# else by the built-in principle (limits of hours).
q "INSERT INTO rule_sets (version, created_by, note, active) VALUES (1, 'integ_crash', 'short limits for floods', true);
   INSERT INTO rules (rule_set, category, severity, risk, tier, line, co_departments,
                      ack_s, ack_warn_s, conclude_s, conclude_warn_s)
     VALUES (1, 'hazard.flood', 0, 0, 'village', NULL, '{}', 2, 1, 3600, 60),
            (1, 'hazard.flood', 4, 2, 'village', NULL, '{}', 8, 4, 3600, 60);" >/dev/null

COUNT=3000
RATE=150

# ---- the server, killed and restarted on one URL ----

# server_restart: starts fengqiaod again on SERVER_URL and TERMINALS_URL (the
# ports of the first server_start), so that clients holding the URL reconnect;
# retries while the ports are not free yet.
server_restart() {
    local attempt ready i
    [ -z "$SERVER_PID" ] || fail "server_restart: a server is already running"
    for attempt in $(seq 50); do
        SERVER_N=$((SERVER_N + 1))
        SERVER_LOG="$WORK/server.$SERVER_N.log"
        SERVER_LOGS+=("$SERVER_LOG")
        ready="$WORK/server.$SERVER_N.ready"
        # Both endpoints explicit: the terminals' default (7412) may be a
        # running demo's.
        "$FQ_SERVERD" --db "$FQ_DB" --server-key "$FQ_SERVER_KEY" --intake "$SERVER_URL" \
            --terminals "$TERMINALS_URL" --ready-file "$ready" --stats-interval 1 2>"$SERVER_LOG" &
        SERVER_PID=$!
        for ((i = 0; i < 600; i++)); do
            if [ -s "$ready" ]; then
                READY_MS=$(now_ms)
                log "server $SERVER_PID serving again on $SERVER_URL"
                return 0
            fi
            pid_alive "$SERVER_PID" || break
            sleep 0.05
        done
        pid_alive "$SERVER_PID" && fail "server did not become ready within 30 s"
        wait "$SERVER_PID" || true
        SERVER_PID=""
        grep -q "cannot listen" "$SERVER_LOG" || fail "server exited during start: $(tail -n 5 "$SERVER_LOG")"
        log "$SERVER_URL not free yet (attempt $attempt)"
        sleep 0.2
    done
    fail "could not start the server on $SERVER_URL again"
}

server_kill() {
    local pid=$SERVER_PID
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    SERVER_PID=""
    check_log "$SERVER_LOG"
    log "server $pid killed (SIGKILL)"
}

# ---- input ----

# make_input PREFIX COUNT FILE: distinct coordinates on a ~400 m lattice in
# lingyin; every 4th a flood; every 50th the same matter as the line before.
make_input() {
    python3 - "$@" <<'PY'
import json, sys
prefix, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
places = ["lingyin-v1-g1", "lingyin-v1", "lingyin-v2", "lingyin"]
kinds = [("dispute.neighbour", 4, "low"), ("hazard.flood", 4, "low"),
         ("market.food_safety", 3, "medium"), ("hazard.flood", 4, "low"),
         ("service.elderly_care", 4, "low"), ("dispute.labour", 2, "high"),
         ("enforcement.illegal_building", 3, "low"), ("hazard.fire", 1, "high")]
sev = {1: "I", 2: "II", 3: "III", 4: "IV"}
prev = None
with open(path, "w") as f:
    for i in range(1, count + 1):
        k = i - 1
        cat, s, risk = kinds[k % 8]
        o = {"category": cat, "severity": sev[s], "risk": risk, "channel": "patrol",
             "place_unit": places[k % 4], "lon": round(120.0 + (k % 64) * 0.004, 6),
             "lat": round(30.0 + (k // 64) * 0.004, 6)}
        if i % 50 == 0 and prev is not None:
            o = dict(prev)
        o["title"] = "%s 第%d条" % (prefix, i)
        o["external_ref"] = "%s-%05d" % (prefix, i)
        prev = {key: o[key] for key in ("category", "severity", "risk", "channel", "place_unit", "lon", "lat")}
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
PY
}

answers() { wc -l <"$WORK/A.out"; }

# wait_answers COUNT SECONDS: until the stream has answered COUNT lines.
wait_answers() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ "$(answers)" -ge "$1" ] && return 0
        pid_alive "$client" || fail "the stream ended after $(answers) answers, before $1"
        sleep 0.05
    done
    fail "the stream did not reach $1 answers within $2 s (at $(answers))"
}

rand_sleep() { # up to $1 ms
    sleep "$(awk -v ms=$((RANDOM % ($1 + 1))) 'BEGIN { print ms / 1000 }')"
}

# ---- A: the stream, three kills and a PostgreSQL restart ----
make_input A "$COUNT" "$WORK/A.jsonl"
server_start
t0=$(now_ms)
paced "$WORK/A.jsonl" "$RATE" |
    "$FQ_REPORT" --node lingyin-platform --key-file "$(key_of lingyin-platform)" --url "$SERVER_URL" \
        --stdin --window 16 --timeout-ms 120000 >"$WORK/A.out" 2>"$WORK/A.err" &
client=$!
BG_PIDS+=("$client")

kill1=$((300 + RANDOM % 500))
kill2=$((1100 + RANDOM % 400))
pgat=$((1700 + RANDOM % 300))
kill3=$((2200 + RANDOM % 500))
log "plan: SIGKILL after $kill1, $kill2 and $kill3 answers, PostgreSQL restart after $pgat"
for at in "$kill1" "$kill2" pg "$kill3"; do
    if [ "$at" = pg ]; then
        wait_answers "$pgat" 90
        rand_sleep 300
        log "restarting PostgreSQL after $(answers) answers"
        pg_restart "$CLUSTER" 2
        continue
    fi
    wait_answers "$at" 90
    rand_sleep 300
    log "killing the server after $(answers) answers"
    server_kill
    rand_sleep 1000
    server_restart
done
rc=0
wait_client "$client" 120 || rc=$?
cat "$WORK/A.err" >&2
log "stream A done in $(($(now_ms) - t0)) ms, exit $rc;" \
    "statuses: $(jq -r .status "$WORK/A.out" | sort | uniq -c | tr -s ' \n' ' ')"
[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "fq-report exit status $rc (expected 0, or 3 for unknown outcomes)"
assert_eq "$COUNT" "$(answers)" "answers in stream A"
escalated_in_a=$(q "SELECT count(*) FROM events WHERE kind = 'escalated'")
log "escalations during the stream: $escalated_in_a"
((escalated_in_a > 0)) || fail "no escalation happened during the stream"

# ---- B: deadlines that pass while the server is down ----
python3 - "$WORK/B.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 21):
        f.write(json.dumps({"category": "hazard.flood", "severity": "IV", "risk": "medium",
                            "channel": "patrol", "place_unit": "lingyin-v1-g1",
                            "lon": 121.0 + i * 0.01, "lat": 31.0, "title": "停机期间到期 %d" % i,
                            "external_ref": "B-%02d" % i}) + "\n")
PY
rc=0
report lingyin-platform --stdin --window 16 --timeout-ms 30000 <"$WORK/B.jsonl" >"$WORK/B.out" 2>"$WORK/B.err" || rc=$?
assert_eq 0 "$rc" "exit status of the B reports ($(tail -n 1 "$WORK/B.err"))"
server_kill
# (The village workers are full by now: they start at the town tier.)
assert_eq "20|0|20" "$(q "SELECT count(*), count(*) FILTER (WHERE escalations > 0), count(*) FILTER (WHERE tier < 3)
                          FROM incidents WHERE external_ref LIKE 'B-%'")" \
    "B incidents at the kill (below the district, none escalated yet)"
# Down until every limit has passed, and then half a second.
left=$(q "SELECT ceil(extract(epoch FROM max(ack_due) - now()) * 1000) FROM incidents WHERE external_ref LIKE 'B-%'")
sleep "$(awk -v ms="$left" 'BEGIN { ms += 500; print (ms > 0 ? ms / 1000 : 0) }')"
open_db=$(q "SELECT count(*) FROM incidents WHERE state = 'assigned'")
due=$(q "SELECT id || ':' || (extract(epoch FROM ack_due) * 1000)::bigint FROM incidents
        WHERE external_ref LIKE 'B-%'" | tr '\n' ' ')
server_restart
grep -q "; $open_db open incidents" "$SERVER_LOG" ||
    fail "the restarted server did not load the $open_db open incidents: $(grep 'routing: rule' "$SERVER_LOG")"
wait_q "SELECT count(*) FROM incidents WHERE external_ref LIKE 'B-%' AND escalations > 0" 20 60
lag=$(q "SELECT max((extract(epoch FROM e.at) * 1000)::bigint) - $READY_MS FROM events e
         JOIN incidents i ON i.id = e.incident_id
         WHERE i.external_ref LIKE 'B-%' AND e.kind = 'escalated'
         AND e.seq = (SELECT min(seq) FROM events WHERE incident_id = i.id AND kind = 'escalated')")
log "B: $open_db open incidents loaded; the 20 overdue escalations committed within $lag ms of ready"
# Overdue limits fire as the cases load, not a sweep period or a limit later;
# the bound leaves room for a machine whose cores are both busy.
((lag <= 15000)) || fail "overdue escalations took $lag ms after the restart (limit 15000)"
# In the order of their limits (reports decided in the same millisecond share
# a limit, and those may fire in either order).
fired=$(q "SELECT i.id FROM incidents i JOIN events e ON e.incident_id = i.id
           WHERE i.external_ref LIKE 'B-%' AND e.kind = 'escalated'
           AND e.seq = (SELECT min(seq) FROM events WHERE incident_id = i.id AND kind = 'escalated')
           ORDER BY e.seq" | tr '\n' ' ')
python3 - "$due" "$fired" <<'PY' || fail "B: escalations out of the order of their limits: $fired (id:limit $due)"
import sys
due = dict(p.split(":") for p in sys.argv[1].split())
fired = sys.argv[2].split()
limits = [int(due[i]) for i in fired]
sys.exit(0 if sorted(fired) == sorted(due) and limits == sorted(limits) else 1)
PY

# ---- C: everything again ----
rc=0
report lingyin-platform --stdin --window 16 --timeout-ms 60000 <"$WORK/A.jsonl" >"$WORK/A.again" 2>"$WORK/A.again.err" || rc=$?
assert_eq 0 "$rc" "exit status of the second run ($(tail -n 1 "$WORK/A.again.err"))"
assert_eq "$COUNT" "$(jq -r 'select(.status == "ok") | .line' "$WORK/A.again" | sort -u | wc -l)" \
    "lines ok in the second run"
server_stop

# ---- D: the history ----
assert_eq "$COUNT|$COUNT" "$(q "SELECT count(*), count(DISTINCT external_ref) FROM incidents WHERE external_ref LIKE 'A-%'")" \
    "incidents of stream A (rows, distinct refs)"
check_acked_stored A "$WORK/A.out"
check_acked_stored A "$WORK/A.again"

q "SELECT id, state, coalesce(tier, 0), coalesce(worker, ''), coalesce(lead_unit, ''), escalations,
          coalesce((extract(epoch FROM ack_due) * 1000)::bigint, 0), coalesce(merged_into, 0)
   FROM incidents ORDER BY id" >"$WORK/incidents.txt"
q "SELECT incident_id, kind, CASE WHEN kind IN ('assigned', 'escalated') THEN encode(payload, 'hex') ELSE '' END
   FROM events ORDER BY seq" >"$WORK/events.txt"
q "SELECT id, capacity FROM workers" >"$WORK/workers.txt"
python3 - "$WORK/incidents.txt" "$WORK/events.txt" "$WORK/workers.txt" <<'PY' || fail "the history is inconsistent (above)"
import collections, os, sys

sys.path.insert(0, os.path.join(os.environ["FQ_SRC_DIR"], "tests/integration"))
import pbfields

def fields(hexpayload):
    """tier (1), lead_unit (3), worker (4), acknowledge_due_ms (7) of a RoutingOutcome."""
    out = {1: 0, 3: "", 4: "", 7: 0}
    out.update((k, v) for k, v in pbfields.fields(bytes.fromhex(hexpayload)).items() if k in out)
    return out

incidents = {}
for line in open(sys.argv[1]):
    iid, state, tier, worker, lead, esc, ack, merged = line.rstrip("\n").split("|")
    incidents[iid] = dict(state=state, tier=int(tier), worker=worker, lead=lead, esc=int(esc),
                          ack=int(ack), merged=merged)
events = collections.defaultdict(list)
for line in open(sys.argv[2]):
    iid, kind, payload = line.rstrip("\n").split("|")
    events[iid].append((kind, payload))
capacity = dict(line.rstrip("\n").split("|") for line in open(sys.argv[3]))

errors, breaches, repeated = [], 0, 0
merged_into = collections.Counter(i["merged"] for i in incidents.values() if i["merged"] != "0")
load = collections.Counter()
for iid, inc in incidents.items():
    evs = events.get(iid, [])
    kinds = collections.Counter(k for k, _ in evs)
    def bad(why):
        errors.append("incident %s (%s): %s; events %s" % (iid, inc["state"], why, [k for k, _ in evs]))
    if kinds["reported"] != 1:
        bad("%d reported events" % kinds["reported"])
    routing = [k for k, _ in evs if k in ("assigned", "merged", "unroutable")]
    if len(routing) != 1:
        bad("%d routing events" % len(routing))
        continue
    if routing[0] != inc["state"]:
        bad("state is not the routing event's %s" % routing[0])
    if kinds["report_merged"] != merged_into.get(iid, 0):
        bad("%d report_merged events for %d merged reports" % (kinds["report_merged"], merged_into.get(iid, 0)))
    if inc["state"] != "assigned":
        if kinds["escalated"] or inc["esc"]:
            bad("escalated although not assigned")
        continue
    if inc["worker"]:
        load[inc["worker"]] += 1
    tier, last, n_breached = None, None, 0
    per_holder = collections.Counter()
    for kind, payload in evs:
        if kind in ("assigned", "escalated"):
            f = fields(payload)
            if kind == "escalated" and not (tier < f[1] <= 3):
                bad("escalated from tier %s to %s" % (tier, f[1]))
            tier, last = f[1], f
            per_holder = collections.Counter()
        if kind in ("ack_warning", "conclude_warning", "breached"):
            per_holder[kind] += 1
            if per_holder[kind] > 1:
                bad("%s twice for one holder" % kind)
        if kind == "breached":
            n_breached += 1
            if tier != 3:
                bad("breached at tier %s" % tier)
    breaches += n_breached
    repeated += max(0, n_breached - 1)
    if kinds["escalated"] != inc["esc"]:
        bad("incidents.escalations %d but %d escalated events" % (inc["esc"], kinds["escalated"]))
    if not 1 <= inc["tier"] <= 3:
        bad("tier %d" % inc["tier"])
    if last is not None and (last[1], last[3], last[4], last[7]) != (inc["tier"], inc["lead"], inc["worker"], inc["ack"]):
        bad("row (tier, lead, worker, ack due) %s but the last routing event says %s" %
            ((inc["tier"], inc["lead"], inc["worker"], inc["ack"]), (last[1], last[3], last[4], last[7])))
for w, n in load.items():
    if n > int(capacity.get(w, 0)):
        errors.append("worker %s holds %d open incidents, capacity %s" % (w, n, capacity.get(w)))
for e in errors[:20]:
    print(e, file=sys.stderr)
states = collections.Counter(i["state"] for i in incidents.values())
print("history: %d incidents %s, %d escalations, %d breaches (%d repeats of a breach), "
      "worker loads %s; %d errors" % (len(incidents), dict(states),
      sum(i["esc"] for i in incidents.values()), breaches, repeated, dict(load), len(errors)), file=sys.stderr)
sys.exit(1 if errors else 0)
PY

# The tamper-evident chain, once fengqiao-admin can check it.
if "$FQ_ADMIN" verify --help >/dev/null 2>&1; then
    rc=0
    out=$("$FQ_ADMIN" verify 2>&1) || rc=$?
    log "fengqiao-admin verify: $out"
    assert_eq 0 "$rc" "exit status of fengqiao-admin verify"
else
    log "fengqiao-admin has no verify command yet: chain not checked"
fi
log "crash ok"
