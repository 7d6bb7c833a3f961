"""Benchmark data: counties of units, cadres with ten years of post moves, sessions, participants, audit.

The schema comes from the real migrations; rows go in with raw `sqlite3.executemany` (the ORM would take
an hour at province size). Secondary indexes are dropped during the load and rebuilt from their own
`CREATE INDEX` text afterwards, so the final schema is exactly what the migrations made.

One county (1×) is Zhijin: 32 townships, 60 departments, 400 posts, ~200 sessions a year for ten years.
A size of N× is N such counties. Values are stored the way SQLAlchemy stores them in SQLite (naive UTC
"YYYY-MM-DD HH:MM:SS.ffffff", dates "YYYY-MM-DD", booleans 0/1, JSON text) so the services read them back
exactly as rows they wrote themselves.
"""

from __future__ import annotations

import bisect
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# raise when the data changes shape: cached databases are keyed by it
GENERATOR_VERSION = 3

DATA_DIR = Path(__file__).with_name(".data")
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
UTC8 = timedelta(hours=8)  # Asia/Shanghai has had no DST since 1991: a fixed offset is exact here
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # the tests' fixed clock: 24 Nov 2026, 10:00 in Zhijin
TODAY = date(2026, 11, 24)
BIG_SESSION_SIZE = 300
BIJIE = ["织金县", "七星关区", "大方县", "金沙县", "纳雍县", "威宁彝族回族苗族自治县", "赫章县", "黔西市"]
TOPICS = [
    "政策理论",
    "新型工业化",
    "城镇建设与管理",
    "农业现代化",
    "项目建设",
    "招商引资",
    "旅游文化",
    "基层党建",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程龙"
GIVEN = "文华明国建平志军伟玉兰芳丽红英刚勇强敏静磊洋艳杰涛斌超鹏飞霞燕桂梅林海波峰云"
STATUSES = ["present", "late", "left_early", "on_leave", "absent", "deputy"]
STATUS_WEIGHTS = [86, 4, 2, 5, 2, 1]
DESTINATIONS = [["青岛", "青州", "寿光"], ["百里杜鹃"], ["黔西"], ["青州", "寿光"]]


@dataclass(frozen=True)
class Size:
    """A data size: `scale` counties (fractions shrink one county, for smoke tests) and years of history."""

    label: str
    scale: float
    years: int = 10

    @property
    def counties(self) -> int:
        return max(1, round(self.scale))

    @property
    def per_county(self) -> float:
        """Fraction of a full county (below 1× only)."""
        return min(1.0, self.scale)


@dataclass(frozen=True)
class Generated:
    path: Path
    seconds: float
    counts: dict[str, int]
    big_session_id: int
    cadre_id: int  # a long-serving cadre for the per-cadre figures
    note: str


def size_for(scale: float) -> Size:
    """Standard sizes. Province (100×) keeps the full ten years; see `run.py` for what that costs."""
    labels = {1.0: "county", 10.0: "city", 100.0: "province"}
    return Size(labels.get(float(scale), f"{scale:g}x"), scale)


def db_path(size: Size) -> Path:
    from zhijin_training.db.schema import SCHEMA_HEAD

    # a new migration makes a new cache: the app refuses a database whose schema it does not expect
    return DATA_DIR / f"bench-{size.scale:g}x-{size.years}y-v{GENERATOR_VERSION}-s{SCHEMA_HEAD}.db"


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - UTC8


def _local_midnight(day: date) -> datetime:
    return _local(day, 0)


# ---------------------------------------------------------------- schema
def _migrated(path: Path) -> None:
    from zhijin_training.db.engine import Database
    from zhijin_training.db.migrate import upgrade

    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
    finally:
        db.dispose()


def _drop_indexes(con: sqlite3.Connection) -> list[str]:
    """Drops the indexes and the tally triggers (migration 0009) for the bulk load; returns the SQL that puts
    them back. The tallies are rebuilt from the loaded rows before the triggers return."""
    rows = con.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        " AND (type = 'index' OR (type = 'trigger' AND name LIKE '%tally%'))"
    ).fetchall()
    for kind, name, _sql in rows:
        con.execute(f'DROP {kind.upper()} "{name}"')
    return [sql for kind, _name, sql in rows if kind == "index"] + [
        sql for kind, _name, sql in rows if kind == "trigger"
    ]


def _rebuild_tallies(path: Path) -> None:
    from zhijin_training.db.engine import Database
    from zhijin_training.services import hours_tally, tallies

    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as s:
            tallies.rebuild(s)
            hours_tally.rebuild(s)  # the 学时 tallies (migration 0012): their triggers were dropped too
    finally:
        db.dispose()


