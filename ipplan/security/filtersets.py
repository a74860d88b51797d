"""The audit administrator's search over the security audit log (the page and its export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import EventAction, EventResult
from .models import SecurityEvent


class SecurityEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(label=_("操作人"), method="filter_actor")
    action = django_filters.ChoiceFilter(label=_("事件"), choices=EventAction.choices)
    result = django_filters.ChoiceFilter(label=_("结果"), choices=EventResult.choices)
    source_ip = django_filters.CharFilter(
        label=_("来源地址"), field_name="source_ip", lookup_expr="startswith"
    )
    start = django_filters.DateFilter(
        label=_("开始日期"), method="filter_start", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        label=_("结束日期"), method="filter_end", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = SecurityEvent
        fields = ["actor", "action", "result", "source_ip", "start", "end"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def filter_actor(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(actor_name__icontains=value)
        if value.isdigit():
            condition |= Q(actor_id=int(value))
        return queryset.filter(condition)

    def filter_start(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(time__gte=_start_of(value))

    def filter_end(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(time__lt=_start_of(value + dt.timedelta(days=1)))


def _start_of(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
