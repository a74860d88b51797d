"""Generate a benchmark database at city, province or national scale with PostgreSQL COPY.

    .venv/bin/python -m benchmarks.generate --scale province            # database h_bench_province
    .venv/bin/python -m benchmarks.generate --scale city --db h_bench_city --keep

The database is dropped and created again (unless ``--keep`` finds it already generated at the
same scale), migrated, then filled table by table with COPY: regions, departments with aliases,
users of every role, plans with their document text, sections, phases, indicators, tasks due
around today, assignments, progress reports over months, open requests and urges. Rows are
deterministic for a seed. Province scale (20 cities, 2,000 departments, 500 plans, 50,000 tasks,
150,000 assignments, 600,000 reports) takes about a minute here.

Every account's password is ``ipplan-demo-2026``. Known accounts: ``bureau`` and ``leader``
(the first city), ``province`` (the first province's bureau), ``staff`` and ``head`` (the first
city's 市科技局); every other department has ``d<id>_staff`` and ``d<id>_head``, every city
``c<code>_bureau`` and ``c<code>_leader``.

Only generated rows are written: the history tables stay empty (a generated row has no past).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "ipplan-demo-2026"


@dataclass(frozen=True)
class Scale:
    provinces: int
    cities_per_province: int
    departments_per_city: int
    plans_per_city: int
    tasks_per_city: int
    assignments_per_task: float
    reports_per_task: float


SCALES = {
    "city": Scale(1, 1, 100, 25, 2_500, 3.0, 12.0),
    "province": Scale(1, 20, 100, 25, 2_500, 3.0, 12.0),
    "national": Scale(10, 20, 100, 25, 2_500, 3.0, 12.0),
}

# Real-looking department names of a city (the first ones are the ones plans name most).
CITY_DEPARTMENTS = [
    ("市知识产权局", "government"),
    ("市科技局", "government"),
    ("市市场监管局", "government"),
    ("市发展改革局", "government"),
    ("市工业和信息化局", "government"),
    ("市财政局", "government"),
    ("市教育局", "government"),
    ("市商务局", "government"),
    ("市司法局", "government"),
    ("市公安局", "government"),
    ("市人力资源社会保障局", "government"),
    ("市农业农村局", "government"),
    ("市文化广电旅游体育局", "government"),
    ("市卫生健康局", "government"),
    ("市自然资源局", "government"),
    ("市住房城乡建设局", "government"),
    ("市生态环境局", "government"),
    ("市交通运输局", "government"),
    ("市水务局", "government"),
    ("市统计局", "government"),
    ("市金融工作局", "government"),
    ("市国资委", "government"),
    ("市政务服务数据管理局", "government"),
    ("市林业局", "government"),
    ("市版权局", "government"),
    ("市委宣传部", "party"),
    ("市委组织部", "party"),
    ("市委编办", "party"),
    ("市中级人民法院", "judicial"),
    ("市人民检察院", "judicial"),
    ("海关", "vertical"),
    ("市税务局", "vertical"),
    ("人民银行市分行", "vertical"),
    ("金融监管分局", "vertical"),
    ("高新区管委会", "zone"),
    ("滨海新区管委会", "zone"),
    ("市贸促会", "organisation"),
    ("市工商联", "organisation"),
    ("市知识产权保护中心", "organisation"),
    ("市科协", "organisation"),
]
DISTRICT_SUFFIXES = ["区人民政府", "镇人民政府", "街道办事处"]
DISTRICT_STEMS = "东西南北中长清新安和平兴华城江湖山石水河桥林塘湾沙田".replace("", " ").split()

SECTION_LABELS = ["一", "二", "三", "四", "五", "六", "七", "八"]
SECTION_TITLES = [
    "强化知识产权创造",
    "加强知识产权保护",
    "促进知识产权运用",
    "优化知识产权服务",
    "夯实知识产权基础",
    "深化知识产权合作",
    "加强组织保障",
    "营造良好环境",
]
SUB_LABELS = ["(一)", "(二)", "(三)", "(四)", "(五)"]
VERBS = ["推进", "加强", "完善", "建立", "实施", "开展", "培育", "深化", "健全", "优化"]
OBJECTS = [
    "高价值专利培育",
    "知识产权快速协同保护",
    "重点产业专利导航",
    "商标品牌建设",
    "地理标志保护工程",
    "知识产权质押融资",
    "专利转化运用专项行动",
    "知识产权公共服务网点",
    "海外知识产权纠纷应对指导",
    "知识产权人才培养",
    "数据知识产权登记试点",
    "知识产权信用监管",
    "展会知识产权保护",
    "知识产权纠纷多元化解",
    "中小企业知识产权托管",
]
REPORT_PHRASES = [
    "本月已召开专题会议研究部署,",
    "组织重点企业开展培训两场,",
    "完成年度工作方案的制定,",
    "会同有关单位开展联合检查,",
    "推动项目落地并形成阶段性成果,",
    "已完成资金拨付和绩效评估,",
    "指导企业提交专利申请若干件,",
    "按计划推进,下一步将加强督导。",
]
PLAN_KINDS = [
    "知识产权强市建设工作方案",
    "知识产权示范城市建设实施方案",
    "知识产权保护工作要点",
    "年度推进计划",
]

STATUS_WEIGHTS = [
    ("completed", 30),
    ("in_progress", 35),
    ("not_started", 18),
    ("completion_requested", 6),
    ("blocked", 5),
    ("cancelled", 6),
]


# -- COPY plumbing ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Copier:
    """COPY rows of one model: the given columns, the other columns at their field default."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}

    def copy(
        self, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int = 50_000
    ) -> int:
        from django.db.models import NOT_PROVIDED

        table = model._meta.db_table
        given = list(columns)
        extra: list[str] = []
        extra_values: list[str] = []
        for field in model._meta.concrete_fields:
            if field.attname in given or field.primary_key:
                continue
            if field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = NOW
            elif field.default is NOT_PROVIDED and field.blank:
                value = ""
            else:
                raise SystemExit(f"{table}.{field.column}: no value and no default")
            extra.append(field.column)
            extra_values.append(_text(value))
        names = [model._meta.get_field(a).column if a != "id" else "id" for a in given] + extra
        quoted = ", ".join(f'"{name}"' for name in names)
        sql = f"COPY {table} ({quoted}) FROM STDIN"
        tail = ("\t" + "\t".join(extra_values)) if extra_values else ""
        total = 0
        buffer = io.StringIO()
        n = 0
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            for row in rows:
                buffer.write("\t".join(_text(v) for v in row))
                buffer.write(tail)
                buffer.write("\n")
                n += 1
                if n >= chunk:
                    buffer.seek(0)
                    raw.copy_expert(sql, buffer)
                    total += n
                    n = 0
                    buffer = io.StringIO()
            if n:
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
                total += n
        self.counts[table] = self.counts.get(table, 0) + total
        return total


