"""Property tests: the database form and the Python form of each measure agree on generated data.

Each example is written inside a transaction that is rolled back, so examples do not see each
other's rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from departments.models import Department
from tasks.choices import AssignmentRole, ReportCadence, TaskStatus
from tasks.lights import LIGHT_BY_RANK, completed_on_time, completed_on_time_q, light_q
from tasks.models import Assignment, Plan, ProgressReport, Task
from tasks.reporting.periods import period_bounds, period_for, task_started_on
from tasks.reporting.reports import is_report_missing, report_missing_q
from tasks.reporting.scores import assess, explain
from tasks.selectors import with_urgency

from ..conftest import World

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

offsets = st.integers(min_value=-200, max_value=60)
task_specs = st.fixed_dictionaries(
    {
        "status": st.sampled_from(TaskStatus.values),
        "start": st.one_of(st.none(), offsets),
        "length": st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
        "progress": st.integers(min_value=0, max_value=100),
        "done": st.one_of(st.none(), offsets),
        "science": st.sampled_from([None, *AssignmentRole.values]),
        "finance": st.sampled_from([None, *AssignmentRole.values]),
        "reports": st.lists(st.integers(min_value=-8, max_value=1), max_size=4),
    }
)
scenes = st.tuples(st.sampled_from(ReportCadence.values), st.lists(task_specs, min_size=1, max_size=8))


@contextlib.contextmanager
def _scene(world: World, scene: tuple[str, list[dict[str, Any]]]) -> Iterator[list[Task]]:
    """The scene's tasks in the world's plan, rolled back afterwards (each example starts clean)."""
    cadence, specs = scene
    with transaction.atomic():
        yield _build(world, cadence, specs)
        transaction.set_rollback(True)


def _build(world: World, cadence: str, specs: list[dict[str, Any]]) -> list[Task]:
    Task.objects.all().delete()
    Plan.objects.filter(pk=world.plan.pk).update(report_cadence=cadence)
    tasks = []
    for number, spec in enumerate(specs):
        start = TODAY + dt.timedelta(days=spec["start"]) if spec["start"] is not None else None
        base = start or TODAY
        due = base + dt.timedelta(days=spec["length"]) if spec["length"] is not None else None
        done = None
        if spec["status"] == TaskStatus.COMPLETED and spec["done"] is not None:
            day = TODAY + dt.timedelta(days=spec["done"])
            done = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 23, 30))
        tasks.append(
            Task(
                plan=world.plan,
                path=str(number),
                title=f"任务{number}",
                status=spec["status"],
                progress=spec["progress"],
                start_date=start,
                due_date=due,
                completed_at=done,
            )
        )
    tasks = Task.objects.bulk_create(tasks)
    assignments, reports = [], []
    for task, spec in zip(tasks, specs, strict=True):
        for department, role in ((world.lead_dept, spec["science"]), (world.other_dept, spec["finance"])):
            if role is not None:
                assignments.append(Assignment(task=task, department=department, role=role))
        for months_back in spec["reports"]:
            day = dt.date(TODAY.year, TODAY.month, 1)
            month = day.month - 1 + months_back
            day = dt.date(day.year + month // 12, month % 12 + 1, 1)
            for department in (world.lead_dept, world.other_dept):
                reports.append(
                    ProgressReport(
                        task=task,
                        department=department,
                        author=world.users["staff"],
                        period=period_for(cadence, day) or f"{day:%Y-%m}",
                        text="进展",
                        percent=10,
                    )
                )
    Assignment.objects.bulk_create(assignments)
    ProgressReport.objects.bulk_create(reports)
    return list(Task.objects.filter(plan=world.plan).select_related("plan"))


@PROPERTY
@given(scene=scenes, shift=st.integers(min_value=-30, max_value=30))
def test_light_and_overdue_agree(world: World, scene: tuple[str, list[dict[str, Any]]], shift: int) -> None:
    today = TODAY + dt.timedelta(days=shift)
    with _scene(world, scene) as tasks:
        annotated = {t.pk: LIGHT_BY_RANK[t.light_rank] for t in with_urgency(Task.objects.all(), today)}
        assert annotated == {t.pk: t.light_on(today) for t in tasks}
        by_filter = {
            light: set(Task.objects.filter(condition).values_list("pk", flat=True))
            for light, condition in light_q(today).items()
        }
        for task in tasks:
            assert task.pk in by_filter[task.light_on(today)]
            assert sum(task.pk in pks for pks in by_filter.values()) == 1
        overdue = set(Task.objects.overdue(today).values_list("pk", flat=True))  # type: ignore[attr-defined]
        assert overdue == {t.pk for t in tasks if t.is_overdue_on(today)}
        on_time = set(Task.objects.filter(completed_on_time_q()).values_list("pk", flat=True))
        assert on_time == {
            t.pk
            for t in tasks
            if completed_on_time(status=t.status, completed_at=t.completed_at, due_date=t.due_date)
        }


@PROPERTY
@given(scene=scenes, shift=st.integers(min_value=-60, max_value=30))
def test_report_missing_agrees(world: World, scene: tuple[str, list[dict[str, Any]]], shift: int) -> None:
    cadence = scene[0]
    today = TODAY + dt.timedelta(days=shift)
    with _scene(world, scene) as tasks:
        for department in (world.lead_dept, world.other_dept):
            roles: dict[int, set[str]] = {}
            for task_id, role in Assignment.objects.filter(department=department).values_list(
                "task_id", "role"
            ):
                roles.setdefault(task_id, set()).add(role)
            filed: dict[int, set[str]] = {}
            for task_id, period in ProgressReport.objects.filter(department=department).values_list(
                "task_id", "period"
            ):
                filed.setdefault(task_id, set()).add(period)
            python = {
                t.pk
                for t in tasks
                if is_report_missing(
                    status=t.status,
                    cadence=cadence,
                    started_on=task_started_on(start_date=t.start_date, created_at=t.created_at),
                    roles=roles.get(t.pk, set()),
                    periods_filed=filed.get(t.pk, set()),
                    today=today,
                )
            }
            sql = set(
                Assignment.objects.filter(department=department, role__in=["lead", "responsible"])
                .filter(report_missing_q(today, task="task_id", department="department_id", prefix="task__"))
                .values_list("task_id", flat=True)
            )
            assert sql == python
            row = {r.department.pk: r for r in assess(Department.objects.all(), TODAY, TODAY, today=today)}
            assert (row[department.pk].reports_missing if department.pk in row else 0) == len(python)


@PROPERTY
@given(
    scene=scenes,
    window=st.tuples(st.integers(min_value=-200, max_value=0), st.integers(min_value=0, max_value=120)),
)
def test_assessment_agrees_with_its_drill_down(
    world: World, scene: tuple[str, list[dict[str, Any]]], window: tuple[int, int]
) -> None:
    start = TODAY + dt.timedelta(days=window[0])
    end = start + dt.timedelta(days=window[1])
    with _scene(world, scene):
        rows = {row.department.pk: row for row in assess(Department.objects.all(), start, end, today=TODAY)}
        for department in (world.lead_dept, world.other_dept):
            totals = explain(department, start, end).totals()
            row = rows.get(department.pk)
            sql = {name: getattr(row, name) if row else 0 for name in totals}
            assert sql == totals


def test_period_bounds() -> None:
    assert period_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
