#!/usr/bin/env python3
"""Generates examples/westlake-topology.json: Hangzhou's West Lake District
(西湖区) at a small scale, in the fengqiao.topology.v1 format (docs/topology.md).

    python3 examples/gen_westlake_topology.py > examples/westlake-topology.json

The district and its twelve sub-districts and towns are real, placed at their
approximate real locations; which village and community names are real is
said in the file's "notes". Grids are generated: each town is a small block of
3 villages x 2 grids of quadrilaterals that share their edges (a perturbed
lattice), so grids tile the block without gaps or overlaps. The script checks
that no two towns' blocks overlap. Deterministic: the same output every run.
"""
import json
import re
import sys

DISTRICT = "xihu"

# id, name, approximate centre (lon, lat), block cell size in degrees, the
# villages/communities (id suffix, name, real?)
TOWNS = [
    ("beishan", "北山街道", (120.150, 30.262), 0.003, None),
    ("xixi", "西溪街道", (120.140, 30.275), 0.003, None),
    ("lingyin", "灵隐街道", (120.117, 30.250), 0.003,
     [("yuquan", "玉泉社区"), ("lingfeng", "灵峰社区"), ("maojiabu", "茅家埠社区")]),
    ("cuiyuan", "翠苑街道", (120.128, 30.290), 0.003, None),
    ("wenxin", "文新街道", (120.105, 30.290), 0.003, None),
    ("gudang", "古荡街道", (120.120, 30.278), 0.003, None),
    ("zhuantang", "转塘街道", (120.080, 30.165), 0.006, None),
    ("liuxia", "留下街道", (120.060, 30.255), 0.005, None),
    ("jiangcun", "蒋村街道", (120.075, 30.280), 0.005, None),
    ("xihujiedao", "西湖街道", (120.140, 30.225), 0.005,
     [("longjing", "龙井村"), ("meijiawu", "梅家坞村"), ("wengjiashan", "翁家山村")]),
    ("sandun", "三墩镇", (120.090, 30.330), 0.006, None),
    ("shuangpu", "双浦镇", (120.120, 30.170), 0.006,
     [("tongjianhu", "铜鉴湖村"), ("dongjiangzui", "东江嘴村"), None]),
]

NUMERALS = ["一", "二", "三"]

DEPARTMENTS = [
    # id suffix, code, name, line it leads at district level (or None)
    ("public-security", "public_security", "西湖区公安分局", None),
    ("market-regulation", "market_regulation", "西湖区市场监管局", "market"),
    ("urban-management", "urban_management", "西湖区城管局", "enforcement"),
    ("civil-affairs", "civil_affairs", "西湖区民政局", "services"),
    ("petitions", "petitions", "西湖区信访局", None),
    ("emergency", "emergency", "西湖区应急管理局", None),
    ("justice", "justice", "西湖区司法局", None),
]

LINES = [
    ("governance", "综治工作平台"),
    ("market", "市场监管平台"),
    ("enforcement", "综合执法平台"),
    ("services", "便民服务平台"),
]

CATEGORIES = [
    ("dispute.neighbour", "邻里纠纷", "governance"),
    ("dispute.family", "婚姻家庭纠纷", "governance"),
    ("dispute.labour", "劳资纠纷", "governance"),
    ("petition", "信访事项", "governance"),
    ("public_order", "治安隐患", "governance"),
    ("food_safety", "食品安全", "market"),
    ("consumer_complaint", "消费投诉", "market"),
    ("unlicensed_business", "无证无照经营", "market"),
    ("illegal_construction", "违法建筑", "enforcement"),
    ("city_appearance", "市容环境", "enforcement"),
    ("fire_hazard", "消防安全隐患", "enforcement"),
    ("elderly_care", "养老服务", "services"),
    ("social_assistance", "困难救助", "services"),
]

# The front desk's category suggestions (docs/front-desk.md): words people
# use at the window or on the phone for each category.
KEYWORDS = {
    "dispute.neighbour": ["邻居", "邻里", "楼上", "楼下", "漏水", "噪音", "吵架", "占用楼道"],
    "dispute.family": ["离婚", "家暴", "赡养", "抚养", "婚姻", "家庭矛盾"],
    "dispute.labour": ["欠薪", "拖欠工资", "工资", "劳动合同", "工伤", "讨薪"],
    "petition": ["信访", "上访", "反映", "诉求", "拆迁", "补偿"],
    "public_order": ["治安", "盗窃", "打架", "可疑", "赌博", "醉酒"],
    "food_safety": ["食品", "过期", "变质", "食物中毒", "餐馆", "卫生"],
    "consumer_complaint": ["退款", "消费", "预付卡", "虚假宣传", "质量问题", "商家"],
    "unlicensed_business": ["无证", "无照", "黑作坊", "摆摊", "非法经营"],
    "illegal_construction": ["违建", "违章", "搭建", "加层", "私建", "违法建筑"],
    "city_appearance": ["垃圾", "乱堆", "占道", "广告", "脏乱", "路灯"],
    "fire_hazard": ["消防", "火灾", "电瓶车", "充电", "堵塞通道", "灭火器"],
    "elderly_care": ["老人", "养老", "独居", "助餐", "失能"],
    "social_assistance": ["困难", "低保", "救助", "残疾", "生活困难", "医疗费"],
}

