"""Serializers of the work-plan API. Read shapes only: writes are validated here for form, then
carried out by the services (``tasks.services``), which check permission and state."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from departments.api.serializers import DepartmentRefSerializer, RegionRefSerializer, UserRefSerializer
from ipplan.api import fields

from .. import models
from .. import status as status_table
from ..choices import CLOSED_STATUSES, Light, TaskStatus
from ..indicators import format_quantity, format_target
from ..lights import LIGHT_BY_RANK

#: One DRF date-time field formats every timestamp as the generic path would (time zone, "Z").
_DATETIME = serializers.DateTimeField()


class PlanSerializer(serializers.ModelSerializer[models.Plan]):
    region = RegionRefSerializer()
    task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = models.Plan
        fields = [
            "id",
            "title",
            "doc_number",
            "issuer",
            "issued_on",
            "period_start",
            "period_end",
            "status",
            "region",
            "report_cadence",
            "report_day",
            "source_name",
            "task_count",
            "version",
            "created_at",
            "updated_at",
        ]


class SectionSerializer(serializers.ModelSerializer[models.Section]):
    class Meta:
        model = models.Section
        fields = ["id", "plan", "parent", "label", "title", "path", "order", "version"]


class AssignmentSerializer(serializers.ModelSerializer[models.Assignment]):
    department = DepartmentRefSerializer()

    class Meta:
        model = models.Assignment
        fields = ["department", "role", "order"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "一项进行中的任务",
            response_only=True,
            value={
                "id": 12,
                "plan": 1,
                "section": 3,
                "path": "二.(一).1",
                "number": 1,
                "order": 4,
                "title": "培育高价值专利",
                "full_text": "培育高价值专利。(牵头单位:市科技局;责任单位:市财政局)",
                "deadline_text": "2026年12月底前",
                "start_date": None,
                "due_date": "2026-12-31",
                "status": "in_progress",
                "progress": 60,
                "version": 4,
                "completed_at": None,
                "is_overdue": False,
                "light": "green",
                "assignments": [
                    {"department": {"id": 7, "name": "市科技局"}, "role": "lead", "order": 0},
                    {"department": {"id": 9, "name": "市财政局"}, "role": "responsible", "order": 0},
                ],
                "created_at": "2026-03-02T10:15:00+08:00",
                "updated_at": "2026-11-20T16:40:12.483920+08:00",
            },
        )
    ]
)
class TaskSerializer(serializers.ModelSerializer[models.Task]):
    assignments = AssignmentSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    light = serializers.SerializerMethodField()
    former_paths = serializers.SerializerMethodField(
        help_text="任务调整章节前用过的编号路径(按 path 过滤时也能找到)"
    )

    class Meta:
        model = models.Task
        fields = [
            "id",
            "plan",
            "section",
            "path",
            "number",
            "order",
            "title",
            "full_text",
            "deadline_text",
            "start_date",
            "due_date",
            "status",
            "progress",
            "version",
            "completed_at",
            "cancel_reason",
            "merged_into",
            "split_from",
            "former_paths",
            "is_overdue",
            "light",
            "assignments",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_former_paths(self, task: models.Task) -> list[str]:
        return [alias.path for alias in task.path_aliases.all()]

    @extend_schema_field(serializers.ChoiceField(choices=Light.choices))
    def get_light(self, task: models.Task) -> str:
        return str(getattr(task, "light_value", None) or task.light)

    def to_representation(self, instance: models.Task) -> dict[str, Any]:
        """The same dictionary DRF builds field by field (``stock_representation``; a test holds
        them equal), built directly: on a page of 100 tasks the generic path is most of the
        request's time."""
        task = instance
        today = getattr(self, "_today", None)
        if today is None:
            today = self._today = models.local_today()
        moment = _DATETIME.to_representation
        return {
            "id": task.pk,
            "plan": task.plan_id,
            "section": task.section_id,
            "path": task.path,
            "number": task.number,
            "order": task.order,
            "title": task.title,
            "full_text": task.full_text,
            "deadline_text": task.deadline_text,
            "start_date": task.start_date.isoformat() if task.start_date else None,
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "status": task.status,
            "progress": task.progress,
            "version": task.version,
            "completed_at": moment(task.completed_at) if task.completed_at else None,
            "cancel_reason": task.cancel_reason,
            "merged_into": task.merged_into_id,
            "split_from": task.split_from_id,
            "former_paths": self.get_former_paths(task),
            "is_overdue": task.is_overdue_on(today),
            "light": self.get_light(task),
            "assignments": [
                {
                    "department": {"id": a.department.pk, "name": a.department.name},
                    "role": a.role,
                    "order": a.order,
                }
                for a in task.assignments.all()
            ],
            "created_at": moment(task.created_at),
            "updated_at": moment(task.updated_at),
        }

    def stock_representation(self, instance: models.Task) -> dict[str, Any]:
        return dict(super().to_representation(instance))


