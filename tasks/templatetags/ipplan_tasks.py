"""Small display helpers for task pages: light and status colours, role labels."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..choices import AssignmentRole, Light, TaskStatus

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
