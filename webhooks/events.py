"""The event catalogue: what a subscriber can receive, and the shape of each body.

Every body is a JSON object::

    {
      "type": "task.status_changed",               # the event kind, one of EventKind
      "timestamp": "2026-11-02T09:30:00+08:00",    # when it happened (ISO 8601, local time)
      "data": {...}                                # per kind, below
    }

It is sent as ``POST`` with ``Content-Type: application/json`` and signed by the Standard Webhooks
scheme: ``webhook-id`` (the event id ``msg_…``, the same on every retry, so a receiver can drop
copies), ``webhook-timestamp`` (Unix seconds of the attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the subscription's ``whsec_`` secret).

``data`` of a task event (``task.status_changed``, ``task.overdue``, and the task part of the
others)::

    task_id, plan_id, plan_title, region_code, task_path ("二.(一).1"), task_title, status,
    progress (0–100), due_date ("YYYY-MM-DD" or null), version (the task's version, as the REST
    API's ETag), url (the task in the REST API, <base>/api/v1/tasks/<id>/), plan_url
    (<base>/api/v1/plans/<id>/), web_url (the task page); <base> is IPPLAN_BASE_URL

plus, per kind:

* ``task.status_changed``: ``old_status``, ``new_status`` (TaskStatus values: not_started,
  in_progress, completion_requested, completed, blocked, cancelled), ``actor_id``, ``actor_name``
  (null when the system made the change, e.g. a re-import).
* ``task.overdue``: ``days_overdue``. Sent once per task and due date, on the first reminder
  sweep (a working day) that finds the task open after its due date.
* ``report.submitted``: ``report_id``, ``report_url``, ``period``, ``percent``, ``department_id``,
  ``department_name``, ``actor_id``, ``actor_name``.
* ``completion.approved``: ``request_id``, ``request_url``, ``comment``, ``old_status``, ``new_status``
  ("completed"), ``actor_id``, ``actor_name``. The same approval also sends ``task.status_changed``.
* ``task.updated`` (plan maintenance: the bureau edited the task's title or text, added it, split
  it, merged another into it or moved it): ``changes`` (``{field: {"old": …, "new": …}}``, fields
  among title, full_text, path, section_id, merged_from_id, split_from_id), ``reason``,
  ``actor_id``, ``actor_name``.
* ``task.reassigned``: ``old_assignments`` and ``new_assignments`` (lists of ``{department_id,
  department_name, role}``, role one of lead, responsible, cooperating), ``added`` and ``removed``
  (the department ids that gained or lost the task altogether), ``actor_id``, ``actor_name``.
* ``task.cancelled``: ``old_status``, ``reason``, ``merged_into_id`` (the task it was merged
  into, or null), ``actor_id``, ``actor_name``. The cancellation also sends ``task.status_changed``;
  a restore sends only ``task.status_changed`` (from cancelled).
* ``webhook.test``: ``subscription_id``, ``region_code``, ``message``. Sent only by the test
  button, only to that subscription; no one subscribes to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import User
from tasks.models import ProgressReport, Task, TaskRequest


class EventKind(models.TextChoices):
    TASK_STATUS_CHANGED = "task.status_changed", _("任务状态变更")
    TASK_OVERDUE = "task.overdue", _("任务逾期")
    REPORT_SUBMITTED = "report.submitted", _("提交进展填报")
    COMPLETION_APPROVED = "completion.approved", _("办结申请获批")
    TASK_UPDATED = "task.updated", _("任务内容调整")
    TASK_REASSIGNED = "task.reassigned", _("任务承办单位调整")
    TASK_CANCELLED = "task.cancelled", _("任务取消")
    WEBHOOK_TEST = "webhook.test", _("测试消息")


#: The kinds a subscription may choose (the test message goes only to the one being tested).
SUBSCRIBABLE_KINDS: tuple[str, ...] = tuple(
    kind for kind in EventKind.values if kind != EventKind.WEBHOOK_TEST
)


def subscribable_choices() -> list[tuple[str, Any]]:
    return [(kind, EventKind(kind).label) for kind in SUBSCRIBABLE_KINDS]


def _base_url() -> str:
    return str(settings.IPPLAN_BASE_URL).rstrip("/")


def api_url(collection: str, pk: int) -> str:
    """An object in the REST API (``/api/v1/tasks/12/``); built by hand so the catalogue does
    not depend on the API's urlconf."""
    return f"{_base_url()}/api/v1/{collection}/{pk}/"


def _actor(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_id": None, "actor_name": None}
    return {"actor_id": actor.pk, "actor_name": actor.display_name or actor.get_username()}


def task_data(task: Task) -> dict[str, Any]:
    """The fields every task event carries (the task's state after the change)."""
    return {
        "task_id": task.pk,
        "plan_id": task.plan_id,
        "plan_title": task.plan.title,
        "region_code": task.plan.region.code,
        "task_path": task.path,
        "task_title": task.title,
        "status": task.status,
        "progress": task.progress,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "version": task.version,
        "url": api_url("tasks", task.pk),
        "plan_url": api_url("plans", task.plan_id),
        "web_url": _base_url() + reverse("tasks:task_detail", args=[task.pk]),
    }


def status_changed_data(task: Task, *, old_status: str, actor: User | None) -> dict[str, Any]:
    return {**task_data(task), "old_status": old_status, "new_status": task.status, **_actor(actor)}


def overdue_data(task: Task, *, today: dt.date) -> dict[str, Any]:
    assert task.due_date is not None
    return {**task_data(task), "days_overdue": (today - task.due_date).days}


def report_submitted_data(report: ProgressReport) -> dict[str, Any]:
    return {
        **task_data(report.task),
        "report_id": report.pk,
        "report_url": api_url("reports", report.pk),
        "period": report.period,
        "percent": report.percent,
        "department_id": report.department_id,
        "department_name": report.department.name,
        **_actor(report.author),
    }


def completion_approved_data(request: TaskRequest, *, old_status: str, actor: User | None) -> dict[str, Any]:
    return {
        **task_data(request.task),
        "request_id": request.pk,
        "request_url": api_url("requests", request.pk),
        "comment": request.decision_comment,
        "old_status": old_status,
        "new_status": request.task.status,
        **_actor(actor),
    }


def task_updated_data(
    task: Task, *, changes: dict[str, tuple[Any, Any]], reason: str, actor: User | None
) -> dict[str, Any]:
    return {
        **task_data(task),
        "changes": {name: {"old": old, "new": new} for name, (old, new) in changes.items()},
        "reason": reason,
        **_actor(actor),
    }


def task_reassigned_data(
    task: Task,
    *,
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    actor: User | None,
) -> dict[str, Any]:
    """``old``/``new``: the assignments before and after, as ``{department_id, department_name, role}``."""
    before = {a["department_id"] for a in old}
    after = {a["department_id"] for a in new}
    return {
        **task_data(task),
        "old_assignments": old,
        "new_assignments": new,
        "added": sorted(after - before),
        "removed": sorted(before - after),
        **_actor(actor),
    }


def task_cancelled_data(task: Task, *, old_status: str, reason: str, actor: User | None) -> dict[str, Any]:
    return {
        **task_data(task),
        "old_status": old_status,
        "reason": reason,
        "merged_into_id": task.merged_into_id,
        **_actor(actor),
    }


def envelope(kind: str, *, timestamp: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body sent for an event (stored once, so every retry sends the same bytes)."""
    return {"type": kind, "timestamp": timezone.localtime(timestamp).isoformat(), "data": data}
