"""Numeric targets: the list with their lights, and one target with its readings and trajectory."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.http import AuthenticatedRequest
from ipplan.generic import SHOWN, Refusal, RestrictedListView, ServiceActionView
from ipplan.permissions import Action, can

from ..forms import ReadingForm
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


def render_indicator(
    request: AuthenticatedRequest,
    indicator: Indicator,
    refusal: Refusal = SHOWN,
) -> HttpResponse:
    """One target with its readings and trajectory; after a refused reading, with the errors and
    what was typed."""
    state = indicator_status(indicator)
    chart = {
        "readings": [[r.observed_on.isoformat(), float(r.value)] for r in state.readings],
        "trajectory": [
            [state.trajectory.start.isoformat(), float(state.trajectory.start_value)],
            [state.trajectory.end.isoformat(), float(state.trajectory.target)],
        ]
        if state.trajectory
        else [],
        "unit": indicator.reading_unit,
        "labels": {"readings": _("实际值"), "trajectory": _("目标轨迹")},
    }
    context = {
        "status": state,
        "indicator": indicator,
        "chart": chart,
        "can_enter": can(request.user, Action.ENTER_READING, indicator),
        "today": local_today(),
        **refusal.context(),
    }
    return render(request, "tasks/indicator_detail.html", context, status=refusal.status)


class IndicatorDetail(ServiceActionView):
    """GET: one target. POST: record a reading of it (the service checks who may)."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head", "post"]
    model = Indicator
    lookup_action = Action.VIEW_PLAN
    form_class = ReadingForm
    object_name = "indicator"
    success_message = gettext_lazy("已记录指标数值。")

    def lookup_queryset(self) -> QuerySet[Indicator]:
        return with_readings(Indicator.objects.all())

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return render_indicator(request, self.get_object())

    def form_invalid(self, form: forms.BaseForm, obj: Indicator) -> HttpResponse:
        return render_indicator(self.request, obj, Refusal.invalid(form))

    def success_url(self, obj: Indicator, result: Any) -> str:
        return reverse("tasks:indicator_detail", args=[obj.pk])


indicator_detail = IndicatorDetail.as_view(service=indicator_reading_record)
