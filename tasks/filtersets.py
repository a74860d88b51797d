"""One FilterSet per listable model, shared by the HTML lists and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from departments.models import Department
from ipplan.filtering import IntegerFilter, SinceFilter

from . import models
from .choices import CLOSED_STATUSES, AssignmentRole, Light, TaskStatus
from .lights import light_q, overdue_q


class TaskFilterSet(django_filters.FilterSet):
    """Filters for task lists. ``light`` filters by the rule of ``tasks.lights``."""

    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    path = django_filters.CharFilter(label=_("编号路径"), method="filter_path")
    plan = django_filters.ModelChoiceFilter(label=_("工作方案"), queryset=models.Plan.objects.all())
    department = django_filters.ModelChoiceFilter(
        label=_("单位"), queryset=Department.objects.all(), method="filter_department"
    )
    role = django_filters.ChoiceFilter(label=_("角色"), choices=AssignmentRole.choices, method="filter_role")
    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=TaskStatus.choices)
    light = django_filters.ChoiceFilter(label=_("红黄绿灯"), choices=Light.choices, method="filter_light")
    overdue = django_filters.BooleanFilter(label=_("已逾期"), method="filter_overdue")
    due_within = IntegerFilter(label=_("N 天内到期"), method="filter_due_within", min_value=0, max_value=3660)
    due_before = django_filters.DateFilter(label=_("到期早于"), field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(label=_("到期晚于"), field_name="due_date", lookup_expr="gte")
    updated_since = SinceFilter(label=_("更新于此后"), field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = models.Task
        fields = ["q", "path", "plan", "department", "role", "status", "light", "overdue", "due_within"]

    def __init__(self, *args: Any, plans: QuerySet[models.Plan] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.filters["plan"].queryset = plans  # type: ignore[attr-defined]

    def filter_q(self, queryset: QuerySet[models.Task], name: str, value: str) -> QuerySet[models.Task]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(path__icontains=value)
            | Q(full_text__icontains=value)
            | Exists(models.TaskPathAlias.objects.filter(task=OuterRef("pk"), path__icontains=value))
        )

    def filter_path(self, queryset: QuerySet[models.Task], name: str, value: str) -> QuerySet[models.Task]:
        """The task at this path, or that had it before it was moved (``二.(一).3``)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(path=value) | Exists(models.TaskPathAlias.objects.filter(task=OuterRef("pk"), path=value))
        )

    def _assigned(self, queryset: QuerySet[models.Task], **lookup: Any) -> QuerySet[models.Task]:
        return queryset.filter(Exists(models.Assignment.objects.filter(task=OuterRef("pk"), **lookup)))

    @extend_schema_field(OpenApiTypes.INT)
    def filter_department(
        self, queryset: QuerySet[models.Task], name: str, value: Department
    ) -> QuerySet[models.Task]:
        role = self.data.get("role")
        lookup: dict[str, Any] = {"department": value}
        if role in AssignmentRole.values:
            lookup["role"] = role
        return self._assigned(queryset, **lookup)

    def filter_role(self, queryset: QuerySet[models.Task], name: str, value: str) -> QuerySet[models.Task]:
        if self.data.get("department"):
            return queryset  # combined with the department in filter_department
        if "my_role" in queryset.query.annotations:
            return queryset.filter(**{"my_role": value})  # an annotation of the inbox
        return self._assigned(queryset, role=value)

    def filter_light(self, queryset: QuerySet[models.Task], name: str, value: str) -> QuerySet[models.Task]:
        # the rule as plain conditions (the due-date index serves them); the selector's one
        # ``light_rank`` CASE stays in SELECT and ORDER BY
        return queryset.filter(light_q(models.local_today())[Light(value)]) if value else queryset

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_overdue(
        self, queryset: QuerySet[models.Task], name: str, value: bool | None
    ) -> QuerySet[models.Task]:
        if value is None:
            return queryset
        overdue = overdue_q(models.local_today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    @extend_schema_field({"type": "integer", "minimum": 0, "maximum": 3660})
    def filter_due_within(
        self, queryset: QuerySet[models.Task], name: str, value: int | None
    ) -> QuerySet[models.Task]:
        if value is None:
            return queryset
        today = models.local_today()
        return queryset.exclude(status__in=CLOSED_STATUSES).filter(
            due_date__gte=today, due_date__lte=today + dt.timedelta(days=int(value))
        )


def filtered(filterset: django_filters.FilterSet) -> QuerySet[Any]:
    """The filtered queryset; an invalid filter (another city's plan, a malformed date) matches
    nothing rather than everything."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs


class UpdatedSinceMixin(django_filters.FilterSet):
    updated_since = SinceFilter(label=_("更新于此后"), field_name="updated_at", lookup_expr="gte")


class PlanFilterSet(UpdatedSinceMixin):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    region = django_filters.CharFilter(label=_("行政区划代码"), field_name="region__code")

    class Meta:
        model = models.Plan
        fields = ["status", "region", "q", "updated_since"]

    def filter_q(self, queryset: QuerySet[models.Plan], name: str, value: str) -> QuerySet[models.Plan]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(doc_number__icontains=value))


class SectionFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Section
        fields = ["plan", "parent"]


class PhaseFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Phase
        fields = ["plan"]


class IndicatorFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Indicator
        fields = ["plan", "section", "task"]


class ReportFilterSet(UpdatedSinceMixin):
    plan = django_filters.ModelChoiceFilter(
        label=_("工作方案"), queryset=models.Plan.objects.all(), field_name="task__plan"
    )

    class Meta:
        model = models.ProgressReport
        fields = ["task", "plan", "department", "period", "review_status", "updated_since"]


class TaskRequestFilterSet(UpdatedSinceMixin):
    class Meta:
        model = models.TaskRequest
        fields = ["task", "kind", "state", "department", "updated_since"]
