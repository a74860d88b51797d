"""Admin pages of the work-plan domain: plan -> sections -> tasks -> assignments."""

from __future__ import annotations

from django.contrib import admin

from ipplan.admin import PolicyAdmin, PolicyHistoryAdmin, PolicyInline
from ipplan.permissions import Action

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


class SectionInline(PolicyInline):
    model = Section
    fields = ["label", "title", "parent", "path", "order"]
    readonly_fields = ["path"]


class PhaseInline(PolicyInline):
    model = Phase
    fields = ["name", "start", "end", "order"]
    show_change_link = False


class IndicatorInline(PolicyInline):
    model = Indicator
    fields = ["name", "comparator", "target_value", "unit", "target_year", "section", "task"]
    raw_id_fields = ["task", "section"]


@admin.register(Plan)
class PlanAdmin(PolicyHistoryAdmin):
    delete_action = Action.DELETE_PLAN
    list_display = ["title", "region", "doc_number", "issued_on", "period_start", "period_end", "status"]
    list_filter = ["status", "region"]
    search_fields = ["title", "doc_number", "issuer"]
    list_select_related = ["region"]
    date_hierarchy = "issued_on"
    inlines = [SectionInline, PhaseInline, IndicatorInline]
    readonly_fields = ["created_by", "created_at", "updated_at"]


class TaskInline(PolicyInline):
    model = Task
    view_action = Action.VIEW_TASK
    fields = ["path", "title", "due_date", "status", "progress"]
    readonly_fields = ["path"]


@admin.register(Section)
class SectionAdmin(PolicyAdmin):
    list_display = ["path", "title", "plan", "order"]
    list_filter = ["plan"]
    search_fields = ["title", "plan__title"]
    list_select_related = ["plan"]
    inlines = [TaskInline]
    raw_id_fields = ["parent"]


class AssignmentInline(PolicyInline):
    model = Assignment
    view_action = Action.VIEW_TASK
    fields = ["department", "role", "order"]
    autocomplete_fields = ["department"]
    show_change_link = False


@admin.register(Task)
class TaskAdmin(PolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["path", "title", "plan", "due_date", "status", "progress", "version"]
    list_filter = ["status", "plan", "assignments__role"]
    search_fields = ["title", "path", "full_text", "assignments__department__name"]
    list_select_related = ["plan"]
    inlines = [AssignmentInline]
    raw_id_fields = ["section"]
    readonly_fields = ["version", "completed_at", "created_at", "updated_at"]


@admin.register(Assignment)
class AssignmentAdmin(PolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["task", "department", "role", "order"]
    list_filter = ["role"]
    search_fields = ["task__title", "task__path", "department__name"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task"]
    autocomplete_fields = ["department"]


class ReadingInline(PolicyInline):
    model = IndicatorReading
    fields = ["observed_on", "value", "note", "entered_by"]
    readonly_fields = ["entered_by"]
    show_change_link = False


@admin.register(Indicator)
class IndicatorAdmin(PolicyAdmin):
    list_display = ["name", "plan", "comparator", "target_value", "unit", "target_year"]
    list_filter = ["plan", "comparator"]
    search_fields = ["name"]
    list_select_related = ["plan"]
    raw_id_fields = ["section", "task"]
    inlines = [ReadingInline]


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(PolicyHistoryAdmin):
    list_display = ["indicator", "observed_on", "value", "entered_by"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator", "entered_by"]
    raw_id_fields = ["indicator"]


@admin.register(Phase)
class PhaseAdmin(PolicyAdmin):
    list_display = ["name", "plan", "start", "end"]
    list_filter = ["plan"]
    search_fields = ["name"]


class AttachmentInline(PolicyInline):
    model = Attachment
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    fields = ["original_name", "content_type", "size", "created_at"]
    readonly_fields = ["original_name", "content_type", "size", "created_at"]
    show_change_link = False


@admin.register(ProgressReport)
class ProgressReportAdmin(PolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["task", "department", "period", "percent", "review_status", "created_at"]
    list_filter = ["review_status", "period"]
    search_fields = ["task__title", "department__name", "text"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task", "author", "reviewer"]
    inlines = [AttachmentInline]


@admin.register(Attachment)
class AttachmentAdmin(PolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["original_name", "report", "content_type", "size", "created_at"]
    search_fields = ["original_name"]
    raw_id_fields = ["report", "uploaded_by"]
    readonly_fields = ["token", "sha256", "size", "content_type"]


@admin.register(TaskRequest)
class TaskRequestAdmin(PolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.DECIDE_COMPLETION
    list_display = ["task", "kind", "state", "department", "requested_due_date", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["task__title", "department__name"]
    raw_id_fields = ["task", "requested_by", "signed_off_by", "decided_by"]


@admin.register(Urge)
class UrgeAdmin(PolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.URGE_TASK
    list_display = ["task", "author", "created_at"]
    search_fields = ["task__title", "message"]
    raw_id_fields = ["task", "author"]


@admin.register(Notification)
class NotificationAdmin(PolicyAdmin):
    view_action = Action.MANAGE_NOTIFICATIONS
    change_action = Action.MANAGE_NOTIFICATIONS
    list_display = ["recipient", "kind", "task", "state", "attempts", "created_at", "sent_at", "read_at"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient__username", "message", "dedup_key"]
    raw_id_fields = ["recipient", "task"]
    readonly_fields = ["dedup_key", "created_at"]
