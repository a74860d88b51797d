"""The work-plan domain: plans, sections, tasks, assignments, indicators, phases, reports,
requests and urges (notifications and reminder rules are the notifications app).

Overdue and the traffic light are derived (``Task.is_overdue``, ``Task.light``,
``TaskQuerySet.with_light``) from their one definition in ``tasks.lights``, never stored. Writes go through ``tasks.services``.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Department, Region
from ipplan.models import TimeStampedModel
from ipplan.restrict import RestrictManager, RestrictQuerySet
from planparser.indicators import split_unit

from . import lights as _lights
from .choices import (
    CLOSED_STATUSES,
    AssignmentRole,
    Comparator,
    ImportState,
    IndicatorBasis,
    Light,
    PlanStatus,
    ReportCadence,
    RequestKind,
    RequestState,
    ReviewStatus,
    TaskStatus,
)
from .lights import DUE_SOON_DAYS, LIGHT_BY_RANK, LOW_PROGRESS  # noqa: F401 (imported from here)


def local_today() -> dt.date:
    return timezone.localdate()


class Plan(TimeStampedModel):
    """One plan document (工作方案/实施方案/规划/推进计划) of a region."""

    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField(_("标题"), max_length=300)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    period_start = models.PositiveSmallIntegerField(_("起始年度"), null=True, blank=True)
    period_end = models.PositiveSmallIntegerField(_("截止年度"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    report_cadence = models.CharField(
        _("进展填报周期"), max_length=16, choices=ReportCadence.choices, default=ReportCadence.MONTHLY
    )
    report_day = models.PositiveSmallIntegerField(_("填报日"), default=25)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(verbose_name=_("方案变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["-issued_on", "title", "id"]
        verbose_name = _("工作方案")
        verbose_name_plural = _("工作方案")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="plan_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(report_day__gte=1, report_day__lte=28), name="plan_report_day_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def source_text(self) -> str:
        """The document's text (one query; it lives in ``PlanDocument``, written by the services)."""
        document = PlanDocument.objects.filter(plan_id=self.pk).values_list("text", flat=True).first()
        return document or ""


class PlanDocument(models.Model):
    """The full text of a plan's document, apart from the plan: a task row joined to its plan
    (``select_related("plan")``, on every list) must not carry hundreds of KB of text along."""

    plan = models.OneToOneField(
        Plan, verbose_name=_("工作方案"), on_delete=models.CASCADE, primary_key=True, related_name="document"
    )
    text = models.TextField(_("原文"), blank=True)

    class Meta:
        ordering = ["plan"]
        verbose_name = _("方案原文")
        verbose_name_plural = _("方案原文")

    def __str__(self) -> str:
        return f"{self.plan_id}: {len(self.text)}"


