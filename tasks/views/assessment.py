"""The department assessment (考核): a ranking table for a period, weights, and its export."""

from __future__ import annotations

import datetime as dt
import tempfile

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.services import assessment_weights_set
from ipplan.permissions import Action, can, require

from ..assessment import Assessment, assess, weights_for
from ..dashboards import dashboard_scope
from ..models import local_today


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = local_today()
    try:
        start = (
            dt.date.fromisoformat(request.GET["start"])
            if request.GET.get("start")
            else dt.date(today.year, 1, 1)
        )
        end = dt.date.fromisoformat(request.GET["end"]) if request.GET.get("end") else today
    except ValueError:
        return dt.date(today.year, 1, 1), today
    return (start, end) if start <= end else (end, start)


def _ranking(request: HttpRequest) -> tuple[list[Assessment], dt.date, dt.date]:
    require(request.user, Action.VIEW_ASSESSMENT)  # not department users (README: bureau, leaders, admin)
    start, end = _period(request)
    _plans, tasks = dashboard_scope(request.user)  # type: ignore[arg-type]
    return assess(tasks, start, end, weights_for(request.user.region)), start, end  # type: ignore[union-attr]


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    rows, start, end = _ranking(request)
    region = request.user.region  # type: ignore[union-attr]
    context = {
        "rows": rows,
        "start": start,
        "end": end,
        "weights": weights_for(region),
        "can_set_weights": region is not None and can(request.user, Action.SET_ASSESSMENT_WEIGHTS, region),
        "query": request.GET.urlencode(),
    }
    return render(request, "tasks/assessment.html", context)


@login_required
@require_POST
def assessment_weights(request: HttpRequest) -> HttpResponse:
    region = request.user.region  # type: ignore[union-attr]
    require(request.user, Action.SET_ASSESSMENT_WEIGHTS, region)
    try:
        values = {k: int(request.POST.get(k, "")) for k in ("on_time", "reports", "overdue")}
        assessment_weights_set(actor=request.user, region=region, **values)  # type: ignore[arg-type]
    except ValueError:
        messages.error(request, _("权重必须是整数。"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已更新考核权重。"))
    return redirect("tasks:assessment")


@login_required
def assessment_export(request: HttpRequest) -> FileResponse:
    rows, start, end = _ranking(request)
    handle = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 (closed by FileResponse)
    workbook = xlsxwriter.Workbook(handle, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("考核排名"))
    bold = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1})
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.write_string(0, 0, _("单位考核排名(%(start)s 至 %(end)s)") % {"start": start, "end": end})
    headers = [
        _("名次"),
        _("单位"),
        _("得分"),
        _("按时办结率"),
        _("按时填报率"),
        _("无逾期率"),
        _("到期任务"),
        _("逾期任务"),
    ]
    for column, label in enumerate(headers):
        sheet.write_string(2, column, label, bold)
    sheet.set_column(1, 1, 28)
    for line, row in enumerate(rows, start=3):
        values = [
            row.rank,
            row.department.name,
            row.score,
            row.on_time_rate,
            row.report_rate,
            row.clean_rate,
            row.due,
            row.overdue,
        ]
        for column, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(line, column, value)
            else:
                sheet.write_number(line, column, value)
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{_('考核排名')}-{end:%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
