#!/usr/bin/env python3
"""Writes the text seed corpora of fuzz_topology and fuzz_console:
    tests/fuzz/gen_text_corpus.py tests/fuzz/corpus
topology: a small valid district cut from examples/westlake-topology.json, the
whole example, and the near misses integ_topology refuses; console: the typed
commands of docs/fq-console.md and docs/fq-terminal.md, good and bad, and a
statistics CSV after a NUL (fuzz_console.c splits its input there)."""
import copy, json, os, sys

out = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
example = json.load(open(os.path.join(root, "examples", "westlake-topology.json"), encoding="utf-8"))


def put(sub, name, data):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
    with open(os.path.join(out, sub, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


small = copy.deepcopy(example)
small["towns"] = [small["towns"][0]]
small["towns"][0]["villages"] = small["towns"][0]["villages"][:1]
small["rules"] = small["rules"][:3]
doc = lambda d: json.dumps(d, ensure_ascii=False, indent=1)
put("topology", "small", doc(small))
put("topology", "westlake", doc(example))
put("topology", "empty-object", "{}")
put("topology", "schema-only", '{"schema": "fengqiao.topology.v1"}')
put("topology", "truncated", doc(small)[:400])
put("topology", "trailing-text", doc(small) + " x")
put("topology", "nul-in-string", doc(small).replace("西湖区", "西湖\\u0000区", 1))


def mutate(name, fn):
    d = copy.deepcopy(small)
    fn(d)
    put("topology", name, doc(d))


grid = lambda d: d["towns"][0]["villages"][0]["grids"][0]
mutate("bad-polygon", lambda d: grid(d).update(polygon=grid(d)["polygon"][:2]))
mutate("polygon-range", lambda d: grid(d)["polygon"][1].__setitem__(1, 95))
mutate("unknown-line", lambda d: d["categories"][0].update(line="finance"))
mutate("unknown-dept-line", lambda d: d["district"]["departments"][1].update(line="taxes"))
mutate("duplicate-id", lambda d: d["towns"][0]["villages"][0]["grids"][1].update(id=grid(d)["id"]))
mutate("bad-duration", lambda d: d["rules"][2].update(conclude="7 days"))
mutate("warn-late", lambda d: d["rules"][1].update(ack_warn="10m"))
mutate("unknown-field", lambda d: grid(d)["workers"][0].update(capacty=3))
mutate("bad-capacity", lambda d: grid(d)["workers"][0].update(capacity=0))
mutate("missing-line", lambda d: d["towns"][0]["lines"].pop("services"))
mutate("unknown-category", lambda d: d["rules"][0].update(category="flood"))
mutate("unknown-co", lambda d: d["rules"][0].update(co=["petitions", "tax_bureau"]))
mutate("same-key", lambda d: d["rules"][2].update(severity="I"))
mutate("wrong-schema", lambda d: d.update(schema="fengqiao.topology.v9"))
mutate("no-rules", lambda d: d.pop("rules"))
mutate("no-towns", lambda d: d.pop("towns"))
mutate("working-time", lambda d: d["rules"][0].update(time="working"))
mutate("working-mixed", lambda d: d["rules"][0].update(time="working", conclude="1d4h"))
mutate("working-whole-hours", lambda d: d["rules"][0].update(time="working", conclude="48h"))
mutate("unknown-time", lambda d: d["rules"][0].update(time="office"))

commands = [
    "assign 12 unit lingyin-governance co petitions,public_security 需街道协调",
    "assign 12 worker lingyin-v1-g1-w1 就近处理",
    "escalate 7 超出村级能力", "conclude 7 已办结", "approve 9 同意延期", "deny 9 理由不足",
    "supervise 5 2h 督办回复", "supervise 5 1h30m 督办", "merge 8 3 重复上报", "reopen 4 重新处理",
    "reopen 4 unit beishan-c1-unit 复查", "verify 4 现场核查", "followup 4 5 满意",
    "filter tier=village town=beishan line=market assignment=acknowledged overdue", "filter clear",
    "stats week by line", "stats", "roster beishan", "board", "retry", "help", "quit",
    "assign 0 unit x reason", "followup 4 9 x", "supervise 5 -1h x", "merge 8 8 x",
    "assign 18446744073709551616 unit x y", "escalate 7", "",
    # fq-terminal's line mode
    "ack 42", "return 42 wrong 不是本网格 --to lingyin-v2", "return 42 capacity \"人手不足\"",
    "progress 42 已联系当事人", "extend 42 +2d 需协调物业", "extend 42 2026-12-24T08:00+08:00 等待",
    "conclude 42 已调解", "reply 42 已整改", "list", "ack -1", "extend 42 +400d 太远",
]
for i, c in enumerate(commands):
    put("console", "line-%02d" % i, c)
put("console", "stats-csv", "stats\0group,received,acknowledged,acknowledged_on_time,concluded\n"
    "beishan,12,10,9,8\n\"lingyin, \"\"old\"\"\",3,3,3,1\n")
put("console", "time-zone", "2026-11-27 08:00:30+0800")
put("console", "wide-text", "灵隐街道玉泉社区1号网格\t\x1b[31m红")
