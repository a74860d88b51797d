"""The marks a task carries wherever it is listed: 已催办, 逾期 N 天, 本期待填报, and whom its
completion or extension request waits for.

``attach_marks`` reads what the marks need for a page of tasks in two queries (whatever the
queryset that listed them), so any list can show them through the ``{% task_marks task %}`` tag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, Max

from .choices import CLOSED_STATUSES, RequestKind, RequestState
from .models import Task, TaskRequest, Urge, local_today

T = TypeVar("T", bound=Task)

OPEN_STATES = (RequestState.AWAITING_SIGNOFF, RequestState.AWAITING_REVIEW)


@dataclass
class Marks:
    """What the marks of one task say."""

    urge_count: int = 0
    last_urged: dt.datetime | None = None
    overdue_days: int = 0
    report_due: bool = False
    #: (request kind, request state) of each open request, completion first
    waiting: list[tuple[str, str]] = field(default_factory=list)


def overdue_days(task: Task, today: dt.date) -> int:
    """Whole days past the deadline of an open task (0 when not overdue)."""
    if task.status in CLOSED_STATUSES or task.due_date is None or task.due_date >= today:
        return 0
    return (today - task.due_date).days


def attach_marks(tasks: Iterable[T], *, today: dt.date | None = None) -> list[T]:
    """``tasks`` as a list, each with ``.marks``; ``report_due`` is kept when the queryset
    annotated it (the department inbox does: it depends on the department)."""
    listed = list(tasks)
    today = today or local_today()
    ids = [task.pk for task in listed]
    urges = {
        row["task_id"]: row
        for row in Urge.objects.filter(task_id__in=ids)
        .order_by()
        .values("task_id")
        .annotate(n=Count("id"), last=Max("created_at"))
    }
    waiting: dict[int, list[tuple[str, str]]] = {}
    for task_id, kind, state in (
        TaskRequest.objects.filter(task_id__in=ids, state__in=OPEN_STATES)
        .order_by("kind", "id")  # completion before extension
        .values_list("task_id", "kind", "state")
    ):
        waiting.setdefault(task_id, []).append((kind, state))
    for task in listed:
        urged = urges.get(task.pk)
        task.marks = Marks(  # type: ignore[attr-defined]
            urge_count=urged["n"] if urged and task.status not in CLOSED_STATUSES else 0,
            last_urged=urged["last"] if urged else None,
            overdue_days=overdue_days(task, today),
            report_due=bool(getattr(task, "report_due", False)),
            waiting=waiting.get(task.pk, []),
        )
    return listed


def describe(kind: str, state: str) -> str:
    """ "办结申请等待单位负责人签批" and the like."""
    from django.utils.translation import gettext as _

    if state == RequestState.AWAITING_SIGNOFF:
        return _("办结申请等待单位负责人签批")
    if kind == RequestKind.COMPLETION:
        return _("办结申请等待知识产权局审核")
    return _("延期申请等待知识产权局审核")
