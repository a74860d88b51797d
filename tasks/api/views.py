"""The work-plan API: reads start from the permission policy, writes call the same services as
the browser. Task writes need the task's ETag in ``If-Match``."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.filtersets import DepartmentFilterSet
from departments.models import Department
from ipplan.api.errors import lost_race, problem_response
from ipplan.api.etag import check_if_match
from ipplan.api.views import ReadOnlyPolicyViewSet
from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, get_for, require

from .. import filtersets
from ..dashboards import dashboard_scope, department_ranking, plan_figures
from ..models import (
    Attachment,
    Indicator,
    IndicatorReading,
    Notification,
    Phase,
    Plan,
    ProgressReport,
    Section,
    Task,
    TaskRequest,
)
from ..selectors import task_changes, visible_tasks
from ..services import workflow
from ..services.attachments import AttachmentIntegrityError, attachment_open
from ..services.notifications import notifications_mark_read
from ..services.plans import indicator_reading_record
from ..services.progress import progress_report_submit, task_set_due_date, task_update_progress
from . import serializers as s


@extend_schema_view(list=extend_schema(tags=["plans"]), retrieve=extend_schema(tags=["plans"]))
class PlanViewSet(ReadOnlyPolicyViewSet):
    """Work plans (工作方案) in the caller's region and the regions below it."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.PlanSerializer
    filterset_class = filtersets.PlanFilterSet
    sync_field = "updated_at"

    def base_queryset(self) -> QuerySet[Plan]:
        return (
            Plan.objects.select_related("region")
            .annotate(task_count=Count("tasks"))
            .order_by("-issued_on", "id")
        )


@extend_schema_view(list=extend_schema(tags=["plans"]), retrieve=extend_schema(tags=["plans"]))
class SectionViewSet(ReadOnlyPolicyViewSet):
    """Sections (章节) of the plans: a tree by ``parent``; ``path`` is like ``二.3``."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.SectionSerializer
    filterset_class = filtersets.SectionFilterSet

    def base_queryset(self) -> QuerySet[Section]:
        return Section.objects.order_by("plan_id", "order", "id")


@extend_schema_view(list=extend_schema(tags=["plans"]), retrieve=extend_schema(tags=["plans"]))
class PhaseViewSet(ReadOnlyPolicyViewSet):
    """Phases (阶段) of the plans, with their dates."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.PhaseSerializer
    filterset_class = filtersets.PhaseFilterSet

    def base_queryset(self) -> QuerySet[Phase]:
        return Phase.objects.order_by("plan_id", "order", "id")


@extend_schema_view(list=extend_schema(tags=["departments"]), retrieve=extend_schema(tags=["departments"]))
class DepartmentViewSet(ReadOnlyPolicyViewSet):
    """Departments (单位) of the caller's region and the regions below it."""

    read_action = Action.VIEW_DEPARTMENT
    serializer_class = s.DepartmentSerializer
    filterset_class = DepartmentFilterSet
    sync_field = "updated_at"

    def base_queryset(self) -> QuerySet[Department]:
        return Department.objects.select_related("region").order_by("region__path", "name", "id")


