"""The PEER: what a stock Django REST framework API for the same task list looks like.

A ``ModelViewSet`` with ``ModelSerializer``s (assignments nested with their department), the
``select_related``/``prefetch_related`` it needs, the caller's region as the only scope, and the
same rows in the same order as ``/api/v1/tasks/`` (plan, order, id; the cursor walks
(updated_at, id)). Mounted only by ``benchmarks.urls``; it is a yardstick, not a feature.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework import routers, serializers, viewsets
from rest_framework.pagination import CursorPagination, PageNumberPagination

from tasks.models import Assignment, Department, Task


class PeerDepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name"]


class PeerAssignmentSerializer(serializers.ModelSerializer[Assignment]):
    department = PeerDepartmentSerializer()

    class Meta:
        model = Assignment
        fields = ["department", "role", "order"]


class PeerTaskSerializer(serializers.ModelSerializer[Task]):
    assignments = PeerAssignmentSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    light = serializers.CharField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id", "plan", "section", "path", "number", "order", "title", "full_text", "deadline_text",
            "start_date", "due_date", "status", "progress", "version", "completed_at", "cancel_reason",
            "merged_into", "split_from", "is_overdue", "light", "assignments", "created_at", "updated_at",
        ]  # fmt: skip


class PeerPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class PeerCursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("updated_at", "id")


class PeerTaskViewSet(viewsets.ReadOnlyModelViewSet[Task]):
    serializer_class = PeerTaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        user: Any = self.request.user
        assignments: Any = Prefetch(
            "assignments", Assignment.objects.select_related("department").order_by("role", "order", "id")
        )
        tasks = Task.objects.prefetch_related(assignments)
        if user.region_id is not None:
            tasks = tasks.filter(plan__region__path__startswith=user.region.path)
        return tasks.order_by("plan_id", "order", "id")

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            cursor = {"cursor", "cursor_walk"} & self.request.query_params.keys()
            self._paginator = PeerCursor() if cursor else PeerPagination()
        return self._paginator


router = routers.SimpleRouter()
router.register("tasks", PeerTaskViewSet, basename="peer-task")
