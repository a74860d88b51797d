"""The work-plan API: reads start from the permission policy, writes call the same services as
the browser. Task writes need the task's ETag in ``If-Match``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.http import signed_in
from departments.models import Department
from ipplan.api.actions import object_action, validated
from ipplan.api.errors import RuleViolation, lost_race, problem_response
from ipplan.api.etag import check_if_match
from ipplan.api.views import ReadOnlyPolicyViewSet
from ipplan.exceptions import ConflictError
from ipplan.generic import RestrictedGenericAPIView
from ipplan.permissions import Action, get_for, require

from .. import filtersets, models
from ..dashboards import dashboard_scope, department_ranking, plan_figures, ranking_departments
from ..downloads import attachment_response
from ..selectors import task_assignments_prefetch, task_changes, visible_tasks
from ..services import maintenance, workflow
from ..services.attachments import AttachmentIntegrityError
from ..services.maintenance import Departments
from ..services.plans import indicator_reading_record
from ..services.progress import progress_report_submit, task_set_due_date, task_update_progress
from . import serializers as s

T = TypeVar("T")


def _maintainable(request: Request, obj: Any) -> int:
    """The caller must maintain the plan of ``obj`` (403) and send its ETag (428/412); returns
    the version the service checks again under the row lock (``*``: the version just read)."""
    require(request.user, Action.MAINTAIN_PLAN, obj)
    expected = check_if_match(request, obj)
    return int(obj.version) if expected is None else expected


def _maintain(request: Request, obj: Any, service: Callable[..., T], **arguments: Any) -> T:
    """Run a maintenance service on ``obj`` (its plan maintained by the caller, its ETag sent),
    the caller as actor; a version lost under the row lock is a 412."""
    expected = _maintainable(request, obj)
    try:
        return service(actor=signed_in(request), expected_version=expected, **arguments)
    except ConflictError as exc:
        raise lost_race(exc) from None


def _departments(
    request: Request, data: dict[str, Any], *, fallback: Departments | None = None
) -> Departments:
    """Department ids by role, resolved among the departments the caller may see (422 otherwise:
    well-formed, but naming no department the caller can assign)."""
    roles = ("lead", "responsible", "cooperating")
    if fallback is not None and not any(role in data for role in roles):
        return fallback
    wanted = {role: list(data.get(role) or []) for role in roles}
    ids = {pk for role in roles for pk in wanted[role]}
    found = Department.objects.restrict(request.user, Action.VIEW_DEPARTMENT).in_bulk(list(ids))
    errors = {
        role: [_("单位 %(id)s 不存在或不可见。") % {"id": pk} for pk in wanted[role] if pk not in found]
        for role in roles
    }
    errors = {role: messages for role, messages in errors.items() if messages}
    if errors:
        raise RuleViolation(errors)
    return Departments(*[[found[pk] for pk in wanted[role]] for role in roles])


class InPlanOrder:
    """A viewset of a plan's parts (sections, phases, indicators): in each plan, in document order."""

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("plan_id", "order", "id")