@extend_schema_view(
    list=extend_schema(tags=["tasks"]),
    retrieve=extend_schema(tags=["tasks"]),
    partial_update=extend_schema(tags=["tasks"], request=s.TaskUpdateSerializer, responses=s.TaskSerializer),
)
class TaskViewSet(ReadOnlyPolicyViewSet):
    """Tasks (任务) with their departments, derived ``is_overdue`` and ``light`` (红黄绿灯).

    PATCH changes ``status``/``progress`` (the lead department) and ``due_date`` (the bureau);
    it needs ``If-Match`` with the task's ETag and answers 412 when someone changed it first.
    """

    read_action = Action.VIEW_TASK
    serializer_class = s.TaskSerializer
    filterset_class = filtersets.TaskFilterSet
    sync_field = "updated_at"
    http_method_names = ["get", "post", "patch", "head", "options"]
    if_match_actions = ("completion",)

    def base_queryset(self) -> QuerySet[Task]:
        return visible_tasks(self.request.user).order_by("plan_id", "order", "id")  # type: ignore[arg-type]

    def get_queryset(self) -> QuerySet[Task]:
        return self.base_queryset()  # visible_tasks is already scoped by the policy

    def _fresh(self, task: Task) -> Response:
        task = self.get_queryset().get(pk=task.pk)
        return self.conditional(
            self.request, task, s.TaskSerializer(task, context=self.get_serializer_context()).data
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        form = s.TaskUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if {"status", "progress"} & data.keys():
            require(request.user, Action.UPDATE_PROGRESS, task)
        if "due_date" in data:
            require(request.user, Action.EDIT_DEADLINE, task)
        expected: int | None = check_if_match(request, task)
        actor: Any = request.user
        try:
            with transaction.atomic():
                if {"status", "progress"} & data.keys():
                    task = task_update_progress(
                        actor=actor,
                        task=task,
                        expected_version=task.version if expected is None else expected,
                        status=data.get("status"),
                        progress=data.get("progress"),
                        reason=data.get("reason", ""),
                    )
                    expected = None  # checked; the version may have moved on by our own change
                if "due_date" in data:
                    task = task_set_due_date(
                        actor=actor,
                        task=task,
                        due_date=data["due_date"],
                        expected_version=expected,
                        reason=data.get("reason", ""),
                    )
        except ConflictError as exc:
            raise lost_race(exc) from None
        return self._fresh(task)

    @extend_schema(tags=["tasks"], responses=s.HistoryEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        """The audit trail: who changed what and when, newest first."""
        task = self.get_object()
        return Response(s.HistoryEntrySerializer(task_changes(task), many=True).data)

    @extend_schema(
        tags=["reports"],
        request={
            "multipart/form-data": s.ProgressReportUploadSerializer,
            "application/json": s.ProgressReportCreateSerializer,
        },
        responses={201: s.ProgressReportSerializer},
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        filter_backends=[],
    )
    def reports(self, request: Request, pk: str) -> Response:
        """Submit a progress report (进展填报) for a period, with evidence files (``files``)."""
        task = self.get_object()
        form = s.ProgressReportCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        report = progress_report_submit(
            actor=cast(Any, request.user),
            task=task,
            text=data["text"],
            percent=data["percent"],
            period=data["period"],
            attachments=request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else [],
        )
        return Response(ReportViewSet.serialize(report, request), status=201)

    @extend_schema(
        tags=["requests"],
        request=s.CompletionRequestSerializer,
        responses={201: s.TaskRequestSerializer},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def completion(self, request: Request, pk: str) -> Response:
        """The lead department asks for the task to be accepted as completed (needs If-Match)."""
        task = self.get_object()
        form = s.CompletionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        require(request.user, Action.REQUEST_COMPLETION, task)
        expected = check_if_match(request, task)
        try:
            task_request = workflow.completion_request(
                actor=cast(Any, request.user),
                task=task,
                expected_version=task.version if expected is None else expected,
                reason=form.validated_data.get("reason", ""),
            )
        except ConflictError as exc:
            raise lost_race(exc) from None
        return Response(s.TaskRequestSerializer(task_request).data, status=201)

    @extend_schema(
        tags=["requests"],
        request=s.ExtensionRequestSerializer,
        responses={201: s.TaskRequestSerializer},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def extension(self, request: Request, pk: str) -> Response:
        """The lead department asks the bureau to move the deadline later."""
        task = self.get_object()
        form = s.ExtensionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task_request = workflow.extension_request(
            actor=cast(Any, request.user),
            task=task,
            requested_due_date=form.validated_data["requested_due_date"],
            reason=form.validated_data["reason"],
        )
        return Response(s.TaskRequestSerializer(task_request).data, status=201)

    @extend_schema(tags=["tasks"], request=s.UrgeSerializer, responses={201: s.UrgeSerializer}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def urge(self, request: Request, pk: str) -> Response:
        """The bureau urges (催办) the task's departments; they are notified."""
        task = self.get_object()
        form = s.UrgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        urge = workflow.task_urge(
            actor=cast(Any, request.user), task=task, message=form.validated_data["message"]
        )
        return Response({"message": urge.message}, status=201)


@extend_schema_view(list=extend_schema(tags=["indicators"]), retrieve=extend_schema(tags=["indicators"]))
class IndicatorViewSet(ReadOnlyPolicyViewSet):
    """Numeric targets (指标) of the plans, with their readings."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.IndicatorSerializer
    filterset_class = filtersets.IndicatorFilterSet

    def base_queryset(self) -> QuerySet[Indicator]:
        return Indicator.objects.order_by("plan_id", "order", "id")

    @extend_schema(
        tags=["indicators"],
        methods=["GET"],
        responses=s.IndicatorReadingSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        tags=["indicators"],
        methods=["POST"],
        request=s.IndicatorReadingCreateSerializer,
        responses={201: s.IndicatorReadingSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def readings(self, request: Request, pk: str) -> Response:
        """GET: the readings, oldest first. POST: record a value (a second one the same day replaces it)."""
        indicator = self.get_object()
        if request.method == "POST":
            form = s.IndicatorReadingCreateSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            reading = indicator_reading_record(
                actor=cast(Any, request.user), indicator=indicator, **form.validated_data
            )
            return Response(s.IndicatorReadingSerializer(reading).data, status=201)
        readings = IndicatorReading.objects.filter(indicator=indicator).select_related("entered_by")
        return Response(s.IndicatorReadingSerializer(readings.order_by("observed_on", "id"), many=True).data)


def reports_with_attachments() -> QuerySet[ProgressReport]:
    return (
        ProgressReport.objects.select_related("department", "author", "reviewer")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


@extend_schema_view(list=extend_schema(tags=["reports"]), retrieve=extend_schema(tags=["reports"]))
class ReportViewSet(ReadOnlyPolicyViewSet):
    """Progress reports (进展填报) with links to their attachments."""

    read_action = Action.VIEW_TASK
    serializer_class = s.ProgressReportSerializer
    filterset_class = filtersets.ReportFilterSet
    sync_field = "updated_at"

    def base_queryset(self) -> QuerySet[ProgressReport]:
        return reports_with_attachments()

    @staticmethod
    def serialize(report: ProgressReport, request: Request) -> Any:
        report = reports_with_attachments().get(pk=report.pk)
        return s.ProgressReportSerializer(report, context={"request": request}).data

    @extend_schema(
        tags=["reports"],
        request=s.ReportReviewSerializer,
        responses=s.ProgressReportSerializer,
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request: Request, pk: str) -> Response:
        """The bureau accepts a report or returns it with a comment."""
        report = self.get_object()
        form = s.ReportReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = workflow.report_review(actor=cast(Any, request.user), report=report, **form.validated_data)
        return Response(self.serialize(report, request))


@extend_schema_view(list=extend_schema(tags=["requests"]), retrieve=extend_schema(tags=["requests"]))
class TaskRequestViewSet(ReadOnlyPolicyViewSet):
    """Completion (办结) and extension (延期) requests and where they stand."""

    read_action = Action.VIEW_TASK
    serializer_class = s.TaskRequestSerializer
    filterset_class = filtersets.TaskRequestFilterSet
    sync_field = "updated_at"

    def base_queryset(self) -> QuerySet[TaskRequest]:
        return TaskRequest.objects.select_related(
            "department", "requested_by", "signed_off_by", "decided_by"
        ).order_by("-created_at", "-id")

    @extend_schema(tags=["requests"], request=None, responses=s.TaskRequestSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="sign-off", filter_backends=[])
    def sign_off(self, request: Request, pk: str) -> Response:
        """The lead department's head signs a completion request off (签批) for the bureau."""
        task_request = workflow.completion_sign_off(actor=cast(Any, request.user), request=self.get_object())
        return Response(s.TaskRequestSerializer(task_request).data)

    @extend_schema(
        tags=["requests"], request=s.DecisionSerializer, responses=s.TaskRequestSerializer, filters=False
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decision(self, request: Request, pk: str) -> Response:
        """Approve or return a completion request; approve or refuse an extension request."""
        task_request = self.get_object()
        form = s.DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        actor: Any = request.user
        approve, comment = form.validated_data["approve"], form.validated_data.get("comment", "")
        if task_request.kind == "extension":
            task_request = workflow.extension_decide(
                actor=actor, request=task_request, approve=approve, comment=comment
            )
        elif approve:
            task_request = workflow.completion_approve(actor=actor, request=task_request, comment=comment)
        else:
            task_request = workflow.completion_return(actor=actor, request=task_request, comment=comment)
        return Response(s.TaskRequestSerializer(task_request).data)


@extend_schema_view(list=extend_schema(tags=["notifications"]))
class NotificationViewSet(ReadOnlyPolicyViewSet):
    """The caller's own notifications (提醒与消息), newest first."""

    read_action = Action.VIEW_OWN_NOTIFICATIONS
    serializer_class = s.NotificationSerializer
    filterset_class = filtersets.NotificationFilterSet
    etag_detail = False

    def base_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.order_by("-created_at", "-id")

    @extend_schema(
        tags=["notifications"],
        request=s.MarkReadSerializer,
        responses=s.MarkReadResultSerializer,
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="mark-read", filter_backends=[], pagination_class=None)
    def mark_read(self, request: Request) -> Response:
        """Mark these notifications (or all of them) read."""
        form = s.MarkReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ids = form.validated_data.get("ids")
        return Response({"marked": notifications_mark_read(actor=cast(Any, request.user), ids=ids)})


class AttachmentDownloadView(APIView):
    """The file of a report's attachment, as a download (409 when the stored file fails its
    integrity check: digest, size or sniffed type differ from the upload's)."""

    extra_error_codes = (409,)

    @extend_schema(
        tags=["reports"],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="文件内容"),
        },
        operation_id="attachments_download",
    )
    def get(self, request: Request, pk: int) -> FileResponse | Response:
        attachment = get_for(request.user, Action.VIEW_TASK, Attachment.objects.all(), pk=pk)
        try:
            handle, content_type, name = attachment_open(actor=cast(Any, request.user), attachment=attachment)
        except AttachmentIntegrityError as error:
            return problem_response(409, "attachment_integrity", error.message)
        return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


class PlanFiguresSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    lights = serializers.DictField(child=serializers.IntegerField())
    overdue = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_on_time = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)


class DepartmentFiguresSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    led = serializers.IntegerField()
    shared = serializers.IntegerField()
    completed_on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    reports_missing = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer[Any]):
    plans = PlanFiguresSerializer(many=True)
    departments = DepartmentFiguresSerializer(many=True)


class DashboardView(APIView):
    """The dashboard's figures: per plan (status, lights, overdue, completion and on-time rates)
    and the department ranking, over what the caller may see."""

    @extend_schema(tags=["dashboard"], responses=DashboardSerializer, operation_id="dashboard_retrieve")
    def get(self, request: Request) -> Response:
        require(request.user, Action.VIEW_DASHBOARD)
        plans, tasks = dashboard_scope(cast(Any, request.user))
        return Response(
            {
                "plans": [
                    {
                        "id": f.plan.pk,
                        "title": f.plan.title,
                        "total": f.total,
                        "by_status": f.by_status,
                        "lights": f.lights,
                        "overdue": f.overdue,
                        "completed": f.completed,
                        "completed_on_time": f.completed_on_time,
                        "completion_rate": f.completion_rate,
                        "on_time_rate": f.on_time_rate,
                    }
                    for f in plan_figures(plans)
                ],
                "departments": [
                    {
                        "id": d.department.pk,
                        "name": d.department.name,
                        "rank": d.rank,
                        "led": d.led,
                        "shared": d.shared,
                        "completed_on_time": d.completed_on_time,
                        "overdue": d.overdue,
                        "reports_missing": d.reports_missing,
                    }
                    for d in department_ranking(tasks)
                ],
            }
        )