# Addresses people name at the front desk, in grids of the real villages
# (docs/front-desk.md): street numbers invented, streets real. Each is put at
# its grid's centre (nudged a little), so a case placed there lands in it.
ADDRESSES = {
    "lingyin-yuquan-g1": ["玉古路12号", "玉泉路3号"],
    "lingyin-yuquan-g2": ["曙光路48号"],
    "lingyin-lingfeng-g1": ["灵隐路12号", "灵隐路28号"],
    "lingyin-lingfeng-g2": ["植物园路5号"],
    "lingyin-maojiabu-g1": ["茅家埠16号", "龙井路1号"],
    "xihujiedao-longjing-g1": ["龙井路128号", "龙井村168号"],
    "xihujiedao-meijiawu-g1": ["梅灵北路88号", "梅家坞村210号"],
    "xihujiedao-wengjiashan-g1": ["翁家山村35号"],
    "shuangpu-tongjianhu-g1": ["铜鉴湖村12号"],
}

RULES = [
    # Petitions are never left to a village: at least the town, with the
    # district petitions bureau co-handling; major ones go to the district.
    {"category": "petition", "tier": "town", "co": ["petitions"],
     "ack": "30m", "ack_warn": "10m", "conclude": "7d", "conclude_warn": "1d"},
    {"category": "petition", "severity": "I", "tier": "district",
     "co": ["petitions", "public_security"],
     "ack": "10m", "ack_warn": "3m", "conclude": "3d", "conclude_warn": "12h"},
    {"category": "petition", "severity": "II", "tier": "district", "co": ["petitions"],
     "ack": "15m", "ack_warn": "5m", "conclude": "7d", "conclude_warn": "1d"},
    {"category": "petition", "risk": "high", "tier": "district",
     "co": ["petitions", "public_security"],
     "ack": "15m", "ack_warn": "5m", "conclude": "7d", "conclude_warn": "1d"},
    # Fire hazards of severity I/II: joint operation with emergency
    # management and public security.
    {"category": "fire_hazard", "severity": "I", "tier": "district",
     "co": ["emergency", "public_security"],
     "ack": "5m", "ack_warn": "2m", "conclude": "1d", "conclude_warn": "4h"},
    {"category": "fire_hazard", "severity": "II", "tier": "district",
     "co": ["emergency", "public_security"],
     "ack": "10m", "ack_warn": "3m", "conclude": "3d", "conclude_warn": "12h"},
    # Food safety with high risk: district, market regulation leading.
    {"category": "food_safety", "risk": "high", "tier": "district", "line": "market",
     "co": ["market_regulation"],
     "ack": "15m", "ack_warn": "5m", "conclude": "3d", "conclude_warn": "12h"},
    # Labour disputes need the town; the justice bureau mediates.
    {"category": "dispute.labour", "tier": "town", "co": ["justice"],
     "ack": "1h", "ack_warn": "15m", "conclude": "20d", "conclude_warn": "3d"},
    # Illegal construction: the town's law enforcement platform, difficult cases.
    {"category": "illegal_construction", "tier": "town",
     "ack": "1h", "ack_warn": "15m", "conclude": "20d", "conclude_warn": "3d"},
    # Everyday elderly care stays with the grid worker, in working time as
    # service requests are handled: acknowledged within 2 working hours,
    # concluded within 3 working days (3 个工作日内办结; the report's day not
    # counted), warned a working day before (docs/calendar.md).
    {"category": "elderly_care", "severity": "IV", "tier": "village", "time": "working",
     "ack": "2h", "ack_warn": "30m", "conclude": "3d", "conclude_warn": "1d"},
]


def perturb(i, j, k):
    """A small deterministic offset in [-0.12, 0.12] of a cell, for lattice
    point (i, j) of town k; 0 on the block's outline, so blocks stay
    rectangles."""
    h = (i * 73856093 ^ j * 19349663 ^ k * 83492791) & 0xFFFF
    return (h / 0xFFFF - 0.5) * 0.24