class Section(models.Model):
    """A heading of the plan (一、 or (一)); ``path`` joins the labels: ``二.(一)``."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("工作方案"), on_delete=models.CASCADE, related_name="sections"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级章节"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    label = models.CharField(_("序号"), max_length=20)
    title = models.CharField(_("标题"), max_length=300)
    path = models.CharField(_("路径"), max_length=100)
    order = models.PositiveIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    history = HistoricalRecords(verbose_name=_("章节变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = _("章节")
        verbose_name_plural = _("章节")
        constraints = [models.UniqueConstraint(fields=["plan", "path"], name="section_path_unique_in_plan")]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"


class TaskQuerySet(RestrictQuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, today: dt.date | None = None) -> TaskQuerySet:
        return self.filter(_lights.overdue_q(today or local_today()))

    def with_light(self, today: dt.date | None = None) -> TaskQuerySet:
        """Annotate ``light_rank`` (0 red, 1 yellow, 2 green, 3 done) in the database, by the rule
        of ``Task.light``: one CASE per row, which filters, ordering and counts reuse.
        ``Task.light_value`` reads it."""
        return self.annotate(light_rank=_lights.light_rank_expression(today or local_today()))


class Task(TimeStampedModel):
    """A numbered item of work in a plan, carried out by its assigned departments."""

    plan = models.ForeignKey(Plan, verbose_name=_("工作方案"), on_delete=models.CASCADE, related_name="tasks")
    section = models.ForeignKey(
        Section,
        verbose_name=_("章节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    path = models.CharField(_("编号路径"), max_length=100)
    number = models.PositiveIntegerField(_("序号"), default=0)
    order = models.PositiveIntegerField(_("排序"), default=0)
    title = models.CharField(_("任务"), max_length=500)
    full_text = models.TextField(_("全文"), blank=True)
    deadline_text = models.CharField(_("原文时限"), max_length=200, blank=True)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("状态"), max_length=24, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    status_before_cancel = models.CharField(
        _("取消前状态"), max_length=24, choices=TaskStatus.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("拆分自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="split_into",
    )
    departments: models.ManyToManyField[Department, Assignment] = models.ManyToManyField(
        Department, through="Assignment", verbose_name=_("承办单位"), related_name="tasks"
    )
    history = HistoricalRecords(verbose_name=_("任务变更记录"))

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        constraints = [
            models.UniqueConstraint(fields=["plan", "path"], name="task_path_unique_in_plan"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="task_progress_0_100"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="task_version_positive"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("start_date")),
                name="task_dates_ordered",
            ),
        ]
        indexes = [
            # Overdue is "open and due before today": the open tasks' due dates by plan, so that
            # counting a region's overdue tasks reads this small index alone (EXPLAIN in
            # benchmarks/README.md: 115-180 ms -> 23 ms for a province's 14,000).
            models.Index(
                fields=["plan", "due_date"],
                condition=~Q(status__in=CLOSED_STATUSES),
                name="task_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def is_overdue_on(self, today: dt.date) -> bool:
        """See ``tasks.lights.is_overdue``."""
        return _lights.is_overdue(status=self.status, due_date=self.due_date, today=today)

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on(local_today())

    def light_on(self, today: dt.date) -> Light:
        """See ``tasks.lights.light``."""
        return _lights.light(status=self.status, due_date=self.due_date, progress=self.progress, today=today)

    @property
    def light(self) -> Light:
        return self.light_on(local_today())

    @property
    def light_value(self) -> str:
        """The light the queryset annotated (``with_light``), else today's."""
        rank = self.__dict__.get("light_rank")
        return (LIGHT_BY_RANK[rank] if rank is not None else self.light).value


