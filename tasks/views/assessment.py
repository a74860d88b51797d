"""The department assessment (考核): a ranking table for a period, weights, and its export."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any, TypeVar

import xlsxwriter
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from departments.http import AuthenticatedRequest
from departments.models import Department, Region
from departments.services import assessment_weights_set
from ipplan.generic import MessageActionView
from ipplan.permissions import Action, can, get_for, require

from ..assessment import Assessment, assess, city_ranking, explain, weights_for
from ..dashboards import ranking_departments
from ..forms import AssessmentPublishForm, AssessmentWeightsForm
from ..models import AssessmentSnapshot, local_today
from ..services.assessment import assessment_publish

M = TypeVar("M", bound=models.Model)

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


def _assessment_object(request: AuthenticatedRequest, action: Action, queryset: QuerySet[M], pk: int) -> M:
    """An object behind the assessment: the page needs VIEW_ASSESSMENT (403), the object ``action``
    on it (404 outside the user's scope)."""
    require(request.user, Action.VIEW_ASSESSMENT)
    return get_for(request.user, action, queryset, pk=pk)


@login_required
def assessment_explain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """How one department's score was computed: its row, and every task and period behind it."""
    department = _assessment_object(
        request, Action.VIEW_DEPARTMENT, ranking_departments(request.user).select_related("region"), pk
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


class AssessmentPublish(MessageActionView):
    """Publish the ranking of a period: the posted one, else the page's."""

    request: AuthenticatedRequest
    form_class = AssessmentPublishForm
    success_message = _lazy("已发布考核结果。")

    def get_object(self) -> None:
        return None

    def service_kwargs(self, form: forms.BaseForm, obj: None) -> dict[str, Any]:
        start, end = _period(self.request)
        data = super().service_kwargs(form, obj)
        return {**data, "start": data["start"] or start, "end": data["end"] or end}

    def page(self, obj: None) -> str:
        return reverse("tasks:assessment")

    def success_url(self, obj: None, result: AssessmentSnapshot) -> str:
        return reverse("tasks:assessment_snapshot", args=[result.pk])


assessment_publish_view = AssessmentPublish.as_view(service=assessment_publish)


@login_required
def assessment_snapshot(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A published ranking, exactly as it was computed when published."""
    snapshot = _assessment_object(
        request,
        Action.VIEW_ASSESSMENT,
        AssessmentSnapshot.objects.select_related("region", "published_by"),
        pk,
    )
    return render(request, "tasks/assessment_snapshot.html", {"snapshot": snapshot})


class AssessmentWeights(MessageActionView):
    """The weights of the user's region (403 for a role that may not set them)."""

    request: AuthenticatedRequest
    form_class = AssessmentWeightsForm
    object_name = "region"
    success_message = _lazy("已更新考核权重。")

    def get_object(self) -> Region | None:
        region = self.request.user.region
        require(self.request.user, Action.SET_ASSESSMENT_WEIGHTS, region)
        return region

    def page(self, obj: Region | None) -> str:
        return reverse("tasks:assessment")


assessment_weights = AssessmentWeights.as_view(service=assessment_weights_set)


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
