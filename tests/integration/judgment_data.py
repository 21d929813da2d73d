#!/usr/bin/env python3
"""judgment_data: real data for integ_judgment (docs/judgment.md).

Usage: judgment_data.py DATA_DIR WESTLAKE_TOPOLOGY OUTDIR

Makes one district of both real data sets:
  - New York City's 311 requests of 2018-10-21: the topology of
    tests/integration/nyc311_district.py (each community board a town, its
    0.01-degree cells grids), each complaint type a category of its own
    ("nyc.<type>", named as the city filed it), each request sent by its point
    with occurred_at_ms its creation time (US/Eastern). The extract has no
    street address, but a request's point is the geocoded address of the
    building: the address sent is the point ("NYC 311 @ lat,lon"), so that
    one building's repeated requests are one address.
  - Shenzhen Pingshan's 2018 citizen appeals (民生诉求): its 6 streets (街道)
    towns, its communities (社区) villages (one grid each, so the topology
    holds), each event type (事件类型) a category ("ps.t<id>", its Chinese
    name), each case sent to its community with occurred_at_ms its creation
    time (UTC+8). The README's quirks are dropped: the test unit's rows and
    those without a street. No coordinates, phones or places: trends only.

Writes OUTDIR/topology.json, OUTDIR/nyc.jsonl, OUTDIR/pingshan.jsonl and
OUTDIR/expected.json: the findings computed here, independently of the
server (brute-force DBSCAN over all pairs, Poisson tails with math.lgamma,
repeat addresses by grouping), for the as-of times the test asks about.
Prints: nyc_requests pingshan_cases.
"""
import collections
import csv
import datetime
import json
import math
import os
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

data_dir, westlake_path, out = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
nyc_csv = os.path.join(data_dir, "nyc311_2018-10-21_6765_replay.csv")
ps_csv = os.path.join(data_dir, "pingshan_minsheng_2018_10k.csv")
os.makedirs(out, exist_ok=True)
subprocess.run([sys.executable, os.path.join(here, "nyc311_district.py"), nyc_csv, westlake_path,
                os.path.join(out, "nyc")], check=True, stdout=subprocess.DEVNULL)
topo = json.load(open(os.path.join(out, "nyc", "topology.json")))

DAY_MS = 86400000
WEEK_MS = 7 * DAY_MS
EASTERN, CHINA = ZoneInfo("America/New_York"), ZoneInfo("Asia/Shanghai")


def ms(text, tz):
    t = datetime.datetime.fromisoformat(text.replace("T", " ")).replace(tzinfo=tz)
    return int(t.timestamp() * 1000)


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:50]


# ---- NYC ----
nyc_rows = [r for r in csv.DictReader(open(nyc_csv, newline=""))
            if r["lat"] and r["lon"] and re.match(r"^\d\d ", r["level2"])]
categories = {}
for r in nyc_rows:
    categories.setdefault("nyc." + slug(r["category"]), r["category"][:100])
channels = {"PHONE": "hotline", "ONLINE": "online", "MOBILE": "online"}
nyc = []
with open(os.path.join(out, "nyc.jsonl"), "w") as f:
    for r in nyc_rows:
        lat, lon = float(r["lat"]), float(r["lon"])
        x = {"category": "nyc." + slug(r["category"]), "severity": "IV", "risk": "low",
             "channel": channels.get(r["channel"], "hotline"),
             "title": f"{r['category']} / {r['subcategory']}"[:100], "lon": lon, "lat": lat,
             "address": f"NYC 311 @ {lat:.6f},{lon:.6f}",
             "occurred_at_ms": ms(r["created_at"], EASTERN),
             "external_ref": "NYC311-" + r["case_id"]}
        f.write(json.dumps(x, ensure_ascii=False) + "\n")
        nyc.append(x)

# ---- Pingshan ----
ps_rows = [r for r in csv.DictReader(open(ps_csv, newline=""))
           if r["STREET_NAME"] != "-" and r["DISPOSE_UNIT_NAME"] != "区测试责任单位一"]
