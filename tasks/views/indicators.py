"""Numeric targets: the list with their lights, and one target with its readings and trajectory."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.http import AuthenticatedRequest
from ipplan.generic import RestrictedListView
from ipplan.permissions import Action, can, get_for

from ..indicators import indicator_status
from ..models import Indicator, IndicatorReading, local_today
from ..services import indicator_reading_record


def with_readings(indicators: QuerySet[Indicator]) -> QuerySet[Indicator]:
    return indicators.select_related("plan", "section", "task").prefetch_related(
        Prefetch("readings", queryset=IndicatorReading.objects.order_by("observed_on", "id"))
    )


class IndicatorList(RestrictedListView):
    """Every numeric target the user may see with its light (``?plan=`` one plan's)."""

    model = Indicator
    action = Action.VIEW_PLAN
    required = False  # a role without plans sees an empty list
    template_name = "tasks/indicator_list.html"

    def narrow(self, queryset: QuerySet[Indicator]) -> QuerySet[Indicator]:
        return with_readings(queryset).order_by("plan__title", "order", "id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = local_today()
        statuses = [indicator_status(i, today) for i in context["object_list"]]
        plan_id = self.request.GET.get("plan")
        if plan_id and plan_id.isdigit():
            statuses = [s for s in statuses if s.indicator.plan_id == int(plan_id)]
        return {**context, "statuses": statuses}


indicator_list = IndicatorList.as_view()


@login_required
def indicator_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = get_for(request.user, Action.VIEW_PLAN, with_readings(Indicator.objects.all()), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            try:
                value = Decimal(request.POST.get("value", "").strip())
            except InvalidOperation:
                raise ValidationError({"value": _("请输入数值。")}) from None
            try:
                observed_on = dt.date.fromisoformat(request.POST.get("observed_on", ""))
            except ValueError:
                raise ValidationError({"observed_on": _("请选择统计日期。")}) from None
            indicator_reading_record(
                actor=request.user,
                indicator=indicator,
                value=value,
                observed_on=observed_on,
                note=request.POST.get("note", "").strip(),
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("已记录指标数值。"))
            return redirect("tasks:indicator_detail", indicator.pk)
    status = indicator_status(indicator)
    chart = {
        "readings": [[r.observed_on.isoformat(), float(r.value)] for r in status.readings],
        "trajectory": [
            [status.trajectory.start.isoformat(), float(status.trajectory.start_value)],
            [status.trajectory.end.isoformat(), float(status.trajectory.target)],
        ]
        if status.trajectory
        else [],
        "unit": indicator.reading_unit,
        "labels": {"readings": _("实际值"), "trajectory": _("目标轨迹")},
    }
    context = {
        "status": status,
        "indicator": indicator,
        "chart": chart,
        "can_enter": can(request.user, Action.ENTER_READING, indicator),
        "errors": errors,
        "posted": request.POST if request.method == "POST" else {},
        "today": local_today(),
    }
    return render(request, "tasks/indicator_detail.html", context, status=400 if errors else 200)
