"""The task page: where the task sits, who carries it, its reports, history, urges and actions."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.db.models import Field, Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from departments.http import AuthenticatedRequest
from ipplan.generic import SHOWN, Refusal
from ipplan.permissions import Action, can
from notifications.models import Notification

from .. import status as status_table
from ..choices import AssignmentRole, RequestState, TaskStatus
from ..models import Attachment, ProgressReport, Task, local_today
from ..offers import task_offers, waiting_for
from ..selectors import period_for, task_changes, task_detail


def task_history(task: Task) -> list[dict[str, Any]]:
    """Who changed what and when, newest first, labelled for people."""
    status_labels = dict(TaskStatus.choices)
    entries = []
    for entry in task_changes(task):
        changes = []
        for change in entry["changes"]:
            field = cast("Field[Any, Any]", Task._meta.get_field(change["field"]))
            old, new = change["old"], change["new"]
            if change["field"] == "status":
                old, new = status_labels.get(old, old), status_labels.get(new, new)
            changes.append({"field": field.verbose_name, "old": old, "new": new})
        entries.append(
            {
                "when": entry["at"],
                "who": entry["actor"],
                "type": entry["type"],
                "reason": entry["reason"],
                "note": maintenance_note(entry["reason"]),
                "changes": changes,
            }
        )
    return [e for e in entries if e["changes"] or e["type"] == "+" or e["note"]]


def maintenance_note(reason: str) -> str:
    """What a plan maintenance step did, for the audit trail ("split: 二.(一).3" and the like)."""
    kind, _sep, detail = reason.partition(":")
    labels = {
        "split": _("拆分出新任务"),
        "merge": _("并入了任务"),
        "move": _("调整章节,原编号"),
        "cancel": _("取消任务,原因"),
        "restore": _("恢复任务"),
        "reassign": _("调整承办单位"),
    }
    label = labels.get(kind.strip())
    if label is None:
        return ""
    return f"{label} {detail.strip()}".strip()


def render_task_page(
    request: AuthenticatedRequest,
    task: Task,
    refusal: Refusal = SHOWN,
) -> HttpResponse:
    """The task page; after a refused action, with the errors and what the user had typed."""
    reports = task.reports.select_related(
        "department", "author", "reviewer", "supersedes", "superseded_by"
    ).prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    by_role: dict[str, list[Any]] = {role.value: [] for role in AssignmentRole}
    for assignment in task.assignments.all():
        by_role[assignment.role].append(assignment.department)
    open_requests = list(
        task.requests.filter(
            state__in=[RequestState.AWAITING_SIGNOFF, RequestState.AWAITING_REVIEW]
        ).select_related("requested_by", "signed_off_by")
    )
    # what the user can do now: the permission policy and the status table, nothing else
    offers = task_offers(request.user, task, open_requests)
    for item in open_requests:
        item.offers = offers.on(item)  # type: ignore[attr-defined]
        item.waiting = waiting_for(item.state)  # type: ignore[attr-defined]
    notifications = (
        Notification.objects.filter(task=task).select_related("recipient").order_by("-created_at")[:50]
        if can(request.user, Action.VIEW_TASK_NOTIFICATIONS, task)
        else Notification.objects.restrict(request.user, Action.VIEW_OWN_NOTIFICATIONS)
        .filter(task=task)
        .order_by("-created_at")[:50]
    )
    context = {
        "task": task,
        "plan": task.plan,
        "actions": offers.actions,
        "offer_notes": offers.notes,
        "roles": [
            (AssignmentRole(role), departments) for role, departments in by_role.items() if departments
        ],
        "reports": reports,
        "requests": open_requests,
        "urges": task.urges.select_related("author"),
        "notifications": notifications,
        "history": task_history(task),
        "report_count": ProgressReport.objects.filter(task=task).count(),
        # the status menu: the current status and where the lead department may take it from there
        "self_statuses": [
            (s.value, s.label)
            for s in TaskStatus
            if s == task.status or s in status_table.targets(status_table.Door.DIRECT, task.status)
        ],
        "current_period": period_for(task.plan.report_cadence, local_today()),
        "merged_from": task.merged_from.order_by("path"),
        "split_into": task.split_into.order_by("path"),
        "former_paths": [alias.path for alias in task.path_aliases.all()],
        **refusal.context(),
    }
    return render(request, "tasks/task_detail.html", context, status=refusal.status)


@login_required
def task_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_task_page(request, task_detail(request.user, pk))
