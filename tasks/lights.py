"""Overdue, the traffic light and on-time completion of a task.

Pure definitions (no model import): ``tasks.models`` builds ``Task.is_overdue``/``Task.light`` and
the queryset annotations from them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .choices import CLOSED_STATUSES, Light, TaskStatus

#: The yellow window: a task due within this many days ...
DUE_SOON_DAYS: int = getattr(settings, "IPPLAN_LIGHT_DUE_SOON_DAYS", 14)
#: ... whose progress is below this percentage shows yellow.
LOW_PROGRESS: int = getattr(settings, "IPPLAN_LIGHT_LOW_PROGRESS", 80)

#: Most urgent first. The database annotates the rank (one CASE per row); the value follows from it.
LIGHT_RANK: dict[Light, int] = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.DONE: 3}
LIGHT_BY_RANK: dict[int, Light] = {rank: light for light, rank in LIGHT_RANK.items()}


def is_overdue(*, status: str, due_date: dt.date | None, today: dt.date) -> bool:
    """**Overdue**: the task is open (neither completed nor cancelled), has a due date, and the
    due date is before ``today`` (a task due today is not overdue yet)."""
    return status not in CLOSED_STATUSES and due_date is not None and due_date < today


def light(*, status: str, due_date: dt.date | None, progress: int, today: dt.date) -> Light:
    """**Traffic light** of a task on ``today``, the first rule that holds:

    1. done (grey): completed or cancelled;
    2. red: overdue (see ``is_overdue``);
    3. yellow: due within ``DUE_SOON_DAYS`` days (due date ≤ today + window) with progress below
       ``LOW_PROGRESS`` %, or blocked;
    4. green: otherwise (including an open task with no due date).
    """
    if status in CLOSED_STATUSES:
        return Light.DONE
    if due_date is not None and due_date < today:
        return Light.RED
    if (
        due_date is not None
        and due_date <= today + dt.timedelta(days=DUE_SOON_DAYS)
        and progress < LOW_PROGRESS
    ):
        return Light.YELLOW
    if status == TaskStatus.BLOCKED:
        return Light.YELLOW
    return Light.GREEN


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """``is_overdue`` as a filter on ``prefix`` + task fields (index-friendly: no CASE)."""
    p = prefix
    return ~Q(**{f"{p}status__in": CLOSED_STATUSES}) & Q(**{f"{p}due_date__lt": today})


def light_q(today: dt.date, prefix: str = "") -> dict[Light, Q]:
    """``light`` as one filter per light on ``prefix`` + task fields, for conditional counts in an
    aggregate (``Count(..., filter=light_q(today)[Light.RED])``). Exactly one holds for every task."""
    p = prefix
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    closed = Q(**{f"{p}status__in": CLOSED_STATUSES})
    red = overdue_q(today, p)
    yellow = (
        ~closed
        & ~Q(**{f"{p}due_date__lt": today})
        & (
            Q(**{f"{p}due_date__lte": soon, f"{p}progress__lt": LOW_PROGRESS})
            | Q(**{f"{p}status": TaskStatus.BLOCKED})
        )
    )
    green = ~closed & ~Q(**{f"{p}due_date__lt": today}) & ~yellow
    return {Light.RED: red, Light.YELLOW: yellow, Light.GREEN: green, Light.DONE: closed}


def light_rank_expression(today: dt.date) -> Case:
    """``light`` as one CASE giving the rank (0 red … 3 done): annotate it once per row and reuse
    the annotation in filters, ordering and grouping."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return Case(
        When(status__in=CLOSED_STATUSES, then=Value(LIGHT_RANK[Light.DONE])),
        When(due_date__lt=today, then=Value(LIGHT_RANK[Light.RED])),
        When(due_date__lte=soon, progress__lt=LOW_PROGRESS, then=Value(LIGHT_RANK[Light.YELLOW])),
        When(status=TaskStatus.BLOCKED, then=Value(LIGHT_RANK[Light.YELLOW])),
        default=Value(LIGHT_RANK[Light.GREEN]),
        output_field=models.IntegerField(),
    )


def completed_on_time(*, status: str, completed_at: dt.datetime | None, due_date: dt.date | None) -> bool:
    """**Completed on time**: the task is completed and its completion day (local time) is on or
    before its due date; a completed task with no due date counts as on time."""
    if status != TaskStatus.COMPLETED or completed_at is None:
        return False
    return due_date is None or timezone.localdate(completed_at) <= due_date


def completed_on_time_q(prefix: str = "") -> Q:
    """``completed_on_time`` as a filter on ``prefix`` + task fields."""
    p = prefix
    return Q(**{f"{p}status": TaskStatus.COMPLETED, f"{p}completed_at__isnull": False}) & (
        Q(**{f"{p}due_date__isnull": True}) | Q(**{f"{p}completed_at__date__lte": F(f"{p}due_date")})
    )
