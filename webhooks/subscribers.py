"""The webhooks app listens to the work-plan's domain events (``tasks.events``) and records an
outbox row for each subscription that wants it. Connected in ``WebhooksConfig.ready()``.

Each handler runs in the transaction of the change that caused the event (``event_record``):
both commit, or neither does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from tasks import events
from tasks.models import Task

from . import events as catalogue
from .events import EventKind
from .models import Event, Subscription
from .services import event_record, region_prefixes


def task_status_changed(event: events.TaskStatusChanged) -> None:
    """``task.status_changed``, after the task is saved with its new status."""
    task = event.task
    if task.status == event.old_status:
        return
    data = catalogue.status_changed_data(task, old_status=event.old_status, actor=event.actor)
    event_record(EventKind.TASK_STATUS_CHANGED, region=task.plan.region, data=data)


def task_overdue(task: Task, *, today: dt.date) -> Event | None:
    """``task.overdue``, once per task and due date, when the task is open past its due date."""
    if task.due_date is None or not task.is_overdue_on(today):
        return None
    return event_record(
        EventKind.TASK_OVERDUE,
        region=task.plan.region,
        data=catalogue.overdue_data(task, today=today),
        dedup_key=f"task.overdue:t{task.pk}:{task.due_date.isoformat()}",
    )


def report_submitted(event: events.ReportSubmitted) -> None:
    """``report.submitted``, after the report (and its files) are saved."""
    report = event.report
    data = catalogue.report_submitted_data(report)
    event_record(EventKind.REPORT_SUBMITTED, region=report.task.plan.region, data=data)


def completion_approved(event: events.CompletionApproved) -> None:
    """``completion.approved`` (the service publishes the task's status change itself)."""
    request = event.request
    data = catalogue.completion_approved_data(request, old_status=event.old_status, actor=event.actor)
    event_record(EventKind.COMPLETION_APPROVED, region=request.task.plan.region, data=data)


def task_updated(event: events.TaskUpdated) -> None:
    task = event.task
    data = catalogue.task_updated_data(task, changes=event.changes, reason=event.reason, actor=event.actor)
    event_record(EventKind.TASK_UPDATED, region=task.plan.region, data=data)


def task_reassigned(event: events.TaskReassigned) -> None:
    task = event.task
    data = catalogue.task_reassigned_data(task, old=event.old, new=event.new, actor=event.actor)
    event_record(EventKind.TASK_REASSIGNED, region=task.plan.region, data=data)


def task_cancelled(event: events.TaskCancelled) -> None:
    task = event.task
    data = catalogue.task_cancelled_data(
        task, old_status=event.old_status, reason=event.reason, actor=event.actor
    )
    event_record(EventKind.TASK_CANCELLED, region=task.plan.region, data=data)


@dataclass
class _Hooks:
    """Which regions someone subscribes to ``task.overdue`` for (as ``subscribers``), read once
    per sweep."""

    paths: set[str]
    cache: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Hooks:
        rows = Subscription.objects.filter(is_active=True).values_list("region__path", "events")
        return cls({path for path, kinds in rows if EventKind.TASK_OVERDUE in (kinds or [])})

    def hooked(self, region_path: str) -> bool:
        if region_path not in self.cache:
            self.cache[region_path] = any(p in self.paths for p in region_prefixes(region_path))
        return self.cache[region_path]


def tasks_overdue(event: events.TasksOverdue) -> None:
    """``task.overdue`` for a sweep page's late tasks, once per task and due date, where someone
    subscribes: one query finds those already recorded; only new ones are built and recorded."""
    hooks = event.sweep.cache.get("webhooks")
    if not isinstance(hooks, _Hooks):
        hooks = event.sweep.cache["webhooks"] = _Hooks.load()
    if not hooks.paths:
        return
    today = event.sweep.today
    candidates = {
        f"task.overdue:t{row.task_id}:{row.due_date.isoformat()}": row.task_id
        for row in event.tasks
        if hooks.hooked(row.region_path)
    }
    if not candidates:
        return
    known = set(Event.objects.filter(dedup_key__in=list(candidates)).values_list("dedup_key", flat=True))
    fresh = [pk for key, pk in candidates.items() if key not in known]
    if not fresh:
        return
    for task in Task.objects.filter(pk__in=fresh).select_related("plan__region").order_by("pk"):
        with transaction.atomic():
            task_overdue(task, today=today)


def connect() -> None:
    """Subscribe to the work-plan's events (idempotent)."""
    events.subscribe(events.TaskStatusChanged, task_status_changed)
    events.subscribe(events.ReportSubmitted, report_submitted)
    events.subscribe(events.CompletionApproved, completion_approved)
    events.subscribe(events.TaskUpdated, task_updated)
    events.subscribe(events.TaskReassigned, task_reassigned)
    events.subscribe(events.TaskCancelled, task_cancelled)
    events.subscribe(events.TasksOverdue, tasks_overdue)