@extend_schema_view(
    list=extend_schema(tags=["plans"]),
    retrieve=extend_schema(tags=["plans"]),
    partial_update=extend_schema(tags=["plans"], request=s.PlanUpdateSerializer, responses=s.PlanSerializer),
)
class PlanViewSet(ReadOnlyPolicyViewSet):
    """Work plans (工作方案) in the caller's region and the regions below it.

    PATCH changes the plan's metadata (title, 文号, issuer, issue date, period; the bureau, with
    ``If-Match``); POST ``/plans/{id}/tasks/`` adds a task to one of its sections."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.PlanSerializer
    filterset_class = filtersets.PlanFilterSet
    sync_field = "updated_at"
    http_method_names = ["get", "post", "patch", "head", "options"]

    model = models.Plan

    def narrow(self, queryset: QuerySet[models.Plan]) -> QuerySet[models.Plan]:
        return (
            queryset.select_related("region").annotate(task_count=Count("tasks")).order_by("-issued_on", "id")
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        data = validated(s.PlanUpdateSerializer, request)
        period = None
        if "period_start" in data or "period_end" in data:
            period = (data.get("period_start", plan.period_start), data.get("period_end", plan.period_end))
        plan = _maintain(
            request,
            plan,
            maintenance.plan_edit,
            plan=plan,
            title=data.get("title"),
            doc_number=data.get("doc_number"),
            issuer=data.get("issuer"),
            issued_on=data.get("issued_on", maintenance.KEEP),
            period=period,
        )
        plan = self.get_queryset().get(pk=plan.pk)
        return self.conditional(request, plan, self.get_serializer(plan).data)

    @object_action(
        "plans", request=s.PlanTaskCreateSerializer, responses={201: s.TaskSerializer}, url_path="tasks"
    )
    def add_task(self, request: Request, pk: str) -> Response:
        """Add a task at the end of a section of the plan (the bureau): it takes the section's next
        number; its departments are told."""
        plan = self.get_object()
        data = validated(s.PlanTaskCreateSerializer, request)
        require(request.user, Action.MAINTAIN_PLAN, plan)
        section = models.Section.objects.filter(pk=data["section"], plan=plan).first()
        if section is None:
            raise RuleViolation({"section": [_("该方案没有这个章节。")]})
        task = maintenance.task_add(
            actor=signed_in(request),
            section=section,
            title=data["title"],
            full_text=data.get("full_text", ""),
            due_date=data.get("due_date"),
            departments=_departments(request, data),
        )
        task = visible_tasks(signed_in(request)).get(pk=task.pk)
        return Response(s.TaskSerializer(task).data, status=201)


@extend_schema_view(
    list=extend_schema(tags=["plans"]),
    retrieve=extend_schema(tags=["plans"]),
    partial_update=extend_schema(
        tags=["plans"], request=s.SectionUpdateSerializer, responses=s.SectionSerializer
    ),
)
class SectionViewSet(InPlanOrder, ReadOnlyPolicyViewSet):
    """Sections (章节) of the plans: a tree by ``parent``; ``path`` is like ``二.3``. PATCH changes
    a section's title (the bureau, with ``If-Match``)."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.SectionSerializer
    filterset_class = filtersets.SectionFilterSet
    http_method_names = ["get", "patch", "head", "options"]

    model = models.Section

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        section = self.get_object()
        data = validated(s.SectionUpdateSerializer, request)
        section = _maintain(
            request, section, maintenance.section_edit, section=section, title=data.get("title")
        )
        return self.conditional(request, section, self.get_serializer(section).data)


