"""The ranking is a fixed number of grouped queries: the count does not grow with departments,
tasks or reports. Prints the time taken for a city-sized ranking (a figure, not an assertion):

    .venv/bin/pytest -p no:cacheprovider -q -s tests/dashboard/test_ranking_bench.py
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from departments.services import department_create
from tasks.models import Assignment, Plan, ProgressReport, Task
from tasks.reporting.scores import assess

from ..conftest import World

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


def _grow(world: World, departments: int, tasks_each: int) -> None:
    first = Department.objects.count()
    created = [
        department_create(actor=None, region=world.city, name=f"市测试局{first + n}")
        for n in range(departments)
    ]
    Plan.objects.filter(pk=world.plan.pk).update(report_cadence="monthly")
    start = Task.objects.count()
    tasks = Task.objects.bulk_create(
        Task(
            plan=world.plan,
            path=f"B{start + n}",
            title="任务",
            start_date=dt.date(2026, 1 + n % 6, 1),
            due_date=dt.date(2026, 1 + n % 12, 28),
            status=("in_progress", "completed", "not_started")[n % 3],
            completed_at=None,
        )
        for n in range(departments * tasks_each)
    )
    Assignment.objects.bulk_create(
        Assignment(task=task, department=created[n % departments], role=("lead", "responsible")[n % 2])
        for n, task in enumerate(tasks)
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(
            task=task,
            department=created[n % departments],
            author=world.users["staff"],
            period=f"2026-{1 + n % 6:02d}",
            text="进展",
            percent=10,
        )
        for n, task in enumerate(tasks)
    )


def _queries(departments: object) -> int:
    with CaptureQueriesContext(connection) as queries:
        assess(Department.objects.all(), START, END, today=END)
    return len(queries)


def test_ranking_queries_do_not_grow_and_its_time(world: World) -> None:
    _grow(world, 3, 5)
    small = _queries(None)
    _grow(world, 60, 40)
    large = _queries(None)
    assert large == small  # every figure is a grouped query, whatever the size
    began = time.perf_counter()
    rows = assess(Department.objects.all(), START, END, today=END)
    took = time.perf_counter() - began
    print(
        f"\nranking of {len(rows)} departments over {Task.objects.count()} tasks and "
        f"{ProgressReport.objects.count()} reports ({connection.vendor}): {small} queries, {took * 1000:.0f} ms"
    )
