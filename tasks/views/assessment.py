"""The department assessment (考核): a ranking table for a period, weights, and its export."""

from __future__ import annotations

import datetime as dt
import tempfile

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from departments.http import AuthenticatedRequest
from departments.models import Department
from departments.services import assessment_weights_set
from ipplan.permissions import Action, can, get_for, require

from ..assessment import Assessment, assess, city_ranking, explain, weights_for
from ..dashboards import ranking_departments
from ..models import AssessmentSnapshot, local_today
from ..services.assessment import assessment_publish

#: The ranking rule, stated on the page and in the export.
RANK_RULE = _lazy(
    "分母为 0 的项目记为“—”(无数据),不计入得分,其权重按比例分给其余项目;三项都无数据的单位没有得分。"
    "单位群组(如各镇街、各成员单位)和没有得分的单位只列出,不参加排名。得分相同时逾期任务少者在前。"
)


def _period(request: AuthenticatedRequest) -> tuple[dt.date, dt.date]:
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


def _ranking(request: AuthenticatedRequest) -> tuple[list[Assessment], dt.date, dt.date]:
    require(request.user, Action.VIEW_ASSESSMENT)  # not department users (README: bureau, leaders, admin)
    start, end = _period(request)
    # scores over all of each department's tasks; the viewer's scope only picks the rows
    departments = ranking_departments(request.user)
    return assess(departments, start, end), start, end


@login_required
def assessment(request: AuthenticatedRequest) -> HttpResponse:
    rows, start, end = _ranking(request)
    region = request.user.region
    can_set = region is not None and can(request.user, Action.SET_ASSESSMENT_WEIGHTS, region)
    context = {
        "rows": rows,
        "cities": city_ranking(rows) if len({row.city for row in rows}) > 1 else [],
        "start": start,
        "end": end,
        "weights": weights_for(region),
        "weights_history": _weights_history(region),
        "can_set_weights": can_set,
        "can_publish": can_set,
        "snapshots": AssessmentSnapshot.objects.restrict(request.user, Action.VIEW_ASSESSMENT)
        .select_related("published_by")
        .order_by("-created_at", "-id")[:10],
        "query": request.GET.urlencode(),
        "rank_rule": RANK_RULE,
    }
    return render(request, "tasks/assessment.html", context)


def _weights_history(region: object) -> list[object]:
    """The region's weights as they were set over time, newest first (who, when, what)."""
    own = getattr(region, "assessment_weights", None) if region is not None else None
    try:
        return list(own.history.select_related("history_user").order_by("-history_date")[:10]) if own else []
    except Exception:
        return []


@login_required
def assessment_explain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """How one department's score was computed: its row, and every task and period behind it."""
    require(request.user, Action.VIEW_ASSESSMENT)
    department = get_for(
        request.user,
        Action.VIEW_DEPARTMENT,
        ranking_departments(request.user).select_related("region"),
        pk=pk,
    )
    start, end = _period(request)
    rows = assess(Department.objects.filter(pk=department.pk), start, end)
    context = {
        "department": department,
        "row": rows[0] if rows else Assessment(department=department),
        "explanation": explain(department, start, end),
        "start": start,
        "end": end,
        "query": request.GET.urlencode(),
    }
    return render(request, "tasks/assessment_explain.html", context)


@login_required
@require_POST
def assessment_publish_view(request: AuthenticatedRequest) -> HttpResponse:
    start, end = _period(request)
    try:
        start = dt.date.fromisoformat(request.POST.get("start", "")) if request.POST.get("start") else start
        end = dt.date.fromisoformat(request.POST.get("end", "")) if request.POST.get("end") else end
        snapshot = assessment_publish(
            actor=request.user,
            start=start,
            end=end,
            title=request.POST.get("title", ""),
        )
    except ValueError:
        messages.error(request, _("日期格式不正确。"))
        return redirect("tasks:assessment")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tasks:assessment")
    messages.success(request, _("已发布考核结果。"))
    return redirect(reverse("tasks:assessment_snapshot", args=[snapshot.pk]))


@login_required
def assessment_snapshot(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A published ranking, exactly as it was computed when published."""
    require(request.user, Action.VIEW_ASSESSMENT)
    snapshot = get_for(
        request.user,
        Action.VIEW_ASSESSMENT,
        AssessmentSnapshot.objects.select_related("region", "published_by"),
        pk=pk,
    )
    return render(request, "tasks/assessment_snapshot.html", {"snapshot": snapshot})


@login_required
@require_POST
def assessment_weights(request: AuthenticatedRequest) -> HttpResponse:
    region = request.user.region
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
def assessment_export(request: AuthenticatedRequest) -> FileResponse:
    rows, start, end = _ranking(request)
    handle = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 (closed by FileResponse)
    workbook = xlsxwriter.Workbook(handle, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("考核排名"))
    bold = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1})
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.write_string(0, 0, _("单位考核排名(%(start)s 至 %(end)s)") % {"start": start, "end": end})
    sheet.write_string(1, 0, str(RANK_RULE))
    headers = [
        _("名次"),
        _("单位"),
        _("得分"),
        _("按时办结率"),
        _("按时填报率"),
        _("无逾期率"),
        _("到期任务"),
        _("逾期任务"),
        _("地市"),
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
            row.city,
        ]
        for column, value in enumerate(values):
            if value is None:
                sheet.write_string(line, column, "—")  # no data (0/0), or not ranked
            elif isinstance(value, str):
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