@extend_schema_view(list=extend_schema(tags=["plans"]), retrieve=extend_schema(tags=["plans"]))
class PhaseViewSet(InPlanOrder, ReadOnlyPolicyViewSet):
    """Phases (阶段) of the plans, with their dates."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.PhaseSerializer
    filterset_class = filtersets.PhaseFilterSet

    model = models.Phase


@extend_schema_view(
    list=extend_schema(tags=["tasks"]),
    retrieve=extend_schema(tags=["tasks"]),
    partial_update=extend_schema(tags=["tasks"], request=s.TaskUpdateSerializer, responses=s.TaskSerializer),
)
class TaskViewSet(ReadOnlyPolicyViewSet):
    """Tasks (任务) with their departments, derived ``is_overdue`` and ``light`` (红黄绿灯).

    PATCH changes ``status``/``progress`` (the lead department), ``due_date``, ``title`` and
    ``full_text`` (the bureau); it needs ``If-Match`` with the task's ETag and answers 412 when
    someone changed it first. Plan maintenance (the bureau, with ``If-Match``): PUT
    ``assignments/`` (the departments per role), POST ``split/``, ``merge/``, ``move/``,
    ``cancel/``, ``restore/``.
    """

    read_action = Action.VIEW_TASK
    serializer_class = s.TaskSerializer
    filterset_class = filtersets.TaskFilterSet
    sync_field = "updated_at"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    if_match_actions = ("completion", "assignments", "split", "merge", "move", "cancel", "restore")

    model = models.Task

    def narrow(self, queryset: QuerySet[models.Task]) -> QuerySet[models.Task]:
        # The serializer shows the plan and the section as ids and needs only the light: no join
        # to the plan or the section, no urgency rank; departments and former paths prefetched.
        tasks = queryset.with_light(models.local_today())  # type: ignore[attr-defined]
        return tasks.prefetch_related(task_assignments_prefetch(), "path_aliases").order_by(
            "plan_id", "order", "id"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Pages read as rows, not objects (``task_rows_representation``), same shape."""
        tasks = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        rows = self.paginate_queryset(tasks.values(*s.TASK_LIST_COLUMNS, "light_rank"))
        assert rows is not None  # the API always pages
        return self.get_paginated_response(s.task_rows_representation(list(rows)))

    def _fresh(self, task: models.Task) -> Response:
        task = self.get_queryset().get(pk=task.pk)
        return self.conditional(
            self.request, task, s.TaskSerializer(task, context=self.get_serializer_context()).data
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        data = validated(s.TaskUpdateSerializer, request)
        if {"status", "progress"} & data.keys():
            require(request.user, Action.UPDATE_PROGRESS, task)
        if "due_date" in data:
            require(request.user, Action.EDIT_DEADLINE, task)
        if {"title", "full_text"} & data.keys():
            require(request.user, Action.MAINTAIN_PLAN, task)
        expected: int | None = check_if_match(request, task)
        actor = signed_in(request)
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
                    expected = None
                if {"title", "full_text"} & data.keys():
                    task = maintenance.task_edit(
                        actor=actor,
                        task=task,
                        expected_version=expected,
                        title=data.get("title"),
                        full_text=data.get("full_text"),
                        reason=data.get("reason", ""),
                    )
        except ConflictError as exc:
            raise lost_race(exc) from None
        return self._fresh(task)

    # --- plan maintenance (the bureau) ---------------------------------------------------------

    def _maintained(
        self,
        request: Request,
        service: Callable[..., models.Task],
        *,
        status: int = 200,
        task: models.Task | None = None,
        **arguments: Any,
    ) -> Response:
        """Run one maintenance service on the task (the caller as actor, the version from
        ``If-Match``, and ``arguments``); a version lost under the lock is a 412."""
        task = task or self.get_object()
        result = _maintain(request, task, service, task=task, **arguments)
        if status == 201:
            fresh = self.get_queryset().get(pk=result.pk)
            return Response(s.TaskSerializer(fresh, context=self.get_serializer_context()).data, status=201)
        return self._fresh(task)

    @object_action("tasks", request=s.AssignmentSetSerializer, responses=s.TaskSerializer, methods=["put"])
    def assignments(self, request: Request, pk: str) -> Response:
        """Replace the task's departments per role (lead, responsible, cooperating): departments
        that gain or lose the task, or change role, are told; ``task.reassigned`` is sent."""
        task = self.get_object()
        data = validated(s.AssignmentSetSerializer, request)
        departments = _departments(request, data)
        return self._maintained(
            request,
            maintenance.task_reassign,
            departments=departments,
            reason=data.get("reason", ""),
            task=task,
        )

    @object_action("tasks", request=s.TaskSplitSerializer, responses={201: s.TaskSerializer})
    def split(self, request: Request, pk: str) -> Response:
        """Split part of the task off into a new task (answered: the new task). The original keeps
        its status, reports and history; the new one starts fresh with the same departments
        unless others are given."""
        data = validated(s.TaskSplitSerializer, request)
        given = any(role in data for role in ("lead", "responsible", "cooperating"))
        departments = _departments(request, data) if given else None
        return self._maintained(
            request,
            maintenance.task_split,
            title=data["title"],
            full_text=data.get("full_text", ""),
            departments=departments,
            remaining_title=data.get("remaining_title"),
            remaining_text=data.get("remaining_text"),
            status=201,
        )

    @object_action("tasks", request=s.TaskMergeSerializer, responses=s.TaskSerializer)
    def merge(self, request: Request, pk: str) -> Response:
        """Merge another task of the same plan into this one: the other is cancelled with a pointer
        here (``merged_into``); its reports stay with it."""
        task = self.get_object()
        data = validated(s.TaskMergeSerializer, request)
        other = self.get_queryset().filter(pk=data["other"]).first()
        if other is None:
            raise RuleViolation({"other": [_("没有这个任务,或您无权查看。")]})
        return self._maintained(
            request,
            maintenance.task_merge,
            other=other,
            other_version=data.get("other_version"),
            reason=data.get("reason", ""),
            task=task,
        )

    @object_action("tasks", request=s.TaskMoveSerializer, responses=s.TaskSerializer)
    def move(self, request: Request, pk: str) -> Response:
        """Move the task to the end of another section of its plan: it takes that section's next
        number; the old path stays in ``former_paths`` and the ``path`` filter still finds it."""
        data = validated(s.TaskMoveSerializer, request)
        section = models.Section.objects.filter(pk=data["section"]).first()

        def move(*, task: models.Task, **arguments: Any) -> models.Task:
            if section is None or section.plan_id != task.plan_id:
                raise RuleViolation({"section": [_("该方案没有这个章节。")]})
            return maintenance.task_move(task=task, section=section, **arguments)

        return self._maintained(request, move)

    @object_action("tasks", request=s.TaskCancelSerializer, responses=s.TaskSerializer)
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel the task with a reason (status ``cancelled``): it leaves the figures, stays
        listed, and can be restored; pending requests are withdrawn."""
        data = validated(s.TaskCancelSerializer, request)
        return self._maintained(request, maintenance.task_cancel, reason=data["reason"])

    @object_action("tasks", request=s.TaskRestoreSerializer, responses=s.TaskSerializer)
    def restore(self, request: Request, pk: str) -> Response:
        """Restore a cancelled task to the status it had (进行中 if it was waiting for approval)."""
        data = validated(s.TaskRestoreSerializer, request)
        return self._maintained(request, maintenance.task_restore, reason=data.get("reason", ""))

    @object_action(
        "tasks", responses=s.HistoryEntrySerializer(many=True), methods=["get"], pagination_class=None
    )
    def history(self, request: Request, pk: str) -> Response:
        """The audit trail: who changed what and when, newest first."""
        task = self.get_object()
        return Response(s.HistoryEntrySerializer(task_changes(task), many=True).data)

    @object_action(
        "reports",
        request={
            "multipart/form-data": s.ProgressReportUploadSerializer,
            "application/json": s.ProgressReportCreateSerializer,
        },
        responses={201: s.ProgressReportSerializer},
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def reports(self, request: Request, pk: str) -> Response:
        """Submit a progress report (进展填报) for a period, with evidence files (``files``)."""
        task = self.get_object()
        data = validated(s.ProgressReportCreateSerializer, request)
        report = progress_report_submit(
            actor=signed_in(request),
            task=task,
            text=data["text"],
            percent=data["percent"],
            period=data["period"],
            attachments=request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else [],
        )
        return Response(ReportViewSet.serialize(report, request), status=201)

    @object_action(
        "requests", request=s.CompletionRequestSerializer, responses={201: s.TaskRequestSerializer}
    )
    def completion(self, request: Request, pk: str) -> Response:
        """The lead department asks for the task to be accepted as completed (needs If-Match)."""
        task = self.get_object()
        data = validated(s.CompletionRequestSerializer, request)
        require(request.user, Action.REQUEST_COMPLETION, task)
        expected = check_if_match(request, task)
        try:
            task_request = workflow.completion_request(
                actor=signed_in(request),
                task=task,
                expected_version=task.version if expected is None else expected,
                reason=data.get("reason", ""),
            )
        except ConflictError as exc:
            raise lost_race(exc) from None
        return Response(s.TaskRequestSerializer(task_request).data, status=201)

    @object_action("requests", request=s.ExtensionRequestSerializer, responses={201: s.TaskRequestSerializer})
    def extension(self, request: Request, pk: str) -> Response:
        """The lead department asks the bureau to move the deadline later."""
        task = self.get_object()
        data = validated(s.ExtensionRequestSerializer, request)
        task_request = workflow.extension_request(
            actor=signed_in(request),
            task=task,
            requested_due_date=data["requested_due_date"],
            reason=data["reason"],
        )
        return Response(s.TaskRequestSerializer(task_request).data, status=201)

    @object_action("tasks", request=s.UrgeSerializer, responses={201: s.UrgeSerializer})
    def urge(self, request: Request, pk: str) -> Response:
        """The bureau urges (催办) the task's departments; they are notified."""
        task = self.get_object()
        data = validated(s.UrgeSerializer, request)
        urge = workflow.task_urge(actor=signed_in(request), task=task, message=data["message"])
        return Response({"message": urge.message}, status=201)


@extend_schema_view(list=extend_schema(tags=["indicators"]), retrieve=extend_schema(tags=["indicators"]))
class IndicatorViewSet(InPlanOrder, ReadOnlyPolicyViewSet):
    """Numeric targets (指标) of the plans, with their readings."""

    read_action = Action.VIEW_PLAN
    serializer_class = s.IndicatorSerializer
    filterset_class = filtersets.IndicatorFilterSet

    model = models.Indicator

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
            data = validated(s.IndicatorReadingCreateSerializer, request)
            reading = indicator_reading_record(actor=signed_in(request), indicator=indicator, **data)
            return Response(s.IndicatorReadingSerializer(reading).data, status=201)
        readings = models.IndicatorReading.objects.filter(indicator=indicator).select_related(
            "entered_by", "indicator"
        )
        return Response(s.IndicatorReadingSerializer(readings.order_by("observed_on", "id"), many=True).data)


def reports_with_attachments(reports: QuerySet[models.ProgressReport]) -> QuerySet[models.ProgressReport]:
    return (
        reports.select_related("department", "author", "reviewer")
        .prefetch_related(Prefetch("attachments", queryset=models.Attachment.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


@extend_schema_view(list=extend_schema(tags=["reports"]), retrieve=extend_schema(tags=["reports"]))
class ReportViewSet(ReadOnlyPolicyViewSet):
    """Progress reports (进展填报) with links to their attachments."""

    read_action = Action.VIEW_TASK
    serializer_class = s.ProgressReportSerializer
    filterset_class = filtersets.ReportFilterSet
    sync_field = "updated_at"

    model = models.ProgressReport

    def narrow(self, queryset: QuerySet[models.ProgressReport]) -> QuerySet[models.ProgressReport]:
        return reports_with_attachments(queryset)

    @staticmethod
    def serialize(report: models.ProgressReport, request: Request) -> Any:
        report = reports_with_attachments(models.ProgressReport.objects.all()).get(pk=report.pk)
        return s.ProgressReportSerializer(report, context={"request": request}).data

    @object_action("reports", request=s.ReportReviewSerializer, responses=s.ProgressReportSerializer)
    def review(self, request: Request, pk: str) -> Response:
        """The bureau accepts a report or returns it with a comment."""
        report = self.get_object()
        data = validated(s.ReportReviewSerializer, request)
        report = workflow.report_review(actor=signed_in(request), report=report, **data)
        return Response(self.serialize(report, request))


@extend_schema_view(list=extend_schema(tags=["requests"]), retrieve=extend_schema(tags=["requests"]))
class TaskRequestViewSet(ReadOnlyPolicyViewSet):
    """Completion (办结) and extension (延期) requests and where they stand."""

    read_action = Action.VIEW_TASK
    serializer_class = s.TaskRequestSerializer
    filterset_class = filtersets.TaskRequestFilterSet
    sync_field = "updated_at"

    model = models.TaskRequest

    def narrow(self, queryset: QuerySet[models.TaskRequest]) -> QuerySet[models.TaskRequest]:
        return queryset.select_related("department", "requested_by", "signed_off_by", "decided_by").order_by(
            "-created_at", "-id"
        )

    @object_action("requests", request=None, responses=s.TaskRequestSerializer, url_path="sign-off")
    def sign_off(self, request: Request, pk: str) -> Response:
        """The lead department's head signs a completion request off (签批) for the bureau."""
        task_request = workflow.completion_sign_off(actor=signed_in(request), request=self.get_object())
        return Response(s.TaskRequestSerializer(task_request).data)

    @object_action("requests", request=s.DecisionSerializer, responses=s.TaskRequestSerializer)
    def decision(self, request: Request, pk: str) -> Response:
        """Approve or return a completion request; approve or refuse an extension request."""
        task_request = self.get_object()
        data = validated(s.DecisionSerializer, request)
        actor = signed_in(request)
        approve, comment = data["approve"], data.get("comment", "")
        if task_request.kind == "extension":
            task_request = workflow.extension_decide(
                actor=actor, request=task_request, approve=approve, comment=comment
            )
        elif approve:
            task_request = workflow.completion_approve(actor=actor, request=task_request, comment=comment)
        else:
            task_request = workflow.completion_return(actor=actor, request=task_request, comment=comment)
        return Response(s.TaskRequestSerializer(task_request).data)


class AttachmentDownloadView(APIView):
    """The file of a report's attachment, as a download (409 when the stored file fails its
    integrity check: digest, size or sniffed type differ from the upload's)."""

    extra_error_codes = (409,)

    @extend_schema(
        tags=["reports"],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="文件内容"),
            302: OpenApiResponse(description="IPPLAN_DOWNLOADS=presigned:转到短时有效的签名地址"),
        },
        operation_id="attachments_download",
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        attachment = get_for(request.user, Action.VIEW_TASK, models.Attachment.objects.all(), pk=pk)
        try:
            return attachment_response(actor=request.user, attachment=attachment)
        except AttachmentIntegrityError as error:
            return problem_response(409, "attachment_integrity", error.message)


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
    kind = serializers.CharField(help_text="group: listed, never ranked")
    city = serializers.CharField(help_text="the department's city ('' at province level)")
    rank = serializers.IntegerField(allow_null=True, help_text="null: a group or no score")
    score = serializers.FloatField(allow_null=True, help_text="null: no part has data")
    led = serializers.IntegerField()
    shared = serializers.IntegerField()
    due = serializers.IntegerField()
    completed_on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="null: no task due (0/0)")
    reports_owed = serializers.IntegerField()
    reports_filed = serializers.IntegerField()
    report_rate = serializers.FloatField(allow_null=True, help_text="null: no report owed (0/0)")
    clean_rate = serializers.FloatField(allow_null=True, help_text="null: no open task (0/0)")
    overdue = serializers.IntegerField(help_text="open tasks overdue today")
    reports_missing = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer[Any]):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    plans = PlanFiguresSerializer(many=True)
    departments = DepartmentFiguresSerializer(many=True)


class DashboardView(APIView):
    """The dashboard's figures: per plan (status, lights, overdue, completion and on-time rates)
    and the department ranking (the assessment from 1 January to today: see the README's "How
    figures are computed"), over what the caller may see. A rate with no data (0/0) is null."""

    @extend_schema(tags=["dashboard"], responses=DashboardSerializer, operation_id="dashboard_retrieve")
    def get(self, request: Request) -> Response:
        require(request.user, Action.VIEW_DASHBOARD)
        user = signed_in(request)
        plans, _tasks = dashboard_scope(user)
        today = models.local_today()
        return Response(
            {
                "period_start": dt.date(today.year, 1, 1),
                "period_end": today,
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
                    for f in plan_figures(plans, today)
                ],
                "departments": [
                    {
                        "id": d.department.pk,
                        "name": d.department.name,
                        "kind": d.department.kind,
                        "city": d.city,
                        "rank": d.rank,
                        "score": d.score,
                        "led": d.led,
                        "shared": d.shared,
                        "due": d.due,
                        "completed_on_time": d.on_time,
                        "on_time_rate": d.on_time_rate,
                        "reports_owed": d.reports_owed,
                        "reports_filed": d.reports_filed,
                        "report_rate": d.report_rate,
                        "clean_rate": d.clean_rate,
                        "overdue": d.overdue_now,
                        "reports_missing": d.reports_missing,
                    }
                    for d in department_ranking(ranking_departments(user), today)
                ],
            }
        )