#: The task columns a list page reads (``task_rows_representation``), beside ``light_rank``.
TASK_LIST_COLUMNS = (
    "id", "plan_id", "section_id", "path", "number", "order", "title", "full_text", "deadline_text",
    "start_date", "due_date", "status", "progress", "version", "completed_at", "cancel_reason",
    "merged_into_id", "split_from_id", "created_at", "updated_at",
)  # fmt: skip


def task_rows_representation(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of tasks read as ``values(*TASK_LIST_COLUMNS, "light_rank")``, shaped exactly as
    ``TaskSerializer`` shapes a task (a test holds them equal), with two more queries for the
    whole page (assignments with their department names, former paths) and no model objects:
    building ~700 objects was most of a page's time."""
    ids = [row["id"] for row in rows]
    assignments: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for task_id, department_id, name, role, order in (
        models.Assignment.objects.filter(task_id__in=ids)
        .order_by("role", "order", "id")
        .values_list("task_id", "department_id", "department__name", "role", "order")
    ):
        assignments[task_id].append(
            {"department": {"id": department_id, "name": name}, "role": role, "order": order}
        )
    former: dict[int, list[str]] = {pk: [] for pk in ids}
    for task_id, path in (
        models.TaskPathAlias.objects.filter(task_id__in=ids)
        .order_by("created_at", "id")
        .values_list("task_id", "path")
    ):
        former[task_id].append(path)
    today = models.local_today()
    moment = _DATETIME.to_representation
    closed = {str(status) for status in CLOSED_STATUSES}
    return [
        {
            "id": row["id"],
            "plan": row["plan_id"],
            "section": row["section_id"],
            "path": row["path"],
            "number": row["number"],
            "order": row["order"],
            "title": row["title"],
            "full_text": row["full_text"],
            "deadline_text": row["deadline_text"],
            "start_date": row["start_date"].isoformat() if row["start_date"] else None,
            "due_date": row["due_date"].isoformat() if row["due_date"] else None,
            "status": row["status"],
            "progress": row["progress"],
            "version": row["version"],
            "completed_at": moment(row["completed_at"]) if row["completed_at"] else None,
            "cancel_reason": row["cancel_reason"],
            "merged_into": row["merged_into_id"],
            "split_from": row["split_from_id"],
            "former_paths": former[row["id"]],
            # Task.is_overdue_on, on the row
            "is_overdue": row["status"] not in closed
            and row["due_date"] is not None
            and row["due_date"] < today,
            "light": LIGHT_BY_RANK[row["light_rank"]].value,
            "assignments": assignments[row["id"]],
            "created_at": moment(row["created_at"]),
            "updated_at": moment(row["updated_at"]),
        }
        for row in rows
    ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "牵头单位更新进度", request_only=True, value={"progress": 60, "reason": "已完成专利导航项目立项"}
        ),
        OpenApiExample("知识产权局调整完成时限", request_only=True, value={"due_date": "2027-03-31"}),
        OpenApiExample(
            "知识产权局修订任务内容",
            request_only=True,
            value={"title": "培育高价值专利组合", "full_text": "……"},
        ),
    ]
)
class TaskUpdateSerializer(serializers.Serializer[Any]):
    """What a PATCH may change. Status and progress: the lead department; the deadline, the title
    and the text: the bureau. Cancelling and restoring have their own operations."""

    title = fields.CharField(required=False, max_length=500)
    full_text = fields.CharField(required=False, allow_blank=True, max_length=20000, trim_whitespace=False)
    status = serializers.ChoiceField(
        choices=TaskStatus.choices,
        required=False,
        help_text="牵头单位可直接设置的状态(任务状态表的直接修改):"
        + "、".join(str(value) for value in status_table.targets_of(status_table.Door.DIRECT))
        + ";其余状态只能经办结申请、审核、取消或恢复产生,在此设置返回 409。",
    )
    progress = fields.IntegerField(min_value=0, max_value=100, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    reason = fields.CharField(
        required=False, allow_blank=True, max_length=500, write_only=True, trim_whitespace=False
    )


class HistoryChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = UserRefSerializer(allow_null=True)
    type = serializers.ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    reason = serializers.CharField()
    version = serializers.IntegerField()
    changes = HistoryChangeSerializer(many=True)


class IndicatorSerializer(serializers.ModelSerializer[models.Indicator]):
    """Machine values (the value in the unit as written, its ``multiplier``: 8.5 万件 is 8.5 and
    10000) plus ``display``, the target as the pages print it (≥ 40%, 新增 1,500 件)."""

    multiplier = serializers.IntegerField(read_only=True)
    display = serializers.SerializerMethodField()

    class Meta:
        model = models.Indicator
        fields = [
            "id",
            "plan",
            "section",
            "task",
            "name",
            "unit",
            "comparator",
            "basis",
            "baseline",
            "baseline_year",
            "target_value",
            "target_year",
            "order",
            "multiplier",
            "display",
        ]

    def get_display(self, obj: models.Indicator) -> str:
        return format_target(obj)


class IndicatorReadingSerializer(serializers.ModelSerializer[models.IndicatorReading]):
    entered_by = UserRefSerializer(read_only=True, allow_null=True)
    display = serializers.SerializerMethodField()

    class Meta:
        model = models.IndicatorReading
        fields = [
            "id",
            "indicator",
            "value",
            "display",
            "observed_on",
            "note",
            "entered_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "indicator", "entered_by", "created_at", "updated_at"]

    def get_display(self, obj: models.IndicatorReading) -> str:
        """The value as the pages print it, in the unit of the readings (8.5 万件; % for 提高…个百分点)."""
        return format_quantity(obj.value, obj.indicator.reading_unit)


class IndicatorReadingCreateSerializer(serializers.Serializer[Any]):
    value = fields.DecimalField(max_digits=20, decimal_places=4)
    observed_on = serializers.DateField()
    note = fields.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)


class PhaseSerializer(serializers.ModelSerializer[models.Phase]):
    class Meta:
        model = models.Phase
        fields = ["id", "plan", "name", "start", "end", "order"]


class AttachmentSerializer(serializers.ModelSerializer[models.Attachment]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = models.Attachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "digest_algorithm",
            "digest",
            "download_url",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: models.Attachment) -> str:
        path = reverse("api-attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ProgressReportSerializer(serializers.ModelSerializer[models.ProgressReport]):
    department = DepartmentRefSerializer()
    author = UserRefSerializer()
    reviewer = UserRefSerializer(allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = models.ProgressReport
        fields = [
            "id",
            "task",
            "department",
            "author",
            "period",
            "text",
            "percent",
            "review_status",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "attachments",
            "supersedes",
            "created_at",
            "updated_at",
        ]
        # a correction names the report it supersedes (evidence is append-only; both are listed)
        read_only_fields = ["supersedes"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "月度填报",
            request_only=True,
            value={"text": "已组织 3 家企业申报高价值专利培育项目。", "percent": 40, "period": "2026-11"},
        )
    ]
)
class ProgressReportCreateSerializer(serializers.Serializer[Any]):
    text = fields.CharField(max_length=20000, trim_whitespace=False)
    percent = fields.IntegerField(min_value=0, max_value=100)
    period = fields.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$", help_text="2026-11 或 2026-Q4")


class ProgressReportUploadSerializer(ProgressReportCreateSerializer):
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, help_text="附件(最多 10 个,每个 20 MB)"
    )


