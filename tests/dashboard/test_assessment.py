"""The department assessment: scores computed by hand, weights, roles, export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from departments.models import AssessmentWeights, Department
from tasks.assessment import assess, period_keys, weights_for
from tasks.models import Plan, ProgressReport, Task

from ..conftest import World

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


@pytest.fixture
def year(world: World) -> World:
    Plan.objects.filter(pk=world.plan.pk).update(report_cadence="quarterly")
    done = timezone.make_aware(dt.datetime(2026, 6, 20, 10, 0))
    Task.objects.filter(pk=world.task.pk).update(
        start_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 6, 30), status="completed", completed_at=done
    )
    Task.objects.filter(pk=world.other_task.pk).update(
        start_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 3, 31), status="in_progress"
    )
    staff, other = world.users["staff"], world.users["other_staff"]
    for task, department, author, period in [
        (world.task, world.lead_dept, staff, "2026-Q1"),
        (world.task, world.lead_dept, staff, "2026-Q2"),
        (world.task, world.lead_dept, staff, "2026-Q2"),  # a second report for the same quarter counts once
        (world.other_task, world.other_dept, other, "2026-Q1"),
    ]:
        ProgressReport.objects.create(
            task=task, department=department, author=author, period=period, text="进展", percent=10
        )
    return world


def test_period_keys() -> None:
    assert period_keys(START, END, "quarterly") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert period_keys(dt.date(2026, 11, 15), dt.date(2027, 1, 3), "monthly") == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    assert period_keys(START, END, "none") == []


def _counts(row: Any) -> tuple[int, ...]:
    """Due, on time, reports owed, reports filed, open tasks, overdue."""
    return (row.due, row.on_time, row.reports_owed, row.reports_filed, row.open_tasks, row.overdue)


def _rates(row: Any) -> tuple[float | None, ...]:
    """On-time rate, report rate, clean rate, score."""
    return (row.on_time_rate, row.report_rate, row.clean_rate, row.score)


def test_scores_by_hand(year: World) -> None:
    rows = {
        row.department.name: row for row in assess(Department.objects.filter(region=year.city), START, END)
    }
    science, finance = rows["市科技局"], rows["市财政局"]
    # 市科技局 leads 二.(一).1 (due 06-30, completed 06-20): on time 1/1; it reports Q1 and Q2,
    # the quarters up to its completion: 2/2; it has no open task: no data, left out of the score.
    assert _counts(science) == (1, 1, 2, 2, 0, 0)
    assert _rates(science) == (100.0, 100.0, None, 100.0)
    # 市财政局 leads 二.(一).2 (due 03-31, open): 0/1; owes Q1–Q2 on 二.(一).1 (responsible) and
    # Q1–Q4 on 二.(一).2, filed Q1 of the latter: 1/6; its one open task is overdue: 0.
    assert _counts(finance) == (1, 0, 6, 1, 1, 1)
    assert _rates(finance) == (0.0, 16.7, 0.0, 5.0)
    assert (science.rank, finance.rank) == (1, 2)


def test_bureau_sets_the_weights(client: Client, year: World) -> None:
    client.force_login(year.users["bureau"])
    client.post(reverse("tasks:assessment_weights"), {"on_time": "0", "reports": "100", "overdue": "0"})
    weights = weights_for(year.city)
    assert (weights.on_time, weights.reports, weights.overdue) == (0, 100, 0)
    assert weights.history.latest().history_user == year.users["bureau"]
    response = client.get(reverse("tasks:assessment"), {"start": "2026-01-01", "end": "2026-12-31"})
    scores = {row.department.name: row.score for row in response.context["rows"]}
    assert scores == {"市科技局": 100.0, "市财政局": 16.7}
    refused = client.post(
        reverse("tasks:assessment_weights"), {"on_time": "50", "reports": "30", "overdue": "30"}, follow=True
    )
    assert "三项权重之和必须为 100" in refused.content.decode()
    assert weights_for(year.city).reports == 100


def test_provincial_weights_apply_below_until_a_city_sets_its_own(year: World) -> None:
    AssessmentWeights.objects.create(region=year.province, on_time=10, reports=10, overdue=80)
    assert weights_for(year.city).overdue == 80


@pytest.mark.parametrize(("username", "status"), [("staff", 403), ("leader", 403), ("other_bureau", 302)])
def test_weights_refused_to_others(client: Client, year: World, username: str, status: int) -> None:
    client.force_login(year.users[username])
    response = client.post(
        reverse("tasks:assessment_weights"), {"on_time": "0", "reports": "100", "overdue": "0"}
    )
    assert response.status_code == status
    # 珠海's bureau sets 珠海's weights, never 东莞's
    assert not AssessmentWeights.objects.filter(region=year.city).exists()


def test_assessment_export(client: Client, year: World) -> None:
    client.force_login(year.users["leader"])
    response = client.get(reverse("tasks:assessment_export"), {"start": "2026-01-01", "end": "2026-12-31"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [(1, "市科技局", 100, "—"), (2, "市财政局", 5, 0)]