streets = {}
communities = collections.defaultdict(dict)
for r in ps_rows:
    streets[r["STREET_ID"]] = r["STREET_NAME"]
    communities[r["STREET_ID"]][r["COMMUNITY_ID"]] = r["COMMUNITY_NAME"]
    categories.setdefault("ps.t" + r["EVENT_TYPE_ID"], r["EVENT_TYPE_NAME"])
cell = 0
for sid in sorted(streets, key=int):
    t = f"ps-{sid}"
    villages = []
    for cid in sorted(communities[sid], key=int):
        # One square grid per community in a row near Pingshan: the topology
        # needs grids; the cases are sent by place, not by point.
        lon0, lat0 = 114.30 + 0.01 * (cell % 20), 22.60 + 0.01 * (cell // 20)
        cell += 1
        g = f"ps-{sid}-{cid}-g1"
        ring = [[lon0, lat0], [lon0 + 0.01, lat0], [lon0 + 0.01, lat0 + 0.01], [lon0, lat0 + 0.01]]
        villages.append({"id": f"ps-{sid}-{cid}", "name": communities[sid][cid],
                         "unit": {"id": f"ps-{sid}-{cid}-unit",
                                  "name": communities[sid][cid] + "居民委员会"},
                         "grids": [{"id": g, "name": communities[sid][cid] + "1号网格",
                                    "polygon": [[round(a, 6), round(o, 6)] for a, o in ring],
                                    "workers": [{"id": g + "-w1", "name": communities[sid][cid] + "网格员",
                                                 "capacity": 65535}]}]})
    lines = {l: {"id": f"{t}-{l}", "name": streets[sid] + n}
             for l, n in (("governance", "综治工作平台"), ("market", "市场监管平台"),
                          ("enforcement", "综合执法平台"), ("services", "便民服务平台"))}
    topo["towns"].append({"id": t, "name": streets[sid], "lines": lines, "villages": villages})
ps = []
with open(os.path.join(out, "pingshan.jsonl"), "w") as f:
    for r in ps_rows:
        x = {"category": "ps.t" + r["EVENT_TYPE_ID"], "severity": "IV", "risk": "low",
             "channel": "hotline" if r["EVENT_SRC_NAME"] in ("12345", "12319") else "online",
             "place_unit": f"ps-{r['STREET_ID']}-{r['COMMUNITY_ID']}",
             "title": (r["SUB_TYPE_NAME"] or r["MAIN_TYPE_NAME"])[:100],
             "occurred_at_ms": ms(r["CREATE_TIME"], CHINA),
             "external_ref": "PS-" + r["REC_ID"]}
        f.write(json.dumps(x, ensure_ascii=False) + "\n")
        ps.append(dict(x, town=f"ps-{r['STREET_ID']}"))

topo["district"] = dict(topo["district"], id="realdata", name="研判测试区")
base_rule = {"tier": "town", "ack": "1d", "ack_warn": "12h", "conclude": "30d", "conclude_warn": "7d"}
topo["categories"] = topo["categories"] + [
    {"code": c, "name": n, "line": "governance"} for c, n in sorted(categories.items())]
topo["rules"] = topo["rules"] + [dict(base_rule, category=c) for c in sorted(categories)]
topo["notes"] = "generated by tests/integration/judgment_data.py: NYC 311 of 2018-10-21 and Pingshan 2018"
json.dump(topo, open(os.path.join(out, "topology.json"), "w"), ensure_ascii=False)

# ---- the expected findings, computed here ----
R_EARTH = 6371008.8


def haversine(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_EARTH * math.asin(min(1.0, math.sqrt(h)))


def hotspots(points, as_of, n_min=5, radius=300.0, window=7 * DAY_MS):
    """DBSCAN by brute force: {category: sorted list of cluster sizes}."""
    by_cat = collections.defaultdict(list)
    for p in points:
        if as_of - window <= p["occurred_at_ms"] < as_of:
            by_cat[p["category"]].append(p)
    found = {}
    for cat, pts in by_cat.items():
        n = len(pts)
        if n < n_min:
            continue
        nb = [[j for j in range(n) if haversine(pts[i]["lon"], pts[i]["lat"], pts[j]["lon"], pts[j]["lat"]) <= radius]
              for i in range(n)]
        core = [len(x) >= n_min for x in nb]
        parent = list(range(n))

        def find(i):
            while parent[i] != i:
                i = parent[i]
            return i
        for i in range(n):
            if core[i]:
                for j in nb[i]:
                    if core[j]:
                        a, b = find(i), find(j)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
        sizes = collections.Counter()
        for i in range(n):
            if core[i]:
                sizes[find(i)] += 1
            elif any(core[j] for j in nb[i]):
                # a border point joins one cluster: which one does not
                # change the count of clusters, and sizes only when a border
                # point touches two; those are few and counted as the nearest
                # core's, as the server does.
                best = min((haversine(pts[i]["lon"], pts[i]["lat"], pts[j]["lon"], pts[j]["lat"]), j)
                           for j in nb[i] if core[j])
                sizes[find(best[1])] += 1
        if sizes:
            found[cat] = sorted(sizes.values(), reverse=True)
    return found


def poisson_upper(k, mean):
    if k == 0:
        return 1.0
    if k <= mean:
        return max(0.0, 1.0 - sum(math.exp(-mean + j * math.log(mean) - math.lgamma(j + 1)) for j in range(k)))
    s, j = 0.0, k
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
    while term > 0 and term >= s * 1e-17:
        s += term
        term *= mean / (j + 1)
        j += 1
    return min(1.0, s)


def trends(cases, as_of, weeks=8, n_min=5, p_max=0.01):
    counts = collections.defaultdict(lambda: [0] * (weeks + 1))
    for c in cases:
        t = c["occurred_at_ms"]
        if as_of - (weeks + 1) * WEEK_MS <= t < as_of:
            counts[(c["town"], c["category"])][(as_of - t - 1) // WEEK_MS] += 1
    covered = collections.defaultdict(set)  # a town's history weeks with anything
    for (town, cat), w in counts.items():
        covered[town].update(k for k in range(1, weeks + 1) if w[k])
    flagged = []
    for (town, cat), w in counts.items():
        if w[0] < n_min or 2 * len(covered[town]) < weeks:
            continue
        mean = sum(w[1:]) / weeks if sum(w[1:]) else 0.5 / weeks
        p = poisson_upper(w[0], mean)
        if p <= p_max:
            flagged.append({"town": town, "category": cat, "count": w[0], "mean": mean, "p": p})
    flagged.sort(key=lambda x: (x["p"], x["town"], x["category"]))
    return flagged


def repeat_addresses(points, as_of, k=3, window=30 * DAY_MS):
    c = collections.Counter(re.sub(r"\s+", "", p["address"]).lower() for p in points
                            if as_of - window <= p["occurred_at_ms"] < as_of)
    return sorted(([a, n] for a, n in c.items() if n >= k), key=lambda x: (-x[1], x[0]))


NYC_AS_OF = ms("2018-10-22T00:00:00", EASTERN)   # the end of the NYC day
PS_AS_OF = ms("2018-11-12T00:00:00", CHINA)      # a Monday; the 8 weeks before it are dense
for x in nyc:
    x["town"] = ""
expected = {
    "nyc_as_of_ms": NYC_AS_OF,
    "ps_as_of_ms": PS_AS_OF,
    "nyc_hotspots": hotspots(nyc, NYC_AS_OF),
    "nyc_repeats": repeat_addresses(nyc, NYC_AS_OF),
    "ps_trends": trends(ps, PS_AS_OF),
    "category_names": categories,
}
json.dump(expected, open(os.path.join(out, "expected.json"), "w"), ensure_ascii=False, indent=1)
print(len(nyc), len(ps))