class ReportReviewSerializer(serializers.Serializer[Any]):
    accept = fields.BooleanField()
    comment = fields.CharField(required=False, allow_blank=True, max_length=2000, trim_whitespace=False)


class TaskRequestSerializer(serializers.ModelSerializer[models.TaskRequest]):
    department = DepartmentRefSerializer()
    requested_by = UserRefSerializer()
    signed_off_by = UserRefSerializer(allow_null=True)
    decided_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = models.TaskRequest
        fields = [
            "id",
            "task",
            "kind",
            "state",
            "department",
            "requested_by",
            "reason",
            "requested_due_date",
            "previous_due_date",
            "signed_off_by",
            "signed_off_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "created_at",
            "updated_at",
        ]


class CompletionRequestSerializer(serializers.Serializer[Any]):
    reason = fields.CharField(required=False, allow_blank=True, max_length=2000, trim_whitespace=False)


class ExtensionRequestSerializer(serializers.Serializer[Any]):
    requested_due_date = serializers.DateField()
    reason = fields.CharField(max_length=2000, trim_whitespace=False)


class DecisionSerializer(serializers.Serializer[Any]):
    approve = fields.BooleanField(help_text="true 批准;false 退回(完成申请)或不批准(延期申请)")
    comment = fields.CharField(required=False, allow_blank=True, max_length=2000, trim_whitespace=False)


