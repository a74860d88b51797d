"""Small display helpers for task pages: light and status colours, role labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..choices import AssignmentRole, Light, TaskStatus
from ..marks import Marks, describe, overdue_days
from ..models import local_today

register = template.Library()

LIGHT_CLASS = {Light.RED: "danger", Light.YELLOW: "warning", Light.GREEN: "success", Light.DONE: "secondary"}
STATUS_CLASS = {
    TaskStatus.NOT_STARTED: "secondary",
    TaskStatus.IN_PROGRESS: "primary",
    TaskStatus.COMPLETION_REQUESTED: "info",
    TaskStatus.COMPLETED: "success",
    TaskStatus.BLOCKED: "warning",
    TaskStatus.CANCELLED: "dark",
}
ROLE_CLASS = {
    AssignmentRole.LEAD: "primary",
    AssignmentRole.RESPONSIBLE: "info",
    AssignmentRole.COOPERATING: "light",
}


@register.simple_tag
def light_badge(value: str | None) -> SafeString:
    if not value:
        return format_html("")
    light = Light(value)
    # the light says itself in words too: colour is never the only signal (WCAG 1.4.1)
    return format_html(
        '<span class="ipplan-light-badge text-nowrap"><span class="ipplan-light ipplan-light-{}" aria-hidden="true">'
        '</span><span class="ipplan-light-text">{}</span></span>',
        LIGHT_CLASS[light],
        light.label,
    )


@register.simple_tag
def status_badge(value: str) -> SafeString:
    status = TaskStatus(value)
    return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CLASS[status], status.label)


@register.simple_tag
def role_badge(value: str | None) -> SafeString:
    if not value:
        return format_html("")
    role = AssignmentRole(value)
    css = "text-bg-light border" if role == AssignmentRole.COOPERATING else f"text-bg-{ROLE_CLASS[role]}"
    return format_html('<span class="badge {}">{}</span>', css, role.label)


@register.filter
def light_class(value: str) -> str:
    return LIGHT_CLASS.get(Light(value), "secondary") if value else "secondary"


@register.inclusion_tag("tasks/_task_marks.html")
def task_marks(task: Any) -> dict[str, Any]:
    """The marks of a listed task (已催办, 逾期 N 天, 本期待填报, whom it waits for). Lists call
    ``tasks.marks.attach_marks`` on their page of tasks; without it only what the task row itself
    tells (the deadline, an annotated ``report_due``) is shown."""
    marks = getattr(task, "marks", None)
    if marks is None:
        marks = Marks(
            overdue_days=overdue_days(task, local_today()),
            report_due=bool(getattr(task, "report_due", False)),
        )
    return {
        "marks": marks,
        "waiting": [(state, describe(kind, state)) for kind, state in marks.waiting],
    }