def town_block(k, centre, cell):
    """Lattice of 4 x 3 points: columns are villages, rows grids."""
    lon0 = centre[0] - 1.5 * cell
    lat0 = centre[1] - 1.0 * cell
    pts = {}
    for i in range(4):
        for j in range(3):
            interior = 0 < i < 3 and 0 < j < 2
            dx = perturb(i, j, k) * cell if interior else 0.0
            dy = perturb(j + 7, i + 3, k) * cell if interior else 0.0
            pts[i, j] = (round(lon0 + i * cell + dx, 6), round(lat0 + j * cell + dy, 6))
    box = (lon0, lat0, lon0 + 3 * cell, lat0 + 2 * cell)
    return pts, box


def main():
    towns = []
    boxes = []
    for k, (tid, tname, centre, cell, real) in enumerate(TOWNS):
        pts, box = town_block(k, centre, cell)
        for other, obox in boxes:
            if box[0] < obox[2] and obox[0] < box[2] and box[1] < obox[3] and obox[1] < box[3]:
                sys.exit(f"blocks of {tid} and {other} overlap")
        boxes.append((tid, box))
        short = tname[:-2] if tname.endswith("街道") else tname[:-1]
        is_town = tname.endswith("镇")
        villages = []
        for v in range(3):
            known = real[v] if real and v < len(real) else None
            if known:
                vid, vname = f"{tid}-{known[0]}", known[1]
            elif is_town:
                vid, vname = f"{tid}-v{v + 1}", f"{short}第{NUMERALS[v]}村"
            else:
                vid, vname = f"{tid}-c{v + 1}", f"{short}第{NUMERALS[v]}社区"
            unit_name = vname + ("村民委员会" if vname.endswith("村") else "居民委员会")
            grids = []
            for g in range(2):
                gid = f"{vid}-g{g + 1}"
                ring = [pts[v, g], pts[v + 1, g], pts[v + 1, g + 1], pts[v, g + 1]]
                workers = [
                    {"id": f"{gid}-w{w + 1}", "name": f"{vname}{g + 1}号网格网格员{'甲乙'[w]}",
                     "capacity": 6 if w == 0 else 4}
                    for w in range(2)
                ]
                grid = {"id": gid, "name": f"{vname}{g + 1}号网格",
                        "polygon": [list(p) for p in ring], "workers": workers}
                if gid in ADDRESSES:
                    lon = sum(p[0] for p in ring) / 4
                    lat = sum(p[1] for p in ring) / 4
                    grid["addresses"] = [
                        {"text": text, "lat": round(lat + 0.0002 * i, 6),
                         "lng": round(lon + 0.0002 * i, 6)}
                        for i, text in enumerate(ADDRESSES[gid])
                    ]
                grids.append(grid)
            villages.append({"id": vid, "name": vname,
                             "unit": {"id": f"{vid}-unit", "name": unit_name},
                             "grids": grids})
        lines = {line: {"id": f"{tid}-{line}", "name": f"{tname}{label}"}
                 for line, label in LINES}
        towns.append({"id": tid, "name": tname, "lines": lines, "villages": villages})

    doc = {
        "schema": "fengqiao.topology.v1",
        "notes": (
            "Demo topology of Hangzhou West Lake District (西湖区), small scale: generated by "
            "examples/gen_westlake_topology.py. Real: the district, its 12 sub-districts and "
            "towns and their approximate locations; the district departments (names "
            "shortened); the villages/communities 玉泉社区, 灵峰社区, 茅家埠社区 (灵隐街道), "
            "龙井村, 梅家坞村, 翁家山村 (西湖街道), 铜鉴湖村, 东江嘴村 (双浦镇). Generated: "
            "every other village/community name (第一/第二/第三社区 or 村), all grids, their "
            "polygons (small blocks of 3 x 2 quadrilaterals around each town's location, not "
            "real boundaries), the grid workers and their names (网格员甲/乙), the platform "
            "and unit names, categories, rules and time limits."
        ),
        "district": {
            "id": DISTRICT,
            "name": "西湖区",
            "center": {"id": "xihu-center", "name": "西湖区社会治理综合服务中心"},
            "departments": [
                dict({"id": f"xihu-{suffix}", "code": code, "name": name},
                     **({"line": line} if line else {}))
                for suffix, code, name, line in DEPARTMENTS
            ],
        },
        "towns": towns,
        "categories": [{"code": c, "name": n, "line": l, "keywords": KEYWORDS[c]}
                       for c, n, l in CATEGORIES],
        "rules": RULES,
    }
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    # One line per vertex: [lon, lat].
    text = re.sub(r"\[\n\s*(-?[0-9.]+),\n\s*(-?[0-9.]+)\n\s*\]", r"[\1, \2]", text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