TODAY = dt.date.today()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ts(days_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


# -- the generator ----------------------------------------------------------------------------


def generate(scale: Scale, seed: int = 18) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from departments.models import Department, DepartmentAlias, Region, User
    from ipplan.fieldcrypto import blind_index
    from tasks.models import (
        Assignment,
        Indicator,
        Phase,
        Plan,
        PlanDocument,
        ProgressReport,
        Section,
        Task,
        TaskRequest,
        Urge,
    )

    rng = random.Random(seed)
    copier = Copier(connection)
    password = make_password(PASSWORD)
    empty_index = blind_index("")

    with transaction.atomic():
        # Regions: provinces 44xxxx-like codes, cities under them.
        regions: list[tuple[int, str, str, str, int | None, str]] = []
        cities: list[tuple[int, str]] = []  # (region id, code)
        provinces: list[tuple[int, str]] = []
        rid = 0
        for p in range(scale.provinces):
            rid += 1
            pcode = f"{44 + p:02d}0000"
            ppath = f"/{pcode}/"
            regions.append((rid, pcode, "广东省" if p == 0 else f"第{p + 1}省", "province", None, ppath))
            provinces.append((rid, pcode))
            prid = rid
            for c in range(scale.cities_per_province):
                rid += 1
                ccode = f"{44 + p:02d}{c + 1:02d}00"
                name = "东莞市" if (p, c) == (0, 0) else f"{DISTRICT_STEMS[c % len(DISTRICT_STEMS)]}{c + 1}市"
                regions.append((rid, ccode, name, "city", prid, f"{ppath}{ccode}/"))
                cities.append((rid, ccode))
        copier.copy(
            Region,
            ["id", "code", "name", "level", "parent_id", "path", "created_at", "updated_at"],
            ((*r, NOW, NOW) for r in regions),
        )

        # Departments and their aliases: 100 per city.
        departments_by_city: dict[int, list[int]] = {}
        dept_rows = []
        name_of: dict[int, str] = {}
        alias_rows = []
        did = 0
        aid = 0
        for city_id, _code in cities:
            ids = []
            for i in range(scale.departments_per_city):
                did += 1
                if i < len(CITY_DEPARTMENTS):
                    name, kind = CITY_DEPARTMENTS[i]
                else:
                    j = i - len(CITY_DEPARTMENTS)
                    stem = (
                        DISTRICT_STEMS[j % len(DISTRICT_STEMS)]
                        + DISTRICT_STEMS[(j // 7) % len(DISTRICT_STEMS)]
                    )
                    name = f"{stem}{DISTRICT_SUFFIXES[j % 3]}{j}"
                    kind = "district"
                short = name.removeprefix("市")[:50]
                dept_rows.append((did, city_id, name, short, kind, True, NOW, NOW))
                name_of[did] = name
                if name.startswith("市") and len(name) > 3:
                    aid += 1
                    alias_rows.append((aid, did, city_id, short, NOW, NOW))
                ids.append(did)
            departments_by_city[city_id] = ids
        copier.copy(
            Department,
            ["id", "region_id", "name", "short_name", "kind", "active", "created_at", "updated_at"],
            dept_rows,
        )
        copier.copy(
            DepartmentAlias,
            ["id", "department_id", "region_id", "name", "created_at", "updated_at"],
            alias_rows,
        )

        # Users: a liaison and a head per department, a bureau coordinator and a leader per city
        # and province, and the administrators.
        user_rows = []
        uid = 0
        staff_of: dict[int, int] = {}
        bureau_of: dict[int, int] = {}
        first_city = cities[0][0]

        def user(username: str, role: str, department: int | None, region: int | None) -> int:
            nonlocal uid
            uid += 1
            user_rows.append(
                (uid, username, password, role, department, region, username, role == "admin", role == "admin",
                 True, "", "", empty_index, _ts(400), _ts(1))
            )  # fmt: skip
            return uid

        user("admin", "admin", None, provinces[0][0])
        for region_id, code in provinces:
            first = region_id == provinces[0][0]
            user("province" if first else f"p{code}_bureau", "bureau", None, region_id)
            user("province_leader" if first else f"p{code}_leader", "leader", None, region_id)
        for city_id, code in cities:
            first = city_id == first_city
            bureau_of[city_id] = user("bureau" if first else f"c{code}_bureau", "bureau", None, city_id)
            user("leader" if first else f"c{code}_leader", "leader", None, city_id)
            for n, dept in enumerate(departments_by_city[city_id]):
                known = first and n == 1  # 市科技局 of the first city
                staff_of[dept] = user("staff" if known else f"d{dept}_staff", "dept_staff", dept, city_id)
                user("head" if known else f"d{dept}_head", "dept_head", dept, city_id)
        copier.copy(
            User,
            ["id", "username", "password", "role", "department_id", "region_id", "display_name", "is_staff",
             "is_superuser", "is_active", "email", "phone", "email_index", "date_joined", "password_changed_at"],
            user_rows,
        )  # fmt: skip

        # Plans, sections, phases, indicators, tasks, assignments, reports.
        plan_rows: list[tuple[Any, ...]] = []
        section_rows: list[tuple[Any, ...]] = []
        phase_rows: list[tuple[Any, ...]] = []
        indicator_rows: list[tuple[Any, ...]] = []
        task_rows: list[tuple[Any, ...]] = []
        assignment_rows: list[tuple[Any, ...]] = []
        request_rows: list[tuple[Any, ...]] = []
        urge_rows: list[tuple[Any, ...]] = []
        task_departments: list[tuple[int, list[int], str, int]] = []  # (task, depts, status, progress)
        pid = sid = phid = iid = tid = asid = rqid = ugid = 0
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        for city_index, (city_id, _code) in enumerate(cities):
            depts = departments_by_city[city_id]
            # Plan sizes: skewed, the first city's first plan is the biggest (1,000 tasks).
            raw = [rng.lognormvariate(0, 0.9) for _ in range(scale.plans_per_city)]
            budget = scale.tasks_per_city
            if city_index == 0:
                sizes = [1000] + [max(5, round(r / sum(raw[1:]) * (budget - 1000))) for r in raw[1:]]
            else:
                sizes = [max(5, round(r / sum(raw) * budget)) for r in raw]
            for plan_index, size in enumerate(sizes):
                pid += 1
                year = 2021 + (plan_index % 5)
                issued = dt.date(year, 1 + plan_index % 12, 1 + plan_index % 27)
                title = f"{year}年{PLAN_KINDS[plan_index % len(PLAN_KINDS)]}(第{plan_index + 1}号)"
                n_sections = min(len(SECTION_LABELS), 3 + size // 150)
                subs_per = 3 if size > 40 else 1
                leaves: list[tuple[int, str]] = []
                order = 0
                for s in range(n_sections):
                    sid += 1
                    order += 1
                    top = sid
                    section_rows.append(
                        (
                            sid,
                            pid,
                            None,
                            f"{SECTION_LABELS[s]}、",
                            SECTION_TITLES[s],
                            SECTION_LABELS[s],
                            order,
                        )
                    )
                    if subs_per == 1:
                        leaves.append((top, SECTION_LABELS[s]))
                        continue
                    for u in range(subs_per):
                        sid += 1
                        order += 1
                        path = f"{SECTION_LABELS[s]}.{SUB_LABELS[u]}"
                        section_rows.append(
                            (sid, pid, top, SUB_LABELS[u], f"{VERBS[(s + u) % 10]}{OBJECTS[(s * 3 + u) % 15]}", path, order)
                        )  # fmt: skip
                        leaves.append((sid, path))
                for k in range(3):
                    phid += 1
                    start = issued + dt.timedelta(days=200 * k)
                    phase_rows.append((phid, pid, ["组织实施阶段", "全面推进阶段", "总结评估阶段"][k], start,
                                       start + dt.timedelta(days=199), k))  # fmt: skip
                text_parts = [f"{title}\n\n为深入实施知识产权强国战略,结合本市实际,制定本方案。\n"]
                for number in range(1, size + 1):
                    tid += 1
                    leaf, leaf_path = leaves[(number - 1) * len(leaves) // size]
                    verb = VERBS[rng.randrange(10)]
                    obj = OBJECTS[rng.randrange(15)]
                    k = rng.randrange(3) + 2 if rng.random() < 0.5 else 1
                    lead_and_more = rng.sample(
                        depts[:40] if rng.random() < 0.8 else depts, k=min(len(depts), 1 + k)
                    )
                    names = "、".join(name_of[d] for d in lead_and_more)
                    full = (f"{number}.{verb}{obj}。围绕本市重点产业,{verb}{obj}工作机制,"
                            f"明确工作目标和责任分工,按季度报送工作进展,确保各项措施落地见效。"
                            f"(牵头单位:{names})") * 2  # fmt: skip
                    text_parts.append(full + "\n")
                    status = rng.choices(statuses, weights)[0]
                    due = TODAY + dt.timedelta(days=rng.randint(-420, 540))
                    start_date = due - dt.timedelta(days=rng.randint(90, 720))
                    progress = {
                        "completed": 100,
                        "completion_requested": 100,
                        "not_started": 0,
                    }.get(status, rng.randrange(5, 96, 5))
                    completed_at = (
                        _ts(max(0, (TODAY - due).days + rng.randint(-30, 10)))
                        if status == "completed"
                        else None
                    )
                    task_rows.append(
                        (tid, pid, leaf, f"{leaf_path}.{number}", number, number, f"{verb}{obj}", full,
                         f"{due.year}年{due.month}月底前", start_date, due, status, progress, 1, completed_at,
                         "已并入其他任务" if status == "cancelled" else "", _ts(rng.randint(30, 600)),
                         _ts(rng.randint(0, 30)))
                    )  # fmt: skip
                    # Assignments: one lead, responsible and cooperating ones (3 on average).
                    roles = (
                        ["lead"]
                        + ["responsible"] * (len(lead_and_more) // 2)
                        + ["cooperating"] * len(lead_and_more)
                    )
                    for o, dept in enumerate(lead_and_more):
                        asid += 1
                        assignment_rows.append((asid, tid, dept, roles[o], o))
                    task_departments.append((tid, lead_and_more, status, progress))
                    if status == "completion_requested":
                        rqid += 1
                        request_rows.append((rqid, tid, "completion", "awaiting_review", lead_and_more[0],
                                             staff_of[lead_and_more[0]], "已完成全部工作,申请办结。",
                                             _ts(rng.randint(1, 20)), NOW))  # fmt: skip
                    if due < TODAY and status not in ("completed", "cancelled") and rng.random() < 0.2:
                        ugid += 1
                        urge_rows.append((ugid, tid, bureau_of[city_id], "请抓紧推进并及时报送进展。",
                                          _ts(rng.randint(1, 60)), NOW))  # fmt: skip
                for k in range(1 + size // 100):
                    iid += 1
                    indicator_rows.append((iid, pid, f"每万人口高价值发明专利拥有量{k + 1}", "件", ">=",
                                           Decimal("10.5"), year - 1, Decimal(20 + k), year + 4, k))  # fmt: skip
                source = "".join(text_parts)
                plan_rows.append(
                    (pid, city_id, title, f"{issued.year}〔{plan_index + 1}〕号", "市人民政府办公室", issued,
                     year, year + 4, "active", f"plan-{pid}.docx", source, "monthly", 25, 1, bureau_of[city_id],
                     _ts(500), _ts(10))
                )  # fmt: skip
        copier.copy(
            Plan,
            ["id", "region_id", "title", "doc_number", "issuer", "issued_on", "period_start", "period_end",
             "status", "source_name", "report_cadence", "report_day", "version", "created_by_id",
             "created_at", "updated_at"],
            (row[:10] + row[11:] for row in plan_rows),
        )  # fmt: skip
        copier.copy(PlanDocument, ["plan_id", "text"], ((row[0], row[10]) for row in plan_rows), chunk=200)
        copier.copy(Section, ["id", "plan_id", "parent_id", "label", "title", "path", "order"], section_rows)
        copier.copy(Phase, ["id", "plan_id", "name", "start", "end", "order"], phase_rows)
        copier.copy(
            Indicator,
            ["id", "plan_id", "name", "unit", "comparator", "baseline", "baseline_year", "target_value",
             "target_year", "order"],
            indicator_rows,
        )  # fmt: skip
        copier.copy(
            Task,
            ["id", "plan_id", "section_id", "path", "number", "order", "title", "full_text", "deadline_text",
             "start_date", "due_date", "status", "progress", "version", "completed_at", "cancel_reason",
             "created_at", "updated_at"],
            task_rows,
            chunk=20_000,
        )  # fmt: skip
        # Each task's first history row (the import that created it), as a real import leaves.
        columns = ["history_id", "id", "plan_id", "section_id", "path", "number", "order", "title", "full_text",
                   "deadline_text", "start_date", "due_date", "status", "progress", "version", "completed_at",
                   "cancel_reason", "created_at", "updated_at", "history_date", "history_type", "history_user_id",
                   "history_change_reason"]  # fmt: skip
        plan_owner = {row[0]: row[14] for row in plan_rows}  # created_by
        copier.copy(
            Task.history.model,
            columns,
            ((row[0], *row, row[16], "+", plan_owner[row[1]], "import") for row in task_rows),
            chunk=20_000,
        )
        del task_rows, plan_rows
        copier.copy(Assignment, ["id", "task_id", "department_id", "role", "order"], assignment_rows)
        del assignment_rows
        copier.copy(
            TaskRequest,
            ["id", "task_id", "kind", "state", "department_id", "requested_by_id", "reason", "created_at",
             "updated_at"],
            request_rows,
        )  # fmt: skip
        copier.copy(Urge, ["id", "task_id", "author_id", "message", "created_at", "updated_at"], urge_rows)

        # Progress reports: monthly over the task's life, by its departments (12 per task on average).
        target = scale.reports_per_task

        def reports() -> Iterator[tuple[Any, ...]]:
            rpid = 0
            for task_id, depts_, status, progress in task_departments:
                n = 0 if status == "not_started" else rng.randint(int(target * 0.5), int(target * 1.95))
                if status != "not_started":
                    n = max(n, 1)
                for r in range(n):
                    rpid += 1
                    month = TODAY.replace(day=1) - dt.timedelta(days=31 * (n - r - 1))
                    dept = depts_[0] if r % 3 else depts_[r % len(depts_)]
                    pct = min(progress, round(progress * (r + 1) / n))
                    review = "pending" if r == n - 1 and rng.random() < 0.3 else "accepted"
                    created = dt.datetime.combine(month.replace(day=min(25, 1 + r % 25)), dt.time(9), dt.UTC)
                    yield (rpid, task_id, dept, staff_of[dept], f"{month:%Y-%m}",
                           REPORT_PHRASES[r % 8] + REPORT_PHRASES[(r + task_id) % 8], pct, review,
                           created, created)  # fmt: skip

        copier.copy(
            ProgressReport,
            ["id", "task_id", "department_id", "author_id", "period", "text", "percent", "review_status",
             "created_at", "updated_at"],
            reports(),
        )  # fmt: skip
        with connection.cursor() as cursor:
            for model in (Region, Department, DepartmentAlias, User, Plan, Section, Phase, Indicator, Task,
                          Assignment, TaskRequest, Urge, ProgressReport):  # fmt: skip
                if model is Task:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence('tasks_historicaltask', 'history_id'), "
                        "(SELECT COALESCE(MAX(history_id), 1) FROM tasks_historicaltask))"
                    )
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cursor.execute(
            "INSERT INTO bench_meta VALUES ('generated_on', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [TODAY.isoformat()],
        )
    return copier.counts


def database_url(db: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{db}"


def prepare_database(db: str) -> None:
    """Drop and create ``db``, then migrate it (in a child process: settings read the URL once)."""
    for cmd in (["dropdb", "--if-exists", "--force"], ["createdb"]):
        subprocess.run([*cmd, "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    env = {**os.environ, "DATABASE_URL": database_url(db)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def is_generated(db: str, scale: str) -> bool:
    query = "SELECT value FROM bench_meta WHERE key = 'scale'"
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", query], capture_output=True, text=True
    )
    return done.returncode == 0 and done.stdout.strip() == scale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="province")
    parser.add_argument("--db", help="database name (default h_bench_<scale>)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database if it holds this scale already"
    )
    args = parser.parse_args(argv)
    db = args.db or f"h_bench_{args.scale}"
    if args.keep and is_generated(db, args.scale):
        print(f"{db}: already generated at {args.scale} scale")
        return 0
    started = time.perf_counter()
    prepare_database(db)
    migrated = time.perf_counter()
    os.environ["DATABASE_URL"] = database_url(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    counts = generate(SCALES[args.scale], seed=args.seed)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_meta VALUES ('scale', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [args.scale],
        )
    done = time.perf_counter()
    for table, n in counts.items():
        print(f"{table:32} {n:>10,}")
    print(f"{db}: {args.scale} scale, migrate {migrated - started:.1f} s, generate {done - migrated:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
