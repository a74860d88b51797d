"""FilterSets of the departments app, shared by the HTML lists and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ipplan.filtering import SinceFilter

from .models import Department


class DepartmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    region = django_filters.CharFilter(label=_("行政区划代码"), field_name="region__code")
    updated_since = SinceFilter(label=_("更新于此后"), field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Department
        fields = ["kind", "active", "region", "q", "updated_since"]

    def filter_q(self, queryset: QuerySet[Department], name: str, value: str) -> QuerySet[Department]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(aliases__name__icontains=value)
        ).distinct()
