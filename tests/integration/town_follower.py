#!/usr/bin/env python3
"""A town system following its incidents from typed fields alone.

Reads the JSON lines `fq-report follow` printed (a file that keeps growing
while the follower runs) and rebuilds, per incident, what a town system
keeps: the incident's state, the assignment's state, tier, line, holder
(unit and worker) and co-handling units, as of each event (event_seq). It
never reads `text`: every line's "text" is dropped as it is read.

    town_follower.py check FEED DB INCIDENT KIND CODE

waits (at most 60 s) until the feed has an item of INCIDENT for event KIND
with reason code CODE ("-": any), then until the follower has the item of
the newest event the database has for it, and compares the follower's state
as of that item with the database's truth: the incidents
row and the newest event with an item in the town's feed, read in one
statement (one snapshot), so a change of the server's own that comes
meanwhile is waited for rather than mistaken. Prints the (last) item of
KIND on success; exits 1 with both sides on a mismatch or a timeout.

    town_follower.py state FEED INCIDENT

prints the rebuilt state of INCIDENT (JSON).

    town_follower.py serve DB

does check for one request after another, each a line of standard input
with FEED, INCIDENT, KIND and CODE separated by tabs; answers each with one
line (flushed): the item on success, "!" and the reason (JSON) otherwise.
One process for a whole test instead of a Python start per check."""

import io
import json
import subprocess
import sys
import time

TIERS = {1: "village", 2: "town", 3: "district"}
LINES = {0: "governance", 1: "market", 2: "enforcement", 3: "services"}
TRACKED = ("state", "assignment", "tier", "line", "holder_unit", "holder_worker", "co_units")


def load(feed):
    """Items per incident, in feed order, without their text."""
    per = {}
    with open(feed, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break  # being written
            item = json.loads(line)
            item.pop("text", None)  # a town system does not parse prose
            per.setdefault(item["incident"], []).append(item)
    return per


def state_of(item):
    """What a town system keeps from one item: its typed fields only."""
    return {
        "state": item.get("state", ""),
        "assignment": item.get("assignment", ""),
        "tier": item.get("tier", ""),
        "line": item.get("line", ""),
        "holder_unit": item.get("holder_unit", ""),
        "holder_worker": item.get("holder_worker", ""),
        "co_units": sorted(item.get("co_units", [])),
    }


def truth(db, incident):
    """The incident as stored, and the newest event with a feed item."""
    sql = (
        "SELECT json_build_object('state', i.state,"
        " 'assignment', CASE WHEN i.state = 'assigned' THEN i.assignment ELSE '' END,"
        " 'tier', coalesce(i.tier, 0), 'line', coalesce(i.line, -1),"
        " 'lead_unit', coalesce(i.lead_unit, ''), 'worker', coalesce(i.worker, ''),"
        " 'co_units', coalesce(i.co_units, '{}'),"
        " 'feed_event', (SELECT max(e.seq) FROM events e"
        "   WHERE e.incident_id = i.id AND e.feed_item IS NOT NULL))"
        f" FROM incidents i WHERE i.id = {int(incident)}"
    )
    out = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        check=True, capture_output=True, text=True).stdout
    row = json.loads(out)
    open_ = row["state"] == "assigned"
    routed = row["tier"] != 0
    # Merged and unroutable reports have no routing of their own.
    lead = row["lead_unit"]
    want = {
        "state": row["state"],
        "assignment": row["assignment"] if open_ else "",
        "tier": TIERS.get(row["tier"], ""),
        "line": LINES.get(row["line"], "") if routed else "",
        "holder_unit": lead if routed else "",
        "holder_worker": row["worker"] if routed else "",
        "co_units": sorted(row["co_units"]) if routed else [],
    }
    return want, row["feed_event"]


def check(feed, db, incident, kind, code, out=sys.stdout, err=sys.stderr):
    incident = int(incident)
    deadline = time.monotonic() + 60
    last = "nothing yet"
    while time.monotonic() < deadline:
        items = load(feed).get(incident, [])
        seen = [i for i in items if i.get("event_kind") == kind
                and (code == "-" or i.get("reason_code") == code)]
        if seen:
            want, feed_event = truth(db, incident)
            by_event = [i for i in items if i.get("event_seq") == feed_event]
            if by_event and by_event[-1] is items[-1]:
                got = state_of(by_event[-1])
                if got == want:
                    print(json.dumps(seen[-1], ensure_ascii=False), file=out)
                    return 0
                last = f"follower {got}\ndatabase {want} (event {feed_event})"
            else:
                last = f"the feed has not reached event {feed_event} yet"
        time.sleep(0.1)
    print(f"incident {incident}, {kind}/{code}: {last}", file=err)
    print("items: " + json.dumps(load(feed).get(incident, []), ensure_ascii=False), file=err)
    return 1


def serve(db):
    for line in sys.stdin:
        feed, incident, kind, code = line.rstrip("\n").split("\t")
        why = io.StringIO()
        if check(feed, db, incident, kind, code, err=why) != 0:
            print("!" + json.dumps(why.getvalue(), ensure_ascii=False))
        sys.stdout.flush()


def main(argv):
    if len(argv) == 7 and argv[1] == "check":
        return check(*argv[2:])
    if len(argv) == 3 and argv[1] == "serve":
        serve(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "state":
        items = load(argv[2]).get(int(argv[3]), [])
        print(json.dumps(state_of(items[-1]) if items else {}, ensure_ascii=False))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
