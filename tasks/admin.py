"""Admin pages of the work-plan domain: plan -> sections -> tasks -> assignments.

All read-only (view, search, filter, history): plans, tasks and their parts are changed in the
portal, through the services that keep versions, the status rules, notifications and webhooks.
Each change page links to the portal page where the object is edited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ipplan.admin import ReadOnlyPolicyAdmin, ReadOnlyPolicyHistoryAdmin, ReadOnlyPolicyInline
from ipplan.models import JobHeartbeat
from ipplan.permissions import Action

from .choices import NotificationState
from .models import (
    Assignment,
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
    Urge,
)
from .services.delivery import notifications_retry


class SectionInline(ReadOnlyPolicyInline):
    model = Section
    fields = ["label", "title", "parent", "path", "order"]
    readonly_fields = ["path"]


class PhaseInline(ReadOnlyPolicyInline):
    model = Phase
    fields = ["name", "start", "end", "order"]
    show_change_link = False


class IndicatorInline(ReadOnlyPolicyInline):
    model = Indicator
    fields = ["name", "basis", "comparator", "target_value", "unit", "target_year", "section", "task"]
    raw_id_fields = ["task", "section"]


@admin.register(Plan)
class PlanAdmin(ReadOnlyPolicyHistoryAdmin):
    delete_action = Action.DELETE_PLAN
    list_display = ["title", "region", "doc_number", "issued_on", "period_start", "period_end", "status"]
    list_filter = ["status", "region"]
    search_fields = ["title", "doc_number", "issuer"]
    list_select_related = ["region"]
    date_hierarchy = "issued_on"
    inlines = [SectionInline, PhaseInline, IndicatorInline]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def portal_url(self, obj: Plan) -> str:
        return reverse("tasks:plan_detail", args=[obj.pk])


class TaskInline(ReadOnlyPolicyInline):
    model = Task
    view_action = Action.VIEW_TASK
    fields = ["path", "title", "due_date", "status", "progress"]
    readonly_fields = ["path"]


@admin.register(Section)
class SectionAdmin(ReadOnlyPolicyAdmin):
    list_display = ["path", "title", "plan", "order"]
    list_filter = ["plan"]
    search_fields = ["title", "plan__title"]
    list_select_related = ["plan"]
    inlines = [TaskInline]
    raw_id_fields = ["parent"]

    def portal_url(self, obj: Section) -> str:
        return reverse("tasks:plan_detail", args=[obj.plan_id])


class AssignmentInline(ReadOnlyPolicyInline):
    model = Assignment
    view_action = Action.VIEW_TASK
    fields = ["department", "role", "order"]
    autocomplete_fields = ["department"]
    show_change_link = False


@admin.register(Task)
class TaskAdmin(ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["path", "title", "plan", "due_date", "status", "progress", "version"]
    list_filter = ["status", "plan", "assignments__role"]
    search_fields = ["title", "path", "full_text", "assignments__department__name"]
    list_select_related = ["plan"]
    inlines = [AssignmentInline]
    raw_id_fields = ["section"]
    readonly_fields = ["version", "completed_at", "created_at", "updated_at"]

    def portal_url(self, obj: Task) -> str:
        return reverse("tasks:task_detail", args=[obj.pk])


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["task", "department", "role", "order"]
    list_filter = ["role"]
    search_fields = ["task__title", "task__path", "department__name"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task"]
    autocomplete_fields = ["department"]

    def portal_url(self, obj: Assignment) -> str:
        return reverse("tasks:task_detail", args=[obj.task_id])


class ReadingInline(ReadOnlyPolicyInline):
    model = IndicatorReading
    fields = ["observed_on", "value", "note", "entered_by"]
    readonly_fields = ["entered_by"]
    show_change_link = False


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyPolicyAdmin):
    list_display = ["name", "plan", "basis", "comparator", "target_value", "unit", "target_year"]
    list_filter = ["plan", "basis", "comparator"]
    search_fields = ["name"]
    list_select_related = ["plan"]
    raw_id_fields = ["section", "task"]
    inlines = [ReadingInline]

    def portal_url(self, obj: Indicator) -> str:
        return reverse("tasks:indicator_detail", args=[obj.pk])


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(ReadOnlyPolicyHistoryAdmin):
    list_display = ["indicator", "observed_on", "value", "entered_by"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator", "entered_by"]
    raw_id_fields = ["indicator"]

    def portal_url(self, obj: IndicatorReading) -> str:
        return reverse("tasks:indicator_detail", args=[obj.indicator_id])


@admin.register(Phase)
class PhaseAdmin(ReadOnlyPolicyAdmin):
    list_display = ["name", "plan", "start", "end"]
    list_filter = ["plan"]
    search_fields = ["name"]

    def portal_url(self, obj: Phase) -> str:
        return reverse("tasks:plan_detail", args=[obj.plan_id])


class AttachmentInline(ReadOnlyPolicyInline):
    model = Attachment
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    fields = ["original_name", "content_type", "size", "created_at"]
    readonly_fields = ["original_name", "content_type", "size", "created_at"]
    show_change_link = False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["task", "department", "period", "percent", "review_status", "created_at"]
    list_filter = ["review_status", "period"]
    search_fields = ["task__title", "department__name", "text"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task", "author", "reviewer"]
    inlines = [AttachmentInline]

    def portal_url(self, obj: ProgressReport) -> str:
        return reverse("tasks:task_detail", args=[obj.task_id])


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyPolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["original_name", "report", "content_type", "size", "created_at"]
    search_fields = ["original_name"]
    raw_id_fields = ["report", "uploaded_by"]
    readonly_fields = ["token", "digest_algorithm", "digest", "size", "content_type"]

    def portal_url(self, obj: Attachment) -> str:
        return reverse("tasks:task_detail", args=[obj.report.task_id])


@admin.register(TaskRequest)
class TaskRequestAdmin(ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.DECIDE_COMPLETION
    list_display = ["task", "kind", "state", "department", "requested_due_date", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["task__title", "department__name"]
    raw_id_fields = ["task", "requested_by", "signed_off_by", "decided_by"]

    def portal_url(self, obj: TaskRequest) -> str:
        return reverse("tasks:task_detail", args=[obj.task_id])


@admin.register(Urge)
class UrgeAdmin(ReadOnlyPolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.URGE_TASK
    list_display = ["task", "author", "created_at"]
    search_fields = ["task__title", "message"]
    raw_id_fields = ["task", "author"]

    def portal_url(self, obj: Urge) -> str:
        return reverse("tasks:task_detail", args=[obj.task_id])


@admin.register(Notification)
class NotificationAdmin(ReadOnlyPolicyAdmin):
    """Operators see what is pending, failed or stuck, when beat last ticked, and retry."""

    view_action = Action.MANAGE_NOTIFICATIONS
    change_action = Action.MANAGE_NOTIFICATIONS
    list_display = [
        "recipient",
        "kind",
        "task",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "read_at",
    ]
    list_filter = ["state", "kind", ("last_error", admin.EmptyFieldListFilter), "created_at", "sent_at"]
    search_fields = ["recipient__username", "message", "dedup_key"]
    raw_id_fields = ["recipient", "task"]
    readonly_fields = ["dedup_key", "created_at"]
    actions = ["retry"]

    @admin.action(description=_("立即重新发送选中的失败/待发送通知"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = notifications_retry(actor=request.user, notifications=queryset)  # type: ignore[arg-type]
        self.message_user(request, _("已重新排队 %(count)d 条通知,将在下一次发送时发出。") % {"count": count})

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # The schedule and beat's last tick, shown above the list (no template of our own needed).
        beat = JobHeartbeat.objects.filter(name="tick").first()
        last = f"{timezone.localtime(beat.last_run_at):%Y-%m-%d %H:%M:%S}" if beat else "—"
        schedule = ";".join(
            f"{name}: {entry['schedule']}"
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
            if entry["task"].startswith("tasks.jobs.")
        )
        self.message_user(
            request, _("计划任务 %(schedule)s;上次节拍 %(last)s") % {"schedule": schedule, "last": last}
        )
        counts = dict(
            Notification.objects.filter(
                state__in=[NotificationState.PENDING, NotificationState.FAILED, NotificationState.SENDING]
            )
            .values_list("state")
            .annotate(n=Count("pk"))
        )
        self.message_user(
            request,
            _("待发送 %(pending)d,发送中 %(sending)d,发送失败 %(failed)d")
            % {
                "pending": counts.get(NotificationState.PENDING, 0),
                "sending": counts.get(NotificationState.SENDING, 0),
                "failed": counts.get(NotificationState.FAILED, 0),
            },
        )
        return super().changelist_view(request, extra_context)