# ---------------------------------------------------------------- people and posts
@dataclass
class Slot:
    unit_id: int
    role: str
    title: str


class County:
    """One county's units, posts (slots) and who held each slot in each period."""

    def __init__(self, index: int, size: Size, ids: Iterator[int], rng: random.Random) -> None:
        self.index = index
        self.name = BIJIE[index] if index < len(BIJIE) else f"第{index + 1}县"
        self.rng = rng
        self.ids = ids
        self.units: list[tuple] = []
        self.slots: list[Slot] = []
        self.size = size
        self.township_ids: list[int] = []
        self.department_ids: list[int] = []

    def unit_rows(self, townships: list[tuple[str, str]], departments: list[str], next_unit: Iterator[int]):
        f = self.size.per_county
        n_town = max(4, round(32 * f))
        n_dept = max(3, round(60 * f))
        prefix = "" if self.index == 0 else self.name
        stamp = _ts(NOW - timedelta(days=3650))
        for order, (name, subkind) in enumerate(townships[:n_town]):
            uid = next(next_unit)
            self.township_ids.append(uid)
            code = f"5205{self.index:03d}{order:03d}"
            self.units.append(
                (
                    uid,
                    prefix + name,
                    "township",
                    subkind,
                    self.name,
                    code,
                    order,
                    1,
                    None,
                    None,
                    "",
                    1,
                    stamp,
                    stamp,
                )
            )
        for order, name in enumerate(departments[:n_dept]):
            uid = next(next_unit)
            self.department_ids.append(uid)
            dname = name if self.index == 0 else name.replace("县", self.name, 1)
            self.units.append(
                (uid, dname, "department", "", self.name, None, order, 1, None, None, "", 1, stamp, stamp)
            )
        for uid in self.township_ids:
            self.slots.append(Slot(uid, "township_secretary", "党委书记"))
            self.slots.append(Slot(uid, "deputy_party_building", "党委副书记（抓党建）"))
        for uid in self.department_ids:
            self.slots.append(Slot(uid, "department_head", "局长"))
        others = max(0, round(400 * f) - len(self.slots))
        for i in range(others):
            if i % 3 == 0:
                uid = self.department_ids[i % len(self.department_ids)]
                self.slots.append(Slot(uid, "other", "副局长"))
            else:
                uid = self.township_ids[i % len(self.township_ids)]
                self.slots.append(Slot(uid, "other", "党政办主任" if i % 2 else "副镇长"))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _reshuffle_dates(first: date, last: date) -> list[date]:
    out = []
    for year in range(first.year, last.year + 1):
        for month in (3, 9):
            day = date(year, month, 1)
            if first < day <= last:
                out.append(day)
    return out


