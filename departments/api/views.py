"""API viewsets of the department registry."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from ipplan.api.views import ReadOnlyPolicyViewSet
from ipplan.permissions import Action

from ..filtersets import DepartmentFilterSet
from ..models import Department
from . import serializers as s


@extend_schema_view(list=extend_schema(tags=["departments"]), retrieve=extend_schema(tags=["departments"]))
class DepartmentViewSet(ReadOnlyPolicyViewSet):
    """Departments (单位) of the caller's region and the regions below it."""

    read_action = Action.VIEW_DEPARTMENT
    serializer_class = s.DepartmentSerializer
    filterset_class = DepartmentFilterSet
    sync_field = "updated_at"

    model = Department

    def narrow(self, queryset: QuerySet[Department]) -> QuerySet[Department]:
        return queryset.select_related("region").order_by("region__path", "name", "id")
