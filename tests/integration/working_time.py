#!/usr/bin/env python3
"""working_time.py: the working-calendar arithmetic of docs/calendar.md,
written again in Python from the calendar file alone, so that
integ_working_time (test_working_time.sh) checks the server's due times
against an independent computation, not against its own C code.

  working_time.py calendar-a OUT.json NOW_MS
      writes a calendar (schema fengqiao.calendar.v1, district xihu) in which
      the local day of NOW_MS and the next are holidays and the first weekend
      day after them is a make-up working day; working hours 08:30-12:00 and
      13:30-17:30, Monday to Friday
  working_time.py calendar-b OUT.json NOW_MS
      writes a calendar whose working periods cover NOW_MS (two hours either
      side, or whole days within 90 minutes of local midnight; every weekday
      working, no holidays)
  working_time.py FILE add-days MS N       the close of the N-th working day after
  working_time.py FILE add-work MS W       MS plus W ms of working time
  working_time.py FILE sub-work MS W       the earliest instant W working ms before
  working_time.py FILE day-ms              the working ms of a working day
Instants are ms since the epoch; answers one integer.
"""
import datetime as dt
import json
import sys

EPOCH = dt.date(1970, 1, 1)
DAY_MS = 86400000
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def minutes(hhmm):
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class Calendar:
    def __init__(self, doc):
        off = doc["utc_offset"]
        sign = -1 if off[0] == "-" else 1
        self.offset_ms = sign * minutes(off[1:]) * 60000
        self.periods = []
        for p in doc["working_hours"]:
            a, b = p.split("-")
            self.periods.append((minutes(a) * 60000, minutes(b) * 60000))
        self.weekdays = {WEEKDAYS.index(d) for d in doc["working_weekdays"]}
        self.exceptions = {}
        for year in doc["years"]:
            for h in year["holidays"]:
                d = dt.date.fromisoformat(h["from"])
                while d <= dt.date.fromisoformat(h["to"]):
                    self.exceptions[d] = False
                    d += dt.timedelta(days=1)
            for w in year["working_days"]:
                self.exceptions[dt.date.fromisoformat(w["date"])] = True

    def working(self, day):
        return self.exceptions.get(day, day.weekday() in self.weekdays)

    def local(self, ms):
        """(local date, ms into it)"""
        local = ms + self.offset_ms
        return EPOCH + dt.timedelta(days=local // DAY_MS), local % DAY_MS

    def instant(self, day, ms_in_day):
        return (day - EPOCH).days * DAY_MS + ms_in_day - self.offset_ms

    def day_ms(self):
        return sum(b - a for a, b in self.periods)

    def add_days(self, ms, n):
        day, _ = self.local(ms)
        counted = 0
        while counted < n:
            day += dt.timedelta(days=1)
            counted += self.working(day)
        return self.instant(day, self.periods[-1][1])

    def add_work(self, ms, w):
        if w <= 0:
            return ms
        day, t = self.local(ms)
        while True:
            if self.working(day):
                for a, b in self.periods:
                    if t >= b:
                        continue
                    start = max(t, a)
                    if w <= b - start:
                        return self.instant(day, start + w)
                    w -= b - start
            day += dt.timedelta(days=1)
            t = 0

    def sub_work(self, ms, w):
        if w <= 0:
            return ms
        day, t = self.local(ms)
        while True:
            if self.working(day):
                for a, b in reversed(self.periods):
                    if t <= a:
                        continue
                    end = min(t, b)
                    if w == 0:  # all taken at a period's start: the close before
                        return self.instant(day, end)
                    if w < end - a:
                        return self.instant(day, end - w)
                    w -= end - a
                    t = a
            day -= dt.timedelta(days=1)
            t = DAY_MS


def calendar_doc(years, hours, weekdays, offset="+08:00"):
    return {
        "schema": "fengqiao.calendar.v1",
        "note": "integ_working_time",
        "district": "xihu",
        "utc_offset": offset,
        "working_hours": hours,
        "working_weekdays": weekdays,
        "years": [
            {"year": y, "source": "integ_working_time", "holidays": v["holidays"],
             "working_days": v["working_days"]}
            for y, v in sorted(years.items())
        ],
    }


def write_calendar(kind, out, now_ms):
    local = now_ms + 8 * 3600 * 1000
    today = EPOCH + dt.timedelta(days=local // DAY_MS)
    years = {}

    def year(d):
        return years.setdefault(d.year, {"holidays": [], "working_days": []})

    if kind == "calendar-a":
        for d in (today, today + dt.timedelta(days=1)):
            year(d)["holidays"].append({"name": "测试假日", "from": d.isoformat(),
                                        "to": d.isoformat()})
        d = today + dt.timedelta(days=2)
        while d.weekday() < 5:
            d += dt.timedelta(days=1)
        year(d)["working_days"].append({"name": "测试调休上班", "date": d.isoformat()})
        doc = calendar_doc(years, ["08:30-12:00", "13:30-17:30"], WEEKDAYS[:5])
    else:
        m = (local % DAY_MS) // 60000
        start, end = max(0, m - 120), min(1440, m + 120)
        if end - m < 90:  # the test's 1-hour limit must end today: whole days
            start, end = 0, 1440
        year(today)
        hours = ["%02d:%02d-%02d:%02d" % (start // 60, start % 60, end // 60, end % 60)]
        doc = calendar_doc(years, hours, WEEKDAYS)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)


def main(argv):
    if argv[1] in ("calendar-a", "calendar-b"):
        write_calendar(argv[1], argv[2], int(argv[3]))
        return
    with open(argv[1], encoding="utf-8") as f:
        cal = Calendar(json.load(f))
    op = argv[2]
    if op == "day-ms":
        print(cal.day_ms())
    elif op == "add-days":
        print(cal.add_days(int(argv[3]), int(argv[4])))
    elif op == "add-work":
        print(cal.add_work(int(argv[3]), int(argv[4])))
    elif op == "sub-work":
        print(cal.sub_work(int(argv[3]), int(argv[4])))
    else:
        sys.exit("unknown operation " + op)


if __name__ == "__main__":
    main(sys.argv)
