"""Small display helpers for task pages: light and status colours, role labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

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


@register.simple_tag
def choice_options(bound: Any, truncate: int = 0) -> SafeString:
    """The ``<option>``s of a filter form's choice field (the empty choice left out), the current
    value selected; ``truncate`` shortens long labels. One pass in Python instead of a template
    loop per option: a province's filters list 2,000 departments and 500 plans."""
    current = bound.value()
    chosen = "" if current is None else str(current)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (
                value,
                " selected" if str(value) == chosen else "",
                Truncator(label).chars(truncate) if truncate else label,
            )
            for value, label in bound.field.choices
            if value
        ),
    )


@register.filter
def light_class(value: str) -> str:
    return LIGHT_CLASS.get(Light(value), "secondary") if value else "secondary"


@register.simple_tag
def task_marks(task: Any) -> SafeString:
    """The marks of a listed task (已催办, 逾期 N 天, 本期待填报, whom it waits for). Lists call
    ``tasks.marks.attach_marks`` on their page of tasks; without it only what the task row itself
    tells (the deadline, an annotated ``report_due``) is shown.

    Built here rather than by an included template: a list renders it once per row."""
    marks = getattr(task, "marks", None)
    if marks is None:
        marks = Marks(
            overdue_days=overdue_days(task, local_today()),
            report_due=bool(getattr(task, "report_due", False)),
        )
    parts: list[str] = []
    if marks.overdue_days:
        n = marks.overdue_days
        text = ngettext("逾期 %(n)s 天", "逾期 %(n)s 天", n) % {"n": n}
        parts.append(
            format_html('<span class="badge text-bg-danger ipplan-mark mark-overdue">{}</span> ', text)
        )
    if marks.urge_count:
        n = marks.urge_count
        text = ngettext("已催办 %(n)s 次", "已催办 %(n)s 次", n) % {"n": n} if n > 1 else gettext("已催办")
        last = (
            dateformat.format(timezone.localtime(marks.last_urged), "Y-m-d H:i") if marks.last_urged else ""
        )
        parts.append(
            format_html(
                '<span class="badge text-bg-warning ipplan-mark mark-urged" title="{} {}">'
                '<i class="bi bi-bell" aria-hidden="true"></i> {}</span> ',
                gettext("最近催办"),
                last,
                text,
            )
        )
    if marks.report_due:
        parts.append(
            format_html(
                '<span class="badge text-bg-warning ipplan-mark mark-report-due">{}</span> ',
                gettext("本期待填报"),
            )
        )
    for kind, state in marks.waiting:
        parts.append(
            format_html(
                '<span class="badge text-bg-info ipplan-mark mark-waiting mark-{}">{}</span> ',
                state,
                describe(kind, state),
            )
        )
    return mark_safe("".join(parts))


@register.simple_block_tag(takes_context=True)
def form_card(
    context: template.Context,
    content: str,
    view: str,
    pk: int,
    form_id: str,
    title: str,
    *,
    version: Any = None,
    border: str = "",
    margin: str = "mb-3",
) -> SafeString:
    """A form of a page as a card, posting to ``view`` of object ``pk``: its title in the header,
    ``content`` (the fields) in the body, and the version the page was rendered with when the form
    carries one."""
    versioned = (
        format_html('<input type="hidden" name="version" value="{}">', version) if version is not None else ""
    )
    return format_html(
        '<form class="card {}{}" method="post" action="{}" id="{}">{}\n'
        '  <div class="card-header fw-semibold">{}</div>\n'
        '  <div class="card-body">{}{}</div>\n'
        "</form>",
        margin,
        f" {border}" if border else "",
        reverse(view, args=[pk]),
        form_id,
        CsrfTokenNode().render(context),
        title,
        versioned,
        content,
    )


@register.simple_block_tag(takes_context=True)
def import_edit_form(
    context: template.Context, content: str, record: Any, op: str, *, path: str = "", css: str = ""
) -> SafeString:
    """One correction form of an import's preview: posts ``op`` (on the task at ``path``, if
    given) with the version of ``record`` the page was rendered with; ``content`` the fields."""
    on_task = format_html('<input type="hidden" name="path" value="{}">', path) if path else ""
    return format_html(
        '<form method="post" action="{}" class="{}">{}<input type="hidden" name="op" value="{}">{}'
        '<input type="hidden" name="version" value="{}">{}</form>',
        reverse("tasks:import_edit", args=[record.pk]),
        css,
        CsrfTokenNode().render(context),
        op,
        on_task,
        record.version,
        content,
    )


@register.simple_block_tag
def conflict_alert(content: str, conflict: Any) -> SafeString:
    """A form refused as stale (409): the service's message, then ``content``, what the page says
    of the current state; nothing without a ``conflict``."""
    if not conflict:
        return mark_safe("")
    return format_html(
        '<div class="alert alert-warning" role="alert" id="conflict">\n'
        "  <strong>{}</strong> {}\n"
        '  <div class="small mt-1">{}</div>\n'
        "</div>",
        gettext("保存未成功:"),
        conflict["message"],
        content,
    )