class AssessmentSnapshotSerializer(serializers.ModelSerializer[models.AssessmentSnapshot]):
    region = serializers.CharField(source="region.name")
    published_by = serializers.CharField(source="published_by.username")

    class Meta:
        model = models.AssessmentSnapshot
        fields = [
            "id",
            "title",
            "region",
            "start",
            "end",
            "published_by",
            "created_at",
            "weights",
            "rows",
            "cities",
        ]


class AssessmentSnapshotListView(RestrictedGenericAPIView):
    """Published rankings (考核结果) of the caller's region, newest first: each exactly as it was
    computed when the bureau published it."""

    model = models.AssessmentSnapshot
    read_action = Action.VIEW_ASSESSMENT
    serializer_class = AssessmentSnapshotSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def narrow(self, queryset: QuerySet[models.AssessmentSnapshot]) -> QuerySet[models.AssessmentSnapshot]:
        return queryset.select_related("region", "published_by").order_by("-created_at", "-id")

    @extend_schema(
        tags=["dashboard"],
        responses=AssessmentSnapshotSerializer(many=True),
        operation_id="assessment_snapshots_list",
    )
    def get(self, request: Request) -> Response:
        require(request.user, Action.VIEW_ASSESSMENT)
        rows = self.get_queryset()[:100]
        return Response(self.get_serializer(rows, many=True).data)
