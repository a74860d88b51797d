"""One scene whose figures were computed by hand (see the table in each test), checked through
every surface: dashboard, API /api/v1/dashboard/, assessment page, its drill-down and export,
the published snapshot, the briefing and the ledger. All show the same numbers.

Today is 2026-06-15; the ranking window is 2026-01-01..2026-06-15; default weights 50/30/20.

东莞 plan (quarterly: Q1, Q2)                           珠海 plan (monthly: 01..06)
  T1 lead 科技局, resp. 各镇街; 01-01→03-31, done 03-20     Z1 lead 珠海公安; 04-15→06-10, done 06-12 (late)
  T2 lead 科技局; 01-01→05-31, open 50 %  (red)           Z2 lead 科技创新局; from 01-01, no due, open
  T3 lead 财政局, resp. 科技局; 05-10→12-31 (green)
  T4 lead 各镇街 (a group); 01-01→04-30 (red)
  T5 lead 东莞公安; 01-01→06-20, 10 % (yellow)
Reports: 科技局 T1 Q1 (twice), T2 Q2; 东莞公安 T5 Q1, Q2; 珠海公安 Z1 04, 05; 科技创新局 Z2 all but 03.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from departments.choices import DepartmentKind
from departments.models import Department
from departments.services import department_create
from tasks.models import AssessmentSnapshot, Plan, ProgressReport, Task, Urge
from tasks.services import task_create
from tasks.services.assessment import assessment_publish

from ..conftest import World

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)

#: department -> (rank, score, on-time a/b, reports a/b, open overdue a/b, led, shared, overdue now, missing)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "东莞市公安局": (1, 100.0, (0, 0), (2, 2), (0, 1), 1, 0, 0, 0),
    "市科技创新局": (2, 90.0, (0, 0), (5, 6), (0, 1), 1, 0, 0, 0),
    "市科技局": (3, 50.0, (1, 2), (2, 4), (1, 2), 2, 1, 1, 1),
    "市财政局": (4, 40.0, (0, 0), (0, 1), (0, 1), 1, 0, 0, 1),
    "珠海市公安局": (5, 25.0, (0, 1), (2, 3), (0, 0), 1, 0, 0, 0),
    "各镇街": (None, 0.0, (0, 1), (0, 3), (1, 1), 1, 1, 1, 1),
}
DONGGUAN = ["东莞市公安局", "市科技局", "市财政局", "各镇街"]


def _name(department: Department) -> str:
    return (
        f"{department.region.name}{department.name[1:]}" if department.name == "市公安局" else department.name
    )


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    real = timezone.localdate

    def localdate(value: dt.datetime | None = None, timezone: Any = None) -> dt.date:
        return real(value, timezone) if value is not None else TODAY

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10, 0))


@pytest.fixture
def scene(world: World, fixed_today: dt.date) -> World:
    Task.objects.all().delete()
    Plan.objects.filter(pk=world.plan.pk).update(report_cadence="quarterly")
    Plan.objects.filter(pk=world.foreign_plan.pk).update(report_cadence="monthly")
    towns = department_create(actor=None, region=world.city, name="各镇街")
    assert towns.kind == DepartmentKind.GROUP  # decided by the general rule, not by hand
    police = department_create(actor=None, region=world.city, name="市公安局")
    police_zh = department_create(actor=None, region=world.other_city, name="市公安局")
    science, finance, innovation = world.lead_dept, world.other_dept, world.foreign_dept
    d = dt.date

    def make(plan: Plan, path: str, start: dt.date, due: dt.date | None, **roles: Any) -> Task:
        return task_create(
            actor=None, plan=plan, path=path, title=f"任务{path}", start_date=start, due_date=due, **roles
        )

    t1 = make(world.plan, "1", d(2026, 1, 1), d(2026, 3, 31), lead=[science], responsible=[towns])
    t2 = make(world.plan, "2", d(2026, 1, 1), d(2026, 5, 31), lead=[science])
    t3 = make(world.plan, "3", d(2026, 5, 10), d(2026, 12, 31), lead=[finance], responsible=[science])
    t4 = make(world.plan, "4", d(2026, 1, 1), d(2026, 4, 30), lead=[towns])
    t5 = make(world.plan, "5", d(2026, 1, 1), d(2026, 6, 20), lead=[police])
    z1 = make(world.foreign_plan, "Z1", d(2026, 4, 15), d(2026, 6, 10), lead=[police_zh])
    z2 = make(world.foreign_plan, "Z2", d(2026, 1, 1), None, lead=[innovation])
    Task.objects.filter(pk=t1.pk).update(status="completed", progress=100, completed_at=_at(d(2026, 3, 20)))
    Task.objects.filter(pk=t2.pk).update(status="in_progress", progress=50)
    Task.objects.filter(pk=t5.pk).update(status="in_progress", progress=10)
    Task.objects.filter(pk=z1.pk).update(status="completed", progress=100, completed_at=_at(d(2026, 6, 12)))
    Task.objects.filter(pk=z2.pk).update(status="in_progress", progress=30)
    author = world.users["staff"]
    for task, department, period in [
        (t1, science, "2026-Q1"),
        (t1, science, "2026-Q1"),
        (t2, science, "2026-Q2"),
        (t5, police, "2026-Q1"),
        (t5, police, "2026-Q2"),
        (z1, police_zh, "2026-04"),
        (z1, police_zh, "2026-05"),
        *[(z2, innovation, f"2026-{month:02d}") for month in (1, 2, 4, 5, 6)],
    ]:
        ProgressReport.objects.create(
            task=task, department=department, author=author, period=period, text="进展", percent=10
        )
    urge = Urge.objects.create(task=t2, author=world.users["bureau"], message="请加快")
    Urge.objects.filter(pk=urge.pk).update(created_at=_at(d(2026, 6, 1)))
    assert t3.pk and t4.pk
    return world


def _check(rows: list[Any], names: list[str] | None = None) -> None:
    """Rows (Assessment objects) against EXPECTED; ranks among ``names`` when given."""
    seen = {_name(row.department): row for row in rows}
    assert set(seen) == set(names or EXPECTED)
    ranked = [name for name in EXPECTED if name in seen and EXPECTED[name][0] is not None]
    for name, row in seen.items():
        rank, score, on_time, reports, overdue, led, shared, overdue_now, missing = EXPECTED[name]
        assert (row.on_time, row.due) == on_time, name
        assert (row.reports_filed, row.reports_owed) == reports, name
        assert (row.overdue, row.open_tasks) == overdue, name
        assert (row.led, row.shared, row.overdue_now, row.reports_missing) == (
            led,
            shared,
            overdue_now,
            missing,
        )
        assert row.score == score, name
        assert row.rank == (None if rank is None else ranked.index(name) + 1), name


def test_the_ranking_by_hand_and_whoever_looks(client: Client, scene: World) -> None:
    client.force_login(scene.users["province"])
    province = client.get(reverse("tasks:dashboard")).context["ranking"]
    _check(province)
    assert {row.city for row in province} == {"东莞市", "珠海市"}
    # the city's bureau sees fewer rows, never other scores
    client.force_login(scene.users["bureau"])
    _check(client.get(reverse("tasks:dashboard")).context["ranking"], DONGGUAN)
    # the department user sees its own row, with the score the bureau sees
    client.force_login(scene.users["staff"])
    _check(client.get(reverse("tasks:dashboard")).context["ranking"], ["市科技局"])


def test_cities_compared(client: Client, scene: World) -> None:
    client.force_login(scene.users["province"])
    response = client.get(reverse("tasks:assessment"))
    cities = {city.name: city for city in response.context["cities"]}
    # 东莞 (ranked: 公安, 科技局, 财政局): on time 1/2, reports 4/7, overdue 1 of 4 open
    dongguan = cities["东莞市"].totals
    assert (dongguan.on_time, dongguan.due, dongguan.reports_filed, dongguan.reports_owed) == (1, 2, 4, 7)
    assert (dongguan.overdue, dongguan.open_tasks, cities["东莞市"].score, cities["东莞市"].rank) == (
        1,
        4,
        57.1,
        1,
    )
    zhuhai = cities["珠海市"].totals
    assert (zhuhai.on_time, zhuhai.due, zhuhai.reports_filed, zhuhai.reports_owed) == (0, 1, 7, 9)
    assert (cities["珠海市"].score, cities["珠海市"].rank) == (43.3, 2)


def test_assessment_page_drill_down_and_export(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:assessment"))
    _check(response.context["rows"], DONGGUAN)
    page = response.content.decode()
    assert "不参加排名" in page  # the rule is stated
    science = scene.lead_dept
    explained = client.get(reverse("tasks:assessment_explain", args=[science.pk]))
    assert explained.context["explanation"].totals() == {
        "due": 2,
        "on_time": 1,
        "reports_owed": 4,
        "reports_filed": 2,
        "open_tasks": 2,
        "overdue": 1,
    }
    reports = {
        item["task"].path: (item["owed"], item["missing"])
        for item in explained.context["explanation"].reports
    }
    # T3 started in May: only Q2 is owed; T1 was completed in March: only Q1
    assert reports == {
        "1": (["2026-Q1"], []),
        "2": (["2026-Q1", "2026-Q2"], ["2026-Q1"]),
        "3": (["2026-Q2"], ["2026-Q2"]),
    }
    export = client.get(reverse("tasks:assessment_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active  # type: ignore[attr-defined]
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[2], r[3], r[8]) for r in lines] == [
        (1, "市公安局", 100, "—", "东莞市"),
        (2, "市科技局", 50, 50, "东莞市"),
        (3, "市财政局", 40, "—", "东莞市"),
        ("—", "各镇街", 0, 0, "东莞市"),
    ]


def test_api_dashboard(client: Client, scene: World) -> None:
    client.force_login(scene.users["province"])
    body = client.get("/api/v1/dashboard/").json()
    rows = {f"{row['city']}{row['name']}": row for row in body["departments"]}
    science = rows["东莞市市科技局"]
    assert (science["rank"], science["score"], science["on_time_rate"], science["report_rate"]) == (
        3,
        50.0,
        50.0,
        50.0,
    )
    assert (science["overdue"], science["reports_missing"], science["led"], science["shared"]) == (1, 1, 2, 1)
    finance = rows["东莞市市财政局"]
    assert (finance["on_time_rate"], finance["clean_rate"], finance["score"]) == (None, 100.0, 40.0)
    towns = rows["东莞市各镇街"]
    assert (towns["kind"], towns["rank"]) == ("group", None)
    plans = {plan["title"]: plan for plan in body["plans"]}
    dongguan = plans[scene.plan.title]
    assert dongguan["lights"] == {"red": 2, "yellow": 1, "green": 1, "done": 1}
    assert (dongguan["overdue"], dongguan["completion_rate"], dongguan["on_time_rate"]) == (2, 20.0, 100.0)
    zhuhai = plans[scene.foreign_plan.title]
    assert (zhuhai["lights"], zhuhai["on_time_rate"]) == ({"red": 0, "yellow": 0, "green": 1, "done": 1}, 0.0)


def test_dashboard_lights_and_task_list(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:dashboard"))
    assert response.context["lights"] == {"red": 2, "yellow": 1, "green": 1, "done": 1}
    listed = client.get(reverse("tasks:task_list"), {"light": "red"})
    assert sorted(task.path for task in listed.context["page"]) == ["2", "4"]
    assert listed.context["counts"] == {"red": 2, "yellow": 0, "green": 0, "done": 0}  # of the list shown
    everything = client.get(reverse("tasks:task_list"))
    assert everything.context["counts"] == {"red": 2, "yellow": 1, "green": 1, "done": 1}


def test_ledger_shows_the_same_lights(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:ledger_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    lights = {
        row[2]: row[-1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[2] and row[0] != "序号"
    }
    assert lights == {"1": "已办结", "2": "红灯", "3": "绿灯", "4": "红灯", "5": "黄灯"}


def test_briefing_shows_the_same_figures(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:briefing_export"), {"start": "2026-01-01", "end": "2026-06-15"})
    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(b"".join(response.streaming_content))).paragraphs
    )
    assert "共 1 个工作方案、5 项任务,已办结 1 项,逾期未办结 2 项。" in text
    assert "本期共催办 1 次。" in text
    assert "市科技局(1)" in text and "各镇街(1)" in text


def test_a_published_ranking_stays_as_computed(client: Client, scene: World) -> None:
    snapshot = assessment_publish(
        actor=scene.users["bureau"], start=dt.date(2026, 1, 1), end=TODAY, title="上半年"
    )
    before = {row["name"]: (row["rank"], row["score"]) for row in snapshot.rows}
    assert before == {
        "市公安局": (1, 100.0),
        "市科技局": (2, 50.0),
        "市财政局": (3, 40.0),
        "各镇街": (None, 0.0),
    }
    assert snapshot.weights == {"on_time": 50, "reports": 30, "overdue": 20}
    # a late report and new weights change the live ranking, not the published one
    ProgressReport.objects.create(
        task=Task.objects.get(path="3"), department=scene.other_dept, author=scene.users["other_staff"],
        period="2026-Q2", text="补报", percent=5,
    )  # fmt: skip
    client.force_login(scene.users["bureau"])
    client.post(reverse("tasks:assessment_weights"), {"on_time": "0", "reports": "100", "overdue": "0"})
    live = {row.department.name: row.score for row in client.get(reverse("tasks:assessment")).context["rows"]}
    assert live["市财政局"] == 100.0
    snapshot.refresh_from_db()
    assert {row["name"]: (row["rank"], row["score"]) for row in snapshot.rows} == before
    page = client.get(reverse("tasks:assessment_snapshot", args=[snapshot.pk]))
    assert page.status_code == 200 and "上半年" in page.content.decode()
    api = client.get("/api/v1/assessment/snapshots/").json()
    assert [item["id"] for item in api] == [snapshot.pk] and api[0]["rows"][1]["score"] == 50.0
    # 珠海's bureau does not see 东莞's published ranking; departments do not publish
    client.force_login(scene.users["other_bureau"])
    assert client.get(reverse("tasks:assessment_snapshot", args=[snapshot.pk])).status_code == 404
    assert client.get("/api/v1/assessment/snapshots/").json() == []
    client.force_login(scene.users["staff"])
    client.post(reverse("tasks:assessment_publish"), {"start": "2026-01-01", "end": "2026-06-15"})
    assert AssessmentSnapshot.objects.count() == 1