# ---------------------------------------------------------------- generation
def generate(size: Size, path: Path | None = None, *, seed: int = 2012, quiet: bool = False) -> Generated:
    t0 = time.perf_counter()
    path = path or db_path(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    _migrated(tmp)
    rng = random.Random(seed)
    con = sqlite3.connect(tmp, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -400000")
    con.execute("PRAGMA temp_store = MEMORY")
    index_sql = _drop_indexes(con)
    con.execute("BEGIN")

    townships = [
        (r.split(",")[1], r.split(",")[2]) for r in (SEEDS / "units_2012.csv").read_text().split()[1:]
    ]
    departments = [r.split(",")[0] for r in (SEEDS / "departments.csv").read_text().split()[1:]]
    first_day = date(TODAY.year - size.years + 1, 1, 1)
    last_day = date(TODAY.year, 12, 31)
    reshuffles = _reshuffle_dates(first_day, TODAY)
    periods = [first_day, *reshuffles]  # period k runs from periods[k] to periods[k+1] - 1

    counters = {"unit": 0, "cadre": 0, "post": 0, "programme": 0, "session": 0, "participant": 0, "audit": 0}

    def seq(name: str) -> Iterator[int]:
        while True:
            counters[name] += 1
            yield counters[name]

    unit_ids, cadre_ids, post_ids = seq("unit"), seq("cadre"), seq("post")
    programme_ids, session_ids = seq("programme"), seq("session")
    participant_id = 0
    audit_id = 0
    stamp_old = _ts(_local_midnight(first_day))
    big_session_id = 0
    secretaries: list[int] = []

    for ci in range(size.counties):
        county = County(ci, size, unit_ids, rng)
        county.unit_rows(townships, departments, unit_ids)
        con.executemany(
            "INSERT INTO unit (id, name, kind, subkind, county, code, sort_order, active, valid_from, valid_to,"
            " note, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            county.units,
        )

        # who holds each slot in each period: holders[k][slot] = cadre id
        people: dict[int, dict] = {}
        holder: list[int] = []
        all_posts: list[list] = []
        audit_moves: list[tuple] = []

        def new_person(slot: Slot, start: date, people: dict = people, all_posts: list = all_posts) -> int:
            cid = next(cadre_ids)
            people[cid] = {"name": _name(rng), "active": 1, "slot": slot, "since": start}
            post = [next(post_ids), cid, slot.unit_id, slot.title, slot.role, start.isoformat(), None]
            all_posts.append(post)
            people[cid]["post"] = post
            return cid

        for slot in county.slots:
            holder.append(new_person(slot, first_day))
        holders = [list(holder)]
        for day in reshuffles:
            n = len(holder)
            vacant = rng.sample(range(n), max(1, n * 15 // 100))
            leavers = [holder[i] for i in vacant]
            rng.shuffle(leavers)
            movers = leavers[: len(leavers) * 6 // 10]
            for cid in leavers:
                people[cid]["post"][6] = (day - timedelta(days=1)).isoformat()
            for k, i in enumerate(vacant):
                slot = county.slots[i]
                if k < len(movers):
                    cid = movers[k]
                    post = [next(post_ids), cid, slot.unit_id, slot.title, slot.role, day.isoformat(), None]
                    all_posts.append(post)
                    people[cid]["post"] = post
                    people[cid]["slot"] = slot
                    counters["audit"] += 1
                    audit_moves.append((cid, day))
                else:
                    cid = new_person(slot, day)
                holder[i] = cid
            for cid in leavers[len(movers) :]:
                people[cid]["active"] = 0
            holders.append(list(holder))

        refs = {}
        cadre_rows = []
        for cid, p in people.items():
            slot = p["slot"]
            ref = f"ZJ{ci:03d}{cid:07d}"
            refs[cid] = ref
            phone = f"13{rng.randrange(10**8, 10**9)}"
            cadre_rows.append(
                (
                    cid,
                    ref,
                    p["name"],
                    slot.unit_id,
                    slot.title,
                    slot.role,
                    phone,
                    p["active"],
                    "",
                    1,
                    stamp_old,
                    stamp_old,
                )
            )
        con.executemany(
            "INSERT INTO cadre (id, ref, name, unit_id, post_title, role, phone, active, note, version,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            cadre_rows,
        )
        con.executemany(
            "INSERT INTO post (id, cadre_id, unit_id, post_title, role, start_date, end_date, note)"
            " VALUES (?,?,?,?,?,?,?,'')",
            all_posts,
        )
        audit_rows = []
        for cid, day in audit_moves:
            audit_id += 1
            at = _ts(_local(day, 9))
            audit_rows.append(
                (
                    audit_id,
                    at,
                    "zzb",
                    "update",
                    "cadre",
                    cid,
                    None,
                    cid,
                    '{"post":"old"}',
                    '{"post":"new"}',
                    "post move",
                )
            )
        if ci == 0:
            secretaries = holders[-1][: len(county.township_ids) * 2 : 2]  # today's township secretaries

        # programmes
        kinds = [
            ("lecture", "织金大讲堂" if ci == 0 else f"{county.name}大讲堂", "[]"),
            ("course", f"{county.name}委党校专题培训班", "[]"),
            ("meeting", f"{county.name}乡镇党委书记工作例会", "[]"),
            ("study_trip", f"{county.name}外出参观学习", json.dumps(DESTINATIONS[0], ensure_ascii=False)),
            ("secondment", f"{county.name}赴青州寿光挂职学习", "[]"),
        ]
        prog: dict[str, int] = {}
        for kind, title, dest in kinds:
            pid = next(programme_ids)
            prog[kind] = pid
            con.execute(
                "INSERT INTO programme (id, kind, title, description, organiser, default_topic, destinations,"
                " host_place, alarm_minutes, active, version, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,NULL,1,1,?,?)",
                (pid, kind, title, "", "县委组织部", "", dest, "", stamp_old, stamp_old),
            )

        # sessions, one year at a time
        f = size.per_county
        per_year = {"lecture": 90, "course": 40, "meeting": 45, "study_trip": 20, "secondment": 5}
        session_rows: list[tuple] = []
        part_rows: list[tuple] = []
        town_idx = [i for i, s in enumerate(county.slots) if s.role in ("township_secretary",)]
        deputy_idx = [i for i, s in enumerate(county.slots) if s.role == "deputy_party_building"]
        head_idx = [i for i, s in enumerate(county.slots) if s.role == "department_head"]
        other_idx = [i for i, s in enumerate(county.slots) if s.role == "other"]
        leaders = town_idx + deputy_idx + head_idx
        period_starts = [d.toordinal() for d in periods]

        def period_of(day: date, starts: list[int] = period_starts) -> int:
            return bisect.bisect_right(starts, day.toordinal()) - 1

        for year in range(first_day.year, last_day.year + 1):
            for kind, n in per_year.items():
                count = max(1, round(n * f))
                days = sorted(rng.sample(range(0, 358), count))
                for d in days:
                    day = date(year, 1, 1) + timedelta(days=d)
                    while day.weekday() >= 5:
                        day += timedelta(days=1)
                    if day > last_day:
                        continue
                    past = day < TODAY
                    sid = next(session_ids)
                    all_day = kind in ("study_trip", "secondment")
                    if all_day:
                        length = rng.randint(3, 6) if kind == "study_trip" else rng.randint(30, 90)
                        starts, ends = _local_midnight(day), _local_midnight(day + timedelta(days=length))
                    else:
                        hour = 9 if kind != "lecture" else 15
                        starts = _local(day, hour)
                        ends = starts + timedelta(hours=2 if kind != "course" else 6)
                    cancelled = rng.random() < 0.02
                    status = "cancelled" if cancelled else ("held" if past else "scheduled")
                    topic = rng.choice(TOPICS) if kind in ("lecture", "course") else ""
                    title = f"{topic}专题" if topic else ""
                    branch = '["各乡镇（街道）党委会议室"]' if kind == "lecture" else "[]"
                    location = {
                        "lecture": "县委党校报告厅",
                        "course": "县委党校",
                        "meeting": "县委常委会议室",
                    }.get(kind, "青州市" if kind == "secondment" else "青岛市")
                    created = _ts(starts - timedelta(days=14))
                    session_rows.append(
                        (
                            sid,
                            prog[kind],
                            title,
                            topic,
                            "" if kind != "lecture" else "特邀专家",
                            location,
                            branch,
                            _ts(starts),
                            _ts(ends),
                            int(all_day),
                            status,
                            f"{sid}@bench.zhijin-training.example.cn",
                            created,
                            created,
                        )
                    )
                    audit_id += 1
                    audit_rows.append(
                        (
                            audit_id,
                            created,
                            "zzb",
                            "create",
                            "session",
                            sid,
                            sid,
                            None,
                            None,
                            json.dumps({"status": "scheduled", "starts_at": _ts(starts)}),
                            "",
                        )
                    )
                    slots_now = holders[period_of(day)]
                    if kind == "lecture":
                        extra = max(0, round(26 * f))
                        chosen = leaders + rng.sample(other_idx, min(extra, len(other_idx)))
                    elif kind == "meeting":
                        chosen = town_idx
                    elif kind == "study_trip":
                        pool = town_idx + head_idx
                        chosen = rng.sample(pool, min(len(pool), rng.randint(8, 20)))
                    elif kind == "course":
                        chosen = rng.sample(other_idx, min(len(other_idx), rng.randint(30, 60)))
                    else:
                        chosen = rng.sample(other_idx, min(len(other_idx), rng.randint(1, 8)))
                    taken = past and not cancelled
                    marks = rng.choices(STATUSES, STATUS_WEIGHTS, k=len(chosen)) if taken else None
                    rec_at = _ts(ends) if taken else None
                    for j, i in enumerate(chosen):
                        participant_id += 1
                        st = marks[j] if marks else None
                        part_rows.append(
                            (
                                participant_id,
                                sid,
                                slots_now[i],
                                county.slots[i].unit_id,
                                st,
                                "公务出差" if st == "on_leave" else "",
                                "县委组织部" if st == "on_leave" else "",
                                "副职代会" if st == "deputy" else "",
                                "zzb" if st else "",
                                rec_at,
                            )
                        )
                        if st:
                            audit_id += 1
                            audit_rows.append(
                                (
                                    audit_id,
                                    rec_at,
                                    "zzb",
                                    "create",
                                    "attendance",
                                    participant_id,
                                    sid,
                                    slots_now[i],
                                    None,
                                    '{"status":"' + st + '"}',
                                    "",
                                )
                            )
            if len(part_rows) > 200_000 or year == last_day.year:
                _flush(con, session_rows, part_rows, audit_rows)
                session_rows, part_rows, audit_rows = [], [], []

        if ci == 0:
            # the attendance benchmark's session: later today, 300 people expected, nothing taken yet
            sid = next(session_ids)
            big_session_id = sid
            starts = _local(TODAY, 15)
            ends = starts + timedelta(hours=2)
            session_rows.append(
                (
                    sid,
                    prog["lecture"],
                    "全县干部大会",
                    "基层党建",
                    "特邀专家",
                    "县委党校报告厅",
                    '["各乡镇（街道）党委会议室"]',
                    _ts(starts),
                    _ts(ends),
                    0,
                    "scheduled",
                    f"{sid}@bench.zhijin-training.example.cn",
                    _ts(NOW),
                    _ts(NOW),
                )
            )
            current = holders[-1]
            for i in range(min(BIG_SESSION_SIZE, len(current))):
                participant_id += 1
                part_rows.append(
                    (participant_id, sid, current[i], county.slots[i].unit_id, None, "", "", "", "", None)
                )
            _flush(con, session_rows, part_rows, audit_rows)
        if not quiet and size.counties > 1 and (ci + 1) % 10 == 0:
            print(f"  … {ci + 1}/{size.counties} counties ({time.perf_counter() - t0:.0f} s)", flush=True)

    counters["participant"] = participant_id
    counters["audit"] = audit_id
    for key, value in (
        ("alarm.lecture", "60"),
        ("alarm.course", "60"),
        ("alarm.meeting", "30"),
        ("alarm.study_trip", ""),
        ("alarm.secondment", ""),
    ):
        con.execute("INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, ?)", (key, value))
    con.execute("COMMIT")
    for sql in index_sql:
        if sql.lstrip().upper().startswith("CREATE TRIGGER"):
            continue
        con.execute(sql)
    con.close()
    _rebuild_tallies(tmp)
    con = sqlite3.connect(tmp, isolation_level=None)
    for sql in index_sql:
        if sql.lstrip().upper().startswith("CREATE TRIGGER"):
            con.execute(sql)
    # no ANALYZE: the app never runs it, so real databases have no planner statistics either
    # the per-cadre figures follow today's secretary with the longest record
    long_cadre = con.execute(
        f"SELECT cadre_id FROM participant WHERE cadre_id IN ({','.join(map(str, secretaries))})"
        " GROUP BY cadre_id ORDER BY count(*) DESC, cadre_id LIMIT 1"
    ).fetchone()[0]
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    tmp.replace(path)
    seconds = time.perf_counter() - t0
    note = ""
    return Generated(path, seconds, counters, big_session_id, long_cadre, note)


def _flush(con: sqlite3.Connection, sessions: list, parts: list, audits: list) -> None:
    con.executemany(
        "INSERT INTO training_session (id, programme_id, series_id, recurrence_id, detached, title, topic,"
        " speaker, location, branch_venues, broadcast_at, starts_at, ends_at, all_day, status, note, uid,"
        " sequence, version, created_at, updated_at, updated_by)"
        " VALUES (?,?,NULL,NULL,0,?,?,?,?,?,NULL,?,?,?,?,'',?,0,1,?,?,'zzb')",
        sessions,
    )
    con.executemany(
        "INSERT INTO participant (id, session_id, cadre_id, unit_id, status, leave_reason, approved_by,"
        " deputy_name, venue, note, recorded_by, recorded_at, version) VALUES (?,?,?,?,?,?,?,?,'','',?,?,1)",
        parts,
    )
    con.executemany(
        "INSERT INTO audit_log (id, at, os_user, action, entity, entity_id, session_id, cadre_id, before,"
        " after, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        audits,
    )


# ---------------------------------------------------------------- cache
def ensure(size: Size, *, quiet: bool = False) -> Generated:
    """The cached database for `size`, generated when missing (metadata kept next to it)."""
    path = db_path(size)
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        m = json.loads(meta.read_text())
        return Generated(path, 0.0, m["counts"], m["big_session_id"], m["cadre_id"], m.get("note", ""))
    if not quiet:
        print(f"generating {size.label} ({size.scale:g}×) data into {path} …", flush=True)
    g = generate(size, path, quiet=quiet)
    meta.write_text(
        json.dumps(
            {
                "counts": g.counts,
                "big_session_id": g.big_session_id,
                "cadre_id": g.cadre_id,
                "seconds": g.seconds,
                "note": g.note,
            }
        )
    )
    if not quiet:
        print(f"  generated in {g.seconds:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in g.counts.items()))
    return g
