"""The ledger (台账): the task table as an .xlsx file, formatted for printing.

Rows are read in chunks and written with xlsxwriter's constant-memory mode, so tens of thousands
of tasks do not exhaust memory. Every cell that comes from users is written as text: a title
starting with ``=`` stays text and is never evaluated as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

import xlsxwriter
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .choices import AssignmentRole, Light, TaskStatus
from .lights import LIGHT_BY_RANK
from .models import Assignment, ProgressReport, Task, local_today
from .selectors import with_urgency

CHUNK = 5000
ROLES = tuple(role.value for role in AssignmentRole)
#: Excel's day 0 (dates are numbers of days since then; valid from March 1900)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def ledger_queryset(tasks: QuerySet[Task], today: dt.date | None = None) -> QuerySet[Task]:
    """The ledger's tasks in order, with their light and the id of their latest report.

    No ``select_related("plan")``: a plan row carries the whole document text, and the ledger
    needs only its title (read as a column by ``ledger_rows``).
    """
    latest = ProgressReport.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        with_urgency(tasks, today or local_today())
        .select_related(None)
        .prefetch_related(None)
        .annotate(latest_report_id=Subquery(latest.values("id")[:1]))
        .order_by("plan_id", "order", "id")
    )


#: The columns ``ledger_rows`` reads of each task: plain values, never model instances.
LEDGER_FIELDS = (
    "pk",
    "plan__title",
    "path",
    "title",
    "due_date",
    "status",
    "progress",
    "light_rank",
    "latest_report_id",
)


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _chunk_departments(task_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Per task, its departments' names by role, in assignment order (one query per chunk)."""
    names: dict[int, dict[str, list[str]]] = {}
    rows = (
        Assignment.objects.filter(task_id__in=task_ids)
        .order_by("order", "id")
        .values_list("task_id", "role", "department__name")
    )
    for task_id, role, name in rows:
        by_role = names.get(task_id)
        if by_role is None:
            by_role = names[task_id] = {role: [] for role in ROLES}
        by_role[role].append(name)
    return names


def _chunk_reports(report_ids: list[int]) -> dict[int, str]:
    """The latest reports' text, as the ledger shows it, by report id (one query per chunk)."""
    if not report_ids:
        return {}
    rows = ProgressReport.objects.filter(pk__in=report_ids).values_list("pk", "period", "text")
    return {pk: f"[{period}] {text}" for pk, period, text in rows if text}


def ledger_rows(tasks: QuerySet[Task]) -> Iterator[list[Any]]:
    """One row per task: 序号, plan, path, task, lead, responsible, cooperating, due date, status,
    progress, latest report, light.

    Streamed: the tasks are read as value tuples with a server-side cursor (iterator), CHUNK at a
    time, and each chunk's departments and latest reports in one query each, so memory stays
    flat whatever the number of tasks and the query count grows only by chunk.
    """
    statuses = {value: str(label) for value, label in TaskStatus.choices}
    lights = {rank: str(Light(light).label) for rank, light in LIGHT_BY_RANK.items()}
    empty: dict[str, list[str]] = {role: [] for role in ROLES}
    lead, responsible = AssignmentRole.LEAD.value, AssignmentRole.RESPONSIBLE.value
    cooperating = AssignmentRole.COOPERATING.value
    stream = ledger_queryset(tasks).values_list(*LEDGER_FIELDS).iterator(chunk_size=CHUNK)
    number = 0
    for chunk in _chunks(stream, CHUNK):
        departments = _chunk_departments([row[0] for row in chunk])
        reports = _chunk_reports([row[8] for row in chunk if row[8] is not None])
        for pk, plan_title, path, title, due_date, status, progress, light, report_id in chunk:
            number += 1
            names = departments.get(pk, empty)
            yield [
                number,
                plan_title,
                path,
                title,
                "、".join(names[lead]),
                "、".join(names[responsible]),
                "、".join(names[cooperating]),
                due_date,
                statuses[status],
                progress / 100,
                reports.get(report_id, "") if report_id is not None else "",
                lights[light],
            ]


COLUMNS = [
    (_lazy("序号"), 6),
    (_lazy("工作方案"), 24),
    (_lazy("编号"), 10),
    (_lazy("任务"), 48),
    (_lazy("牵头单位"), 16),
    (_lazy("责任单位"), 22),
    (_lazy("配合单位"), 18),
    (_lazy("完成时限"), 12),
    (_lazy("状态"), 10),
    (_lazy("进度"), 8),
    (_lazy("最新进展"), 40),
    (_lazy("红黄绿灯"), 8),
]


def write_ledger(tasks: QuerySet[Task], output: str | IO[bytes], *, title: str = "") -> int:
    """Write the ledger of ``tasks`` to ``output`` (a path or a binary file); returns the row count."""
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(_("任务台账"))
    heading = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDE5F0", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    text = workbook.add_format({"text_wrap": True, "valign": "top", "border": 1})
    date = workbook.add_format({"num_format": "yyyy-mm-dd", "valign": "top", "border": 1})
    percent = workbook.add_format({"num_format": "0%", "valign": "top", "border": 1})
    number = workbook.add_format({"valign": "top", "border": 1})

    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    sheet.repeat_rows(2)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C&P / &N")
    generated_on = timezone.localdate().isoformat()
    # printed header: the plan (or list) title left, the date right; "&" is Excel's escape
    sheet.set_header(f"&L{(title or _('任务台账'))[:100].replace('&', '&&')}&R{generated_on}")
    for column, (_label, width) in enumerate(COLUMNS):
        sheet.set_column(column, column, width)
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet.write_string(0, 0, f"{title or _('任务台账')}({_('导出于')} {generated})", heading)
    sheet.freeze_panes(3, 0)
    for column, (label, _width) in enumerate(COLUMNS):
        sheet.write_string(2, column, str(label), header)
    # each column's writer and format, chosen once (the loop below runs for every cell)
    write_string, write_number, write_blank = sheet.write_string, sheet.write_number, sheet.write_blank
    writers: list[tuple[Any, Any]] = [(write_string, text)] * len(COLUMNS)
    writers[0], writers[9] = (write_number, number), (write_number, percent)
    writers[7] = (write_number, date)  # a date is its day number in a date format, as Excel keeps it
    count = 0
    for count, row in enumerate(ledger_rows(tasks), start=1):
        line = count + 2
        if row[7] is not None:
            row[7] = (row[7] - EXCEL_EPOCH).days
        for column, value in enumerate(row):
            if value is None or value == "":
                write_blank(line, column, None, text)
            else:
                write, cell_format = writers[column]
                write(line, column, value, cell_format)
    sheet.autofilter(2, 0, max(count + 2, 3), len(COLUMNS) - 1)
    workbook.close()
    return count