class TaskPathAlias(models.Model):
    """A path the task had before it was moved (二.(一).3 stays findable after it became 三.(二).5)."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="path_aliases"
    )
    path = models.CharField(_("原编号路径"), max_length=100, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["task", "created_at", "id"]
        verbose_name = _("原编号路径")
        verbose_name_plural = _("原编号路径")
        constraints = [models.UniqueConstraint(fields=["task", "path"], name="task_path_alias_unique")]

    def __str__(self) -> str:
        return f"{self.path} → {self.task.path}"


class Assignment(models.Model):
    """A department's role on a task: lead (牵头), responsible (责任) or cooperating (配合)."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignments"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=16, choices=AssignmentRole.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords(verbose_name=_("分工变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["task", "role", "order", "id"]
        verbose_name = _("任务分工")
        verbose_name_plural = _("任务分工")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "department", "role"], name="assignment_unique_task_department_role"
            ),
            models.CheckConstraint(condition=Q(role__in=AssignmentRole.values), name="assignment_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.task.path} {self.department.name} ({self.get_role_display()})"


class Indicator(models.Model):
    """A numeric target of the plan (每万人有效发明专利拥有量达到75件)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("工作方案"), on_delete=models.CASCADE, related_name="indicators"
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("章节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
    )
    name = models.CharField(_("指标"), max_length=500)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    comparator = models.CharField(
        _("比较"), max_length=2, choices=Comparator.choices, default=Comparator.AT_LEAST
    )
    basis = models.CharField(
        _("口径"),
        max_length=12,
        choices=IndicatorBasis.choices,
        default=IndicatorBasis.LEVEL,
        help_text=_("新增:数值从零计;累计:累计总量;提高/降低:相对基准值的变化"),
    )
    baseline = models.DecimalField(_("基准值"), max_digits=20, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("基准年度"), null=True, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4)
    target_year = models.PositiveSmallIntegerField(_("目标年度"), null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    objects = RestrictManager()

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        constraints = [
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="indicator_comparator_valid"
            ),
            models.CheckConstraint(
                condition=Q(basis__in=IndicatorBasis.values), name="indicator_basis_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def multiplier(self) -> int:
        """Of the unit as written (万件: 10000); the value is kept in the unit the plan used."""
        return split_unit(self.unit)[0]

    @property
    def reading_unit(self) -> str:
        """The unit readings are in: the target's own, except for a change (提高5个百分点 is read
        in %, 降低10% or 提高1倍 in the measure's unit, which the sentence does not name)."""
        if self.basis in (IndicatorBasis.RISE, IndicatorBasis.FALL):
            return {"个百分点": "%", "%": "", "‰": "", "倍": ""}.get(self.unit, self.unit)
        return self.unit


class IndicatorReading(TimeStampedModel):
    """A measured value of an indicator on a date."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="readings"
    )
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=4)
    observed_on = models.DateField(_("统计日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(verbose_name=_("指标数值变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["indicator", "observed_on", "id"]
        verbose_name = _("指标数值")
        verbose_name_plural = _("指标数值")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "observed_on"], name="indicator_reading_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.value} ({self.observed_on})"


class Phase(models.Model):
    """A dated stage of the plan (工作启动阶段 2023-08 — 2023-10)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("工作方案"), on_delete=models.CASCADE, related_name="phases"
    )
    name = models.CharField(_("阶段"), max_length=200)
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = RestrictManager()

    class Meta:
        ordering = ["plan", "order", "start", "id"]
        verbose_name = _("实施阶段")
        verbose_name_plural = _("实施阶段")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="phase_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProgressReport(TimeStampedModel):
    """A department's progress report (进展填报) on a task for one period."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="reports")
    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="reports"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.CharField(_("填报期"), max_length=10, help_text=_("如 2026-11 或 2026-Q4"))
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("完成进度(%)"))
    review_status = models.CharField(
        _("审核状态"),
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING,
        db_index=True,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # Evidence is append-only: a correction is a new report that supersedes this one, which stays.
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("更正的填报"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    history = HistoricalRecords(verbose_name=_("进展填报变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["task", "-created_at", "-id"]
        verbose_name = _("进展填报")
        verbose_name_plural = _("进展填报")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="report_percent_0_100"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="report_text_not_empty"),
        ]
        # The review queue counts and lists the pending reports of a region: a small partial index
        # instead of visiting every pending row through the review_status index (EXPLAIN in
        # benchmarks/README.md).
        indexes = [
            models.Index(
                fields=["task"], condition=Q(review_status="pending"), name="report_pending_task_idx"
            ),
            # A task's latest report (the ledger's column, one probe per task) and its reports in
            # the default order: the first entry of this index, no sort (EXPLAIN in benchmarks/README.md).
            models.Index(fields=["task", "-created_at", "-id"], name="report_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.path} {self.department.name} {self.period}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Stored under a generated name; the uploader's file name is kept in original_name only.
    return f"attachments/{timezone.now():%Y/%m}/{instance.token}"


class Attachment(TimeStampedModel):
    """An evidence file of a progress report, stored under a generated name."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展填报"), on_delete=models.CASCADE, related_name="attachments"
    )
    token = models.CharField(_("存储名"), max_length=64, unique=True)
    file = models.FileField(_("文件"), upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小"))
    digest = models.CharField(_("摘要"), max_length=128)
    #: The algorithm of ``digest`` (IPPLAN_FILE_DIGEST when stored), so old files stay verifiable.
    digest_algorithm = models.CharField(_("摘要算法"), max_length=16, default="sha256")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(verbose_name=_("附件变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class TaskRequest(TimeStampedModel):
    """A completion (办结) or deadline extension (延期) request by the lead department."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("类型"), max_length=16, choices=RequestKind.choices)
    state = models.CharField(_("状态"), max_length=20, choices=RequestState.choices, db_index=True)
    department = models.ForeignKey(
        Department, verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("申请理由"), blank=True)
    requested_due_date = models.DateField(_("申请延至"), null=True, blank=True)
    previous_due_date = models.DateField(_("原完成时限"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("签批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审核意见"), blank=True)
    history = HistoricalRecords(verbose_name=_("申请变更记录"))

    objects = RestrictManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("办结/延期申请")
        verbose_name_plural = _("办结/延期申请")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=RequestKind.EXTENSION) | Q(requested_due_date__isnull=False),
                name="extension_request_has_date",
            ),
            # At most one undecided request of each kind per task.
            models.UniqueConstraint(
                fields=["task", "kind"],
                condition=Q(state__in=[RequestState.AWAITING_SIGNOFF, RequestState.AWAITING_REVIEW]),
                name="task_request_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.task.path}"


class Urge(TimeStampedModel):
    """A recorded demand for action on a task (催办), notified to its departments."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="urges")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("催办人"), on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(_("催办内容"))

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("催办")
        verbose_name_plural = _("催办")

    def __str__(self) -> str:
        return f"{self.task.path} @ {self.created_at:%Y-%m-%d}"


def plan_import_upload_to(instance: PlanImport | None, filename: str) -> str:
    # A generated name: the uploader's file name is kept in source_name only.
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class PlanImport(TimeStampedModel):
    """A plan document on its way in: parsed and previewed, then committed (or discarded).

    The text is kept so that the commit step re-reads exactly what was previewed; the preview
    itself is recomputed (parsing is fast) rather than stored.
    """

    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    source_text = models.TextField(_("文本"), blank=True)  # empty until a job has read the file
    state = models.CharField(
        _("状态"), max_length=16, choices=ImportState.choices, default=ImportState.PREVIEWED
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("工作方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
    )
    replaces = models.ForeignKey(
        Plan,
        verbose_name=_("更新的方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("重新导入修订版时,被更新的已有方案"),
    )
    # A file too big to read in the request waits in the default storage (local disk or the object
    # store, so that a worker on another host reads it) for the job, which deletes it once read.
    upload_file = models.FileField(
        _("待读取的文件"), upload_to=plan_import_upload_to, max_length=255, blank=True, editable=False
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=100)
    error = models.JSONField(_("错误"), default=dict, blank=True, help_text=_("读取或导入失败的原因"))
    commit_options = models.JSONField(_("导入选项"), default=dict, blank=True)
    # The bureau's corrections, applied in order on top of what the parser read (see
    # tasks.services.imports.edits); ``version`` guards them against concurrent editors.
    edits = models.JSONField(_("预览修改"), default=list, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    history = HistoricalRecords(
        verbose_name=_("导入变更记录"), excluded_fields=["source_text", "upload_file"]
    )

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("方案导入")
        verbose_name_plural = _("方案导入")

    def __str__(self) -> str:
        return self.source_name or f"import #{self.pk}"


class AssessmentSnapshot(TimeStampedModel):
    """A published ranking (考核结果), kept exactly as computed when the bureau published it:
    later changes to tasks, reports or weights do not change it."""

    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="assessment_snapshots"
    )
    title = models.CharField(_("标题"), max_length=200, blank=True)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    weights = models.JSONField(_("考核权重"), default=dict)
    rows = models.JSONField(_("单位得分"), default=list)
    cities = models.JSONField(_("地市得分"), default=list)

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="assessment_snapshot_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.start}—{self.end}"


class DepartmentFigures(models.Model):
    """One department's assessment counts from 1 January to ``day`` (and as of ``day``), stored
    for the dashboard's ranking so that it reads one row per department instead of counting every
    assignment and report of a province. Computed and kept current by ``tasks.department_figures``:
    a committed write to a task, assignment, report or plan marks its departments' rows ``stale``
    and moves their ``generation`` on; a row is used only when it is not stale and is of today.
    Names, kinds, regions and weights are not stored: they are read with the row."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("单位")
    )
    day = models.DateField(null=True)
    stale = models.BooleanField(default=True)
    generation = models.BigIntegerField(default=0)
    #: the department has an assignment (``assess`` lists only those)
    assigned = models.BooleanField(default=False)
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reports_owed = models.PositiveIntegerField(default=0)
    reports_filed = models.PositiveIntegerField(default=0)
    open_tasks = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    led = models.PositiveIntegerField(default=0)
    shared = models.PositiveIntegerField(default=0)
    overdue_now = models.PositiveIntegerField(default=0)
    reports_missing = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["department"]
        verbose_name = _("单位考核计数")
        verbose_name_plural = _("单位考核计数")

    def __str__(self) -> str:
        return f"{self.department_id} {self.day}"
