"""The sweep is set-based: its query count does not grow with the number of tasks, and reading
the tasks in pages gives exactly what one page gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import User
from notifications.models import Notification
from notifications.services.policies import reminder_policy_set
from tasks.choices import ReportCadence, TaskStatus
from tasks.models import Plan, Task
from tasks.services import plan_create, progress_report_submit, task_create
from tasks.services.reminders import reminders_sweep

from ..conftest import World

D = dt.date
TODAY = D(2026, 11, 25)  # a Wednesday: report day of the monthly plan, weekly digest caught up


def _plans(world: World) -> list[Plan]:
    """Two monthly-reporting plans, the second with its own rules; only their tasks are open."""
    Task.objects.filter(pk__in=[world.task.pk, world.other_task.pk]).update(status=TaskStatus.CANCELLED)
    Plan.objects.update(report_cadence=ReportCadence.NONE)
    User.objects.filter(username="other_staff").update(daily_digest=True)
    plans = []
    for title in ("规模方案甲", "规模方案乙"):
        plan = plan_create(actor=None, region=world.city, title=title, period=(2026, 2026))
        Plan.objects.filter(pk=plan.pk).update(report_cadence=ReportCadence.MONTHLY, report_day=25)
        plans.append(plan)
    reminder_policy_set(actor=None, plan=plans[1], days_before="5,1", repeat_every_days=2)
    return plans


def _add_tasks(world: World, plans: list[Plan], start: int, count: int) -> None:
    """Open tasks in every stage: due soon, today, late (repeats and both escalations), no due
    date; each owes a monthly report, a third of them reported by the lead department."""
    offsets = [-7, -3, -1, 0, 3, 7, 15, 20, None]
    for n in range(start, start + count):
        offset = offsets[n % len(offsets)]
        task = task_create(
            actor=None,
            plan=plans[n % 2],
            path=f"一.{n + 1}",
            title=f"规模任务{n}",
            due_date=None if offset is None else TODAY - dt.timedelta(days=offset),
            lead=[world.lead_dept],
            responsible=[world.other_dept],
        )
        if n % 3 == 0:
            progress_report_submit(
                actor=world.users["staff"], task=task, text="进展", percent=10, period="2026-11"
            )


def _sweep(**options: int) -> tuple[int, int, set[str]]:
    """Sweep TODAY from scratch: (queries, notifications created, their dedup keys)."""
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        result = reminders_sweep(today=TODAY, **options)
    keys = set(Notification.objects.values_list("dedup_key", flat=True))
    assert sum(result.created.values()) == len(keys)
    return len(queries), len(keys), keys


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_tasks(world: World) -> None:
    plans = _plans(world)
    _add_tasks(world, plans, 0, 9)
    small, created_small, _keys = _sweep()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {
        "due_soon",
        "due_today",
        "overdue",
        "escalation_head",
        "escalation_bureau",
        "report_due",
        "digest",
    }, kinds
    _add_tasks(world, plans, 9, 45)
    large, created_large, _keys = _sweep()
    assert created_large > 4 * created_small
    assert large == small, (small, large)  # 6× the tasks, the same queries
    # a second sweep of the day creates nothing, with no more queries than the first
    with CaptureQueriesContext(connection) as again:
        assert sum(reminders_sweep(today=TODAY).created.values()) == 0
    assert len(again) <= large


@pytest.mark.django_db
def test_pages_give_what_one_page_gives(world: World) -> None:
    plans = _plans(world)
    _add_tasks(world, plans, 0, 27)
    whole, _n, keys = _sweep()
    paged, _n, paged_keys = _sweep(chunk_size=4)
    assert paged_keys == keys
    # seven pages of 4 tasks instead of one: at most 4 queries a page (tasks, their assignments,
    # their reports, the insert), none a task
    assert whole < paged <= whole + 7 * 4, (whole, paged)
