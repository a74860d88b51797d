"""Admin pages of the work-plan domain: plan -> sections -> tasks -> assignments.

All read-only (view, search, filter, history): plans, tasks and their parts are changed in the
portal, through the services that keep versions, the status rules, notifications and webhooks.
Each change page links to the portal page where the object is edited."""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar

from django.contrib import admin
from django.urls import reverse

from ipplan.admin import ReadOnlyPolicyAdmin, ReadOnlyPolicyHistoryAdmin, ReadOnlyPolicyInline
from ipplan.permissions import Action

from . import models


class PortalPage:
    """``portal_url`` from ``portal``: the portal view and the attribute of the object holding the
    id it takes (dotted through relations: ``report.task_id``)."""

    portal: ClassVar[tuple[str, str]]

    def portal_url(self, obj: Any) -> str:
        view, attribute = self.portal
        return reverse(view, args=[attrgetter(attribute)(obj)])


class SectionInline(ReadOnlyPolicyInline):
    model = models.Section
    fields = ["label", "title", "parent", "path", "order"]
    readonly_fields = ["path"]


class PhaseInline(ReadOnlyPolicyInline):
    model = models.Phase
    fields = ["name", "start", "end", "order"]
    show_change_link = False


class IndicatorInline(ReadOnlyPolicyInline):
    model = models.Indicator
    fields = ["name", "basis", "comparator", "target_value", "unit", "target_year", "section", "task"]
    raw_id_fields = ["task", "section"]


@admin.register(models.Plan)
class PlanAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    delete_action = Action.DELETE_PLAN
    list_display = ["title", "region", "doc_number", "issued_on", "period_start", "period_end", "status"]
    list_filter = ["status", "region"]
    search_fields = ["title", "doc_number", "issuer"]
    list_select_related = ["region"]
    date_hierarchy = "issued_on"
    inlines = [SectionInline, PhaseInline, IndicatorInline]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    portal = ("tasks:plan_detail", "pk")


class TaskInline(ReadOnlyPolicyInline):
    model = models.Task
    view_action = Action.VIEW_TASK
    fields = ["path", "title", "due_date", "status", "progress"]
    readonly_fields = ["path"]


@admin.register(models.Section)
class SectionAdmin(PortalPage, ReadOnlyPolicyAdmin):
    list_display = ["path", "title", "plan", "order"]
    list_filter = ["plan"]
    search_fields = ["title", "plan__title"]
    list_select_related = ["plan"]
    inlines = [TaskInline]
    raw_id_fields = ["parent"]

    portal = ("tasks:plan_detail", "plan_id")


class AssignmentInline(ReadOnlyPolicyInline):
    model = models.Assignment
    view_action = Action.VIEW_TASK
    fields = ["department", "role", "order"]
    autocomplete_fields = ["department"]
    show_change_link = False


@admin.register(models.Task)
class TaskAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["path", "title", "plan", "due_date", "status", "progress", "version"]
    list_filter = ["status", "plan", "assignments__role"]
    search_fields = ["title", "path", "full_text", "assignments__department__name"]
    list_select_related = ["plan"]
    inlines = [AssignmentInline]
    raw_id_fields = ["section"]
    readonly_fields = ["version", "completed_at", "created_at", "updated_at"]

    portal = ("tasks:task_detail", "pk")


@admin.register(models.Assignment)
class AssignmentAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    list_display = ["task", "department", "role", "order"]
    list_filter = ["role"]
    search_fields = ["task__title", "task__path", "department__name"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task"]
    autocomplete_fields = ["department"]

    portal = ("tasks:task_detail", "task_id")


class ReadingInline(ReadOnlyPolicyInline):
    model = models.IndicatorReading
    fields = ["observed_on", "value", "note", "entered_by"]
    readonly_fields = ["entered_by"]
    show_change_link = False


@admin.register(models.Indicator)
class IndicatorAdmin(PortalPage, ReadOnlyPolicyAdmin):
    list_display = ["name", "plan", "basis", "comparator", "target_value", "unit", "target_year"]
    list_filter = ["plan", "basis", "comparator"]
    search_fields = ["name"]
    list_select_related = ["plan"]
    raw_id_fields = ["section", "task"]
    inlines = [ReadingInline]

    portal = ("tasks:indicator_detail", "pk")


@admin.register(models.IndicatorReading)
class IndicatorReadingAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    list_display = ["indicator", "observed_on", "value", "entered_by"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator", "entered_by"]
    raw_id_fields = ["indicator"]

    portal = ("tasks:indicator_detail", "indicator_id")


@admin.register(models.Phase)
class PhaseAdmin(PortalPage, ReadOnlyPolicyAdmin):
    list_display = ["name", "plan", "start", "end"]
    list_filter = ["plan"]
    search_fields = ["name"]

    portal = ("tasks:plan_detail", "plan_id")


class AttachmentInline(ReadOnlyPolicyInline):
    model = models.Attachment
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    fields = ["original_name", "content_type", "size", "created_at"]
    readonly_fields = ["original_name", "content_type", "size", "created_at"]
    show_change_link = False


@admin.register(models.ProgressReport)
class ProgressReportAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["task", "department", "period", "percent", "review_status", "created_at"]
    list_filter = ["review_status", "period"]
    search_fields = ["task__title", "department__name", "text"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task", "author", "reviewer"]
    inlines = [AttachmentInline]

    portal = ("tasks:task_detail", "task_id")


@admin.register(models.Attachment)
class AttachmentAdmin(PortalPage, ReadOnlyPolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.REVIEW_REPORT
    list_display = ["original_name", "report", "content_type", "size", "created_at"]
    search_fields = ["original_name"]
    raw_id_fields = ["report", "uploaded_by"]
    readonly_fields = ["token", "digest_algorithm", "digest", "size", "content_type"]

    portal = ("tasks:task_detail", "report.task_id")


@admin.register(models.TaskRequest)
class TaskRequestAdmin(PortalPage, ReadOnlyPolicyHistoryAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.DECIDE_COMPLETION
    list_display = ["task", "kind", "state", "department", "requested_due_date", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["task__title", "department__name"]
    raw_id_fields = ["task", "requested_by", "signed_off_by", "decided_by"]

    portal = ("tasks:task_detail", "task_id")


@admin.register(models.Urge)
class UrgeAdmin(PortalPage, ReadOnlyPolicyAdmin):
    view_action = Action.VIEW_TASK
    change_action = Action.URGE_TASK
    list_display = ["task", "author", "created_at"]
    search_fields = ["task__title", "message"]
    raw_id_fields = ["task", "author"]

    portal = ("tasks:task_detail", "task_id")
