"""The dashboard ranking's stored department counts (``tasks.department_figures``) equal the
counts ``assess`` computes, after every write of a sequence of writes through the services; a
row computed before a write committed never survives that write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.utils import timezone

from departments.models import Department
from tasks import department_figures
from tasks.dashboards import department_ranking
from tasks.jobs import department_figures_rebuild
from tasks.models import DepartmentFigures, ProgressReport
from tasks.reporting.scores import assess
from tasks.services import (
    progress_report_submit,
    task_set_due_date,
    task_update_progress,
)
from tests import factories as make
from tests.conftest import World

from ..performance.test_figures_cache import new_task
from ..support.querycount import count_queries

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def stored(settings: Any) -> Iterator[None]:
    settings.IPPLAN_STORED_DEPARTMENT_FIGURES = True
    yield


def _rows(ranking: list[Any]) -> list[tuple[Any, ...]]:
    return [(row.as_dict(), row.led, row.shared, row.overdue_now, row.reports_missing) for row in ranking]


def _assert_same(today: dt.date) -> None:
    departments = Department.objects.all()
    expected = _rows(assess(departments, dt.date(today.year, 1, 1), today, today=today))
    assert _rows(department_ranking(departments, today)) == expected
    # read again from the rows alone: the same figures
    assert not DepartmentFigures.objects.filter(stale=True).exists()
    assert _rows(department_ranking(departments, today)) == expected


def test_stored_counts_equal_computed_ones_after_each_write(
    world: World, stored: None, django_capture_on_commit_callbacks: Capture
) -> None:
    today = timezone.localdate()
    bureau, staff = world.users["bureau"], world.users["staff"]
    _assert_same(today)
    assert DepartmentFigures.objects.filter(assigned=True).count() >= 2

    def write(action: Callable[[], object]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            action()
        _assert_same(today)

    # a new task for a department that had none
    new_dept = Department.objects.get(pk=world.other_dept.pk)
    created: list[Any] = []
    write(lambda: created.append(new_task(world, 9, lead=new_dept, days_late=3)))
    task = created[0]
    # its deadline moves, it makes progress, a report is filed, its assignments change
    write(lambda: task_set_due_date(actor=bureau, task=task, due_date=today + dt.timedelta(days=5)))
    task.refresh_from_db()
    write(
        lambda: task_update_progress(
            actor=world.users["other_staff"],
            task=task,
            expected_version=task.version,
            status="in_progress",
            progress=40,
        )
    )
    write(
        lambda: progress_report_submit(
            actor=staff, task=world.task, text="进展", percent=30, period=f"{today:%Y-%m}"
        )
    )
    write(lambda: make.assignments(task, lead=[world.lead_dept], responsible=[new_dept]))
    # the plan's cadence (admin) and a report deleted
    plan = world.plan
    plan.report_cadence = "quarterly" if plan.report_cadence != "quarterly" else "monthly"
    write(lambda: plan.save(update_fields=["report_cadence"]))
    write(lambda: ProgressReport.objects.filter(task=world.task).first().delete())  # type: ignore[union-attr]
    # a bulk write that sends no signals marks every row
    with django_capture_on_commit_callbacks(execute=True):
        from tasks.figures_cache import figures_changed

        figures_changed()
    assert not DepartmentFigures.objects.filter(stale=False).exists()
    _assert_same(today)
    # another day: every row is counted again for it
    _assert_same(today + dt.timedelta(days=40))


def test_a_count_started_before_a_write_is_not_kept(
    world: World, stored: None, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write commits (and marks) while a dashboard is counting: what it counted is not stored
    as current, and the next dashboard counts again."""
    today = timezone.localdate()
    department_ranking(Department.objects.all(), today)
    counting = department_figures.assessment_counts

    def counts_then_a_write_commits(*args: Any, **kwargs: Any) -> Any:
        counted = counting(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            new_task(world, 8, days_late=1)
        return counted

    DepartmentFigures.objects.update(stale=True)
    monkeypatch.setattr(department_figures, "assessment_counts", counts_then_a_write_commits)
    department_ranking(Department.objects.all(), today)
    monkeypatch.setattr(department_figures, "assessment_counts", counting)
    assert DepartmentFigures.objects.get(pk=world.lead_dept.pk).stale
    _assert_same(today)


def test_the_dashboard_reads_the_stored_counts(client: Any, world: World, stored: None) -> None:
    client.force_login(world.users["province"])
    cold, _sql, first = count_queries(client, "/dashboard/")
    warm, _sql, second = count_queries(client, "/dashboard/")
    assert warm < cold  # the counts were read, not computed
    assert [r.as_dict() for r in second.context["ranking"]] == [r.as_dict() for r in first.context["ranking"]]


def test_the_nightly_job_counts_every_department_for_today(world: World, stored: None) -> None:
    """The beat entry just after midnight runs this job: afterwards every department with an
    assignment has a fresh row for today and the ranking equals ``assess``."""
    DepartmentFigures.objects.all().delete()
    counted = department_figures_rebuild()
    assert counted == Department.objects.filter(assignments__isnull=False).distinct().count() > 0
    today = timezone.localdate()
    assert not DepartmentFigures.objects.filter(stale=True).exists()
    assert not DepartmentFigures.objects.exclude(day=today).exists()
    _assert_same(today)
