"""The supervision briefing (督办通报) for a period, as a Word document.

Summary figures, overdue tasks by department, urges sent in the period and targets off their
trajectory: what a bureau hands its superiors, without retyping anything.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from .choices import AssignmentRole, Light
from .dashboards import plan_figures
from .indicators import format_quantity, format_target
from .models import Assignment, Indicator, IndicatorReading, Plan, Task
from .official import compact_table, official_document
from .reporting.indicators import indicator_status
from .reporting.urges import urges_in


def write_briefing(
    *,
    plans: QuerySet[Plan],
    tasks: QuerySet[Task],
    start: dt.date,
    end: dt.date,
    output: str | IO[bytes],
    title: str = "",
    issuer: str = "",
    issue: str = "",
) -> dict[str, int]:
    """Write the briefing for ``start``..``end`` over ``plans``/``tasks``; returns the key figures.

    The document follows GB/T 9704-2012 (see ``official.py``): ``issuer`` heads it in red, with
    ``issue`` (期号, by default the year and month of ``end``) and the date ``end``.
    """
    document = official_document(
        issuer=issuer or _("知识产权局"),
        issue=issue or _("%(year)s年第%(number)s期") % {"year": end.year, "number": end.month},
        date=end,
    )
    document.add_heading(title or _("知识产权工作督办通报"), level=0)
    document.add_paragraph(
        _("通报期间:%(start)s 至 %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    )

    figures = plan_figures(plans, end)
    total = sum(f.total for f in figures)
    completed = sum(f.completed for f in figures)
    overdue_count = sum(f.overdue for f in figures)
    document.add_heading(_("一、总体情况"), level=1)
    document.add_paragraph(
        _("共 %(plans)s 个工作方案、%(total)s 项任务,已办结 %(completed)s 项,逾期未办结 %(overdue)s 项。")
        % {"plans": len(figures), "total": total, "completed": completed, "overdue": overdue_count}
    )
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, label in zip(
        table.rows[0].cells, [_("工作方案"), _("任务"), _("已办结"), _("逾期"), _("完成率")], strict=True
    ):
        cell.text = label
    for f in figures:
        row = table.add_row().cells
        rate = f"{f.completion_rate}%" if f.completion_rate is not None else "—"
        for cell, value in zip(row, [f.plan.title, f.total, f.completed, f.overdue, rate], strict=True):
            cell.text = str(value)
    compact_table(table)

    document.add_heading(_("二、逾期任务(按牵头单位)"), level=1)
    overdue = (
        tasks.overdue(end)  # type: ignore[attr-defined]
        .select_related("plan")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(role=AssignmentRole.LEAD).select_related("department"),
            )
        )
        .order_by("due_date", "id")
    )
    by_department: dict[str, list[Task]] = {}
    for task in overdue:
        leads = [a.department.name for a in task.assignments.all()] or [_("未明确牵头单位")]
        for name in leads:
            by_department.setdefault(name, []).append(task)
    if not by_department:
        document.add_paragraph(_("本期没有逾期任务。"))
    for name in sorted(by_department, key=lambda n: (-len(by_department[n]), n)):
        document.add_paragraph(f"{name}({len(by_department[name])})", style="List Bullet")
        for task in by_department[name]:
            days = (end - task.due_date).days if task.due_date else 0
            document.add_paragraph(
                _("%(path)s %(title)s,完成时限 %(due)s,逾期 %(days)s 天")
                % {"path": task.path, "title": task.title, "due": task.due_date, "days": days},
                style="List Bullet 2",
            )

    document.add_heading(_("三、催办情况"), level=1)
    urge_list = list(urges_in(tasks, start, end))
    document.add_paragraph(_("本期共催办 %(n)s 次。") % {"n": len(urge_list)})
    for urge in urge_list:
        document.add_paragraph(
            f"{urge.created_at:%Y-%m-%d} {urge.task.path} {urge.task.title}:{urge.message}",
            style="List Bullet",
        )

    document.add_heading(_("四、偏离进度的量化指标"), level=1)
    indicators = (
        Indicator.objects.filter(plan__in=plans)
        .select_related("plan")
        .prefetch_related(
            Prefetch("readings", queryset=IndicatorReading.objects.filter(observed_on__lte=end))
        )
    )
    off_track = [
        s for s in (indicator_status(i, end) for i in indicators) if s.light in (Light.RED, Light.YELLOW)
    ]
    if not off_track:
        document.add_paragraph(_("没有偏离目标轨迹的指标。"))
    for status in off_track:
        latest = status.latest
        document.add_paragraph(
            _("%(name)s:目标 %(target)s,最新 %(value)s(%(day)s),按轨迹应达 %(expected)s")
            % {
                "name": status.indicator.name,
                "target": format_target(status.indicator),
                "value": format_quantity(latest.value if latest else None, status.indicator.reading_unit),
                "day": latest.observed_on if latest else "—",
                "expected": format_quantity(status.expected, status.indicator.reading_unit, places=1),
            },
            style="List Bullet",
        )
    document.save(output)
    return {
        "plans": len(figures),
        "tasks": total,
        "overdue": overdue_count,
        "urges": len(urge_list),
        "off_track": len(off_track),
    }
