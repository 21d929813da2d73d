#!/usr/bin/env python3
"""demo_rules.py: the topology file with its time limits on a simulated clock.

    examples/demo_rules.py SPEEDUP < examples/westlake-topology.json > demo-topology.json

fengqiaod measures acknowledge and conclude limits in real time. fq-simulate
runs the day SPEEDUP times faster, so for the limits to read as the district's
own limits on the simulated clock, they are divided by SPEEDUP here. Cells no
rule covers follow the server's built-in principle (docs/routing.md), whose
limits are fixed; so the output spells out one rule per category, severity and
risk, with exactly the decision the original rules (most specific wins) or the
principle take, and every duration divided by SPEEDUP (at least 1 s; a
warning stays shorter than its limit). Rules in working time ("time":
"working", docs/calendar.md) come out in natural time: a calendar's days and
working hours are real ones, which a simulated clock does not keep. Everything
else in the file is copied unchanged. Used by examples/demo-day.sh; see
docs/demo.md.
"""
import json
import re
import sys

SEVERITIES = ["I", "II", "III", "IV"]
RISKS = ["low", "medium", "high"]
UNITS = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]


def parse(text):
    total = 0
    for number, unit in re.findall(r"(\d+)([dhms])", text):
        total += int(number) * dict(UNITS)[unit]
    return total


def fmt(seconds):
    if seconds == 0:
        return "0s"
    out = ""
    for unit, size in UNITS:
        if seconds >= size:
            out += "%d%s" % (seconds // size, unit)
            seconds %= size
    return out


def principle(severity, risk):
    """fq_rules_principle: tier and limits (seconds) of the built-in principle."""
    if severity in ("I", "II") or risk == "high":
        return "district", 15 * 60, 3 * 60, 20 * 86400, 4 * 86400
    if severity == "III" or risk == "medium":
        return "town", 30 * 60, 6 * 60, 7 * 86400, 7 * 86400 // 5
    return "village", 3600, 12 * 60, 86400, 86400 // 5


def weight(rule):
    return 4 * ("category" in rule) + 2 * ("severity" in rule) + ("risk" in rule)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: demo_rules.py SPEEDUP < topology.json > demo-topology.json")
    speedup = float(sys.argv[1])
    if not speedup >= 1:
        sys.exit("demo_rules.py: SPEEDUP must be at least 1")
    topo = json.load(sys.stdin)
    rules = topo.get("rules") or []

    def scale(seconds, at_least):
        return max(at_least, int(round(seconds / speedup)))

    out = []
    for cat in topo.get("categories", []):
        code = cat["code"]
        for sev in SEVERITIES:
            for risk in RISKS:
                matching = [r for r in rules
                            if r.get("category", code) == code and r.get("severity", sev) == sev
                            and r.get("risk", risk) == risk]
                rule = {"category": code, "severity": sev, "risk": risk}
                if matching:
                    best = max(matching, key=weight)
                    tier = best["tier"]
                    ack, ack_warn = parse(best["ack"]), parse(best["ack_warn"])
                    con, con_warn = parse(best["conclude"]), parse(best["conclude_warn"])
                    if "line" in best:
                        rule["line"] = best["line"]
                    if best.get("co"):
                        rule["co"] = best["co"]
                else:
                    tier, ack, ack_warn, con, con_warn = principle(sev, risk)
                ack_s = scale(ack, 1)
                con_s = max(scale(con, 1), ack_s)
                rule["tier"] = tier
                rule["ack"] = fmt(ack_s)
                rule["ack_warn"] = fmt(min(scale(ack_warn, 0), ack_s - 1))
                rule["conclude"] = fmt(con_s)
                rule["conclude_warn"] = fmt(min(scale(con_warn, 0), con_s - 1))
                out.append(rule)
    topo["rules"] = out
    topo["notes"] = ("%s Rules: every cell spelt out, limits divided by %g for fq-simulate "
                     "(examples/demo_rules.py)." % (topo.get("notes", ""), speedup)).strip()
    json.dump(topo, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
