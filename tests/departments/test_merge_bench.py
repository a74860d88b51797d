"""A benchmark of a department merge at a realistic size; it prints its figures (run with -s)
and asserts only that nothing was lost."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.services import department_merge, user_create
from ipplan.roles import Role
from tasks.models import ProgressReport, Task
from tasks.services import progress_report_submit, task_create
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

TASKS, USERS, REPORTS_PER_TASK = 150, 20, 2


def test_merge_benchmark(world: World) -> None:
    absorbed, survivor = world.other_dept, world.lead_dept
    for i in range(USERS):
        user_create(
            actor=None, username=f"u{i}", password=PASSWORD, role=Role.DEPT_STAFF, department=absorbed
        )
    staff = world.users["other_staff"]
    for i in range(TASKS):
        # every third task is shared with the survivor, the rest are the absorbed one's alone
        task = task_create(
            actor=None,
            plan=world.plan,
            path=f"九.{i}",
            number=i,
            title=f"任务{i}",
            lead=[absorbed],
            responsible=[survivor] if i % 3 == 0 else [],
        )
        for period in range(REPORTS_PER_TASK):
            progress_report_submit(
                actor=staff, task=task, text="进展", percent=10, period=f"2026-{period + 1:02d}"
            )
    tasks_before = set(
        Task.objects.filter(assignments__department__in=[absorbed, survivor]).values_list("pk", flat=True)
    )
    reports_before = ProgressReport.objects.filter(department__in=[absorbed, survivor]).count()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = department_merge(actor=world.users["bureau"], absorbed=absorbed, survivor=survivor)
    elapsed = time.perf_counter() - start
    print(
        f"\nmerge of {result.assignments} assignments on {result.tasks} tasks, {result.users} users, "
        f"{result.reports} reports: {elapsed:.2f} s, {len(queries)} queries ({connection.vendor})"
    )
    assert (
        set(Task.objects.filter(assignments__department=survivor).values_list("pk", flat=True))
        == tasks_before
    )
    assert ProgressReport.objects.filter(department=survivor).count() == reports_before