class UrgeSerializer(serializers.Serializer[Any]):
    message = fields.CharField(max_length=2000, trim_whitespace=False)


# --- plan maintenance ----------------------------------------------------------------------------


#: Ids are database integers: a larger number is refused as input (400), not sent to the database.
ID_MAX = 2_147_483_647


def department_ids(**kwargs: Any) -> serializers.ListField:
    """A list of department ids (each field needs its own child instance)."""
    return serializers.ListField(
        child=fields.IntegerField(min_value=1, max_value=ID_MAX), max_length=100, **kwargs
    )


class DepartmentSetSerializer(serializers.Serializer[Any]):
    """Departments by role, as ids of the department registry (lead first; one role each)."""

    lead = department_ids(help_text="牵头单位 id(至少一个)")
    responsible = department_ids(required=False, help_text="责任单位 id")
    cooperating = department_ids(required=False, help_text="配合单位 id")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "机构改革后改由市市场监管局牵头",
            request_only=True,
            value={"lead": [12], "responsible": [9], "cooperating": [], "reason": "机构改革"},
        )
    ]
)
class AssignmentSetSerializer(DepartmentSetSerializer):
    reason = fields.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)


class TaskSplitSerializer(serializers.Serializer[Any]):
    title = fields.CharField(max_length=500, help_text="新任务的名称")
    full_text = fields.CharField(required=False, allow_blank=True, max_length=20000, trim_whitespace=False)
    remaining_title = fields.CharField(required=False, max_length=500, help_text="原任务保留部分的名称(可选)")
    remaining_text = fields.CharField(
        required=False, allow_blank=True, max_length=20000, trim_whitespace=False
    )
    lead = department_ids(required=False, help_text="新任务的牵头单位;省略则沿用原任务的单位")
    responsible = department_ids(required=False)
    cooperating = department_ids(required=False)


class TaskMergeSerializer(serializers.Serializer[Any]):
    other = fields.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="并入本任务的另一任务 id(同一方案);它将被取消并指向本任务"
    )
    other_version = fields.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        help_text="另一任务的版本(可选;给出时版本不一致返回 412)",
    )
    reason = fields.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)


class TaskMoveSerializer(serializers.Serializer[Any]):
    section = fields.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="同一方案中的目标章节 id;任务取该章节的下一个编号"
    )


class TaskCancelSerializer(serializers.Serializer[Any]):
    reason = fields.CharField(max_length=2000, trim_whitespace=False, help_text="取消原因(必填)")


class TaskRestoreSerializer(serializers.Serializer[Any]):
    reason = fields.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "领导交办的新任务",
            request_only=True,
            value={"section": 3, "title": "建设知识产权保护中心", "lead": [7], "due_date": "2027-06-30"},
        )
    ]
)
class PlanTaskCreateSerializer(DepartmentSetSerializer):
    section = fields.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="该方案的章节 id;任务取该章节的下一个编号"
    )
    title = fields.CharField(max_length=500)
    full_text = fields.CharField(required=False, allow_blank=True, max_length=20000, trim_whitespace=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class SectionUpdateSerializer(serializers.Serializer[Any]):
    """A PATCH: fields left out keep their value."""

    title = fields.CharField(required=False, max_length=300)


class PlanUpdateSerializer(serializers.Serializer[Any]):
    title = fields.CharField(required=False, max_length=300)
    doc_number = fields.CharField(required=False, allow_blank=True, max_length=100)
    issuer = fields.CharField(required=False, allow_blank=True, max_length=200)
    issued_on = serializers.DateField(required=False, allow_null=True)
    period_start = fields.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2200)
    period_end = fields.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2200)
