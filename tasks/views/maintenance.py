"""Plan maintenance pages for the bureau: the task's maintenance page (edit, departments, split,
merge, move, cancel, restore) and the plan's (metadata, section titles, add a task).

Each form posts to one view that calls one service (``tasks.services.maintenance``). Success
redirects with a message; refused input re-renders the page with the errors and what was typed
(400); a stale form re-renders it with the stored values (409); a user who may see the task but not
maintain the plan gets 403, one who may not see it 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from departments.http import AuthenticatedRequest
from departments.models import Department, DepartmentAlias
from ipplan.exceptions import ConflictError
from ipplan.generic import SHOWN, Refusal, ServiceActionView
from ipplan.permissions import Action, can, get_for

from ..choices import AssignmentRole, TaskStatus
from ..forms import (
    ROLE_FIELD,
    CancelForm,
    MergeForm,
    MoveForm,
    PlanEditForm,
    PlanTaskForm,
    RestoreForm,
    SectionEditForm,
    SplitForm,
    TaskDepartmentsForm,
    TaskEditForm,
    picked_ids,
)
from ..models import Plan, Section, Task
from ..selectors import task_detail
from ..services import maintenance

#: How many departments one search shows.
SEARCH_LIMIT = 20


# --- the department picker ----------------------------------------------------------------------


def registry(user: Any, plan: Plan) -> QuerySet[Department]:
    """The departments a plan's tasks may be assigned to: active ones of the plan's region and of
    the regions above it, among those the user may see."""
    regions = plan.region.ancestors_and_self()
    return Department.objects.restrict(user, Action.VIEW_DEPARTMENT).filter(region__in=regions, active=True)


def department_matches(user: Any, plan: Plan, query: str, *, exclude: set[int]) -> list[Department]:
    """Departments of the registry whose name, short name or alias contains ``query``."""
    query = query.strip()
    if not query:
        return []
    aliases = DepartmentAlias.objects.filter(department=OuterRef("pk"), name__icontains=query)
    found = registry(user, plan).filter(
        Q(name__icontains=query) | Q(short_name__icontains=query) | Exists(aliases)
    )
    return list(found.exclude(pk__in=exclude).select_related("region").order_by("name", "pk")[:SEARCH_LIMIT])


def _picker_rows(task: Task | None, posted: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The departments the picker lists, with their role: what was posted, else the task's."""
    if posted:
        ids = picked_ids(posted)
        names = Department.objects.in_bulk(ids)
        return [
            {"department": names[pk], "role": posted.get(f"{ROLE_FIELD}{pk}", "")}
            for pk in ids
            if pk in names
        ]
    if task is None:
        return []
    return [
        {"department": a.department, "role": a.role}
        for a in task.assignments.select_related("department").order_by("role", "order", "id")
    ]


@login_required
@require_GET
def department_search(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """htmx: the registry's departments matching ``q``, as picker rows (role left empty)."""
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    if not can(request.user, Action.MAINTAIN_PLAN, plan):
        raise PermissionDenied
    exclude = set()
    task_id = request.GET.get("task", "")
    if task_id.isdigit():  # the task's own departments are listed already
        exclude = set(
            Task.objects.restrict(request.user, Action.VIEW_TASK)
            .filter(pk=int(task_id), plan=plan)
            .values_list("assignments__department_id", flat=True)
        )
    matches = department_matches(request.user, plan, request.GET.get("q", ""), exclude=exclude)
    return render(
        request,
        "tasks/_department_results.html",
        {"matches": matches, "query": request.GET.get("q", ""), "roles": AssignmentRole.choices},
    )


# --- the pages ------------------------------------------------------------------------------------


def _maintained_task(request: AuthenticatedRequest, pk: int) -> Task:
    task = task_detail(request.user, pk)
    if not can(request.user, Action.MAINTAIN_PLAN, task):
        raise PermissionDenied
    return task


def _maintained_plan(request: AuthenticatedRequest, pk: int) -> Plan:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    if not can(request.user, Action.MAINTAIN_PLAN, plan):
        raise PermissionDenied
    return plan


def _page_context(request: AuthenticatedRequest, plan: Plan, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What both maintenance pages show: the plan and the department picker."""
    query = request.GET.get("q", "")
    return {
        "plan": plan,
        "rows": rows,
        "roles": AssignmentRole.choices,
        "query": query,
        "matches": department_matches(
            request.user, plan, query, exclude={row["department"].pk for row in rows}
        ),
    }


def render_task_maintain(request: AuthenticatedRequest, task: Task, refusal: Refusal = SHOWN) -> HttpResponse:
    rows = _picker_rows(task, refusal.posted if refusal.form == "departments" else {})
    context = {
        **_page_context(request, task.plan, rows),
        **refusal.context(),
        "task": task,
        "sections": Section.objects.filter(plan=task.plan)
        .exclude(pk=task.section_id or 0)
        .order_by("order", "id"),
        "merge_candidates": Task.objects.filter(plan=task.plan)
        .exclude(pk=task.pk)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("order", "id"),
        "is_cancelled": task.status == TaskStatus.CANCELLED,
        "search_action": reverse("tasks:task_maintain", args=[task.pk]),
    }
    return render(request, "tasks/task_maintain.html", context, status=refusal.status)


def render_plan_maintain(request: AuthenticatedRequest, plan: Plan, refusal: Refusal = SHOWN) -> HttpResponse:
    rows = _picker_rows(None, refusal.posted if refusal.form == "add" else {})
    context = {
        **_page_context(request, plan, rows),
        **refusal.context(),
        "sections": Section.objects.filter(plan=plan).order_by("order", "id"),
        "search_action": reverse("tasks:plan_maintain", args=[plan.pk]),
    }
    return render(request, "tasks/plan_maintain.html", context, status=refusal.status)


@login_required
@require_GET
def task_maintain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_task_maintain(request, _maintained_task(request, pk))


@login_required
@require_GET
def plan_maintain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_plan_maintain(request, _maintained_plan(request, pk))


# --- the forms of the pages: each posts to one action that calls one service ----------------------


class MaintenanceAction(ServiceActionView):
    """A form of a maintenance page. Refused input shows the page again with the errors and what
    was typed (400); a stale form shows it with the stored values (409)."""

    request: AuthenticatedRequest
    service_names = {"version": "expected_version"}
    #: the page's name of the form (which form failed)
    slot: ClassVar[str] = ""

    def form_name(self, obj: Any) -> str:
        return self.slot

    def page(self, obj: Any, refusal: Refusal) -> HttpResponse:
        raise NotImplementedError

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        return self.page(obj, Refusal.invalid(form, self.form_name(obj)))

    def current(self, error: ConflictError) -> dict[str, Any]:
        return dict(error.current)

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        return self.page(obj, Refusal.stale(form, error, self.current(error), self.form_name(obj)))


class TaskMaintenanceAction(MaintenanceAction):
    """A form of the task's maintenance page; success shows the task."""

    model = Task
    lookup_action = Action.MAINTAIN_PLAN
    object_name = "task"

    def get_object(self) -> Task:
        return _maintained_task(self.request, self.kwargs["pk"])

    def page(self, obj: Task, refusal: Refusal) -> HttpResponse:
        obj.refresh_from_db()
        return render_task_maintain(self.request, obj, refusal)

    def current(self, error: ConflictError) -> dict[str, Any]:
        current = dict(error.current)
        if "status" in current:
            current["status_label"] = TaskStatus(current["status"]).label
        return current

    def success_url(self, obj: Task, result: Any) -> str:
        return reverse("tasks:task_detail", args=[obj.pk])


class TaskDepartmentsAction(TaskMaintenanceAction):
    def get_form_kwargs(self, obj: Task) -> dict[str, Any]:
        return {"registry": registry(self.request.user, obj.plan)}


class TaskSplitAction(TaskMaintenanceAction):
    def success_url(self, obj: Task, result: Task) -> str:
        return reverse("tasks:task_detail", args=[result.pk])  # the new task


class TaskMergeAction(TaskMaintenanceAction):
    def get_form_kwargs(self, obj: Task) -> dict[str, Any]:
        return {"plan": obj.plan, "exclude": obj.pk}


class TaskMoveAction(TaskMaintenanceAction):
    def get_form_kwargs(self, obj: Task) -> dict[str, Any]:
        return {"plan": obj.plan}


class PlanMaintenanceAction(MaintenanceAction):
    """A form of the plan's maintenance page."""

    model: ClassVar[type[models.Model]] = Plan
    lookup_action = Action.MAINTAIN_PLAN

    def get_object(self) -> Any:
        return _maintained_plan(self.request, self.kwargs["pk"])

    def plan_of(self, obj: Any) -> Plan:
        return obj

    def page(self, obj: Any, refusal: Refusal) -> HttpResponse:
        plan = self.plan_of(obj)
        plan.refresh_from_db()
        return render_plan_maintain(self.request, plan, refusal)


class PlanEditAction(PlanMaintenanceAction):
    object_name = "plan"

    def success_url(self, obj: Plan, result: Plan) -> str:
        return reverse("tasks:plan_detail", args=[result.pk])


class SectionEditAction(PlanMaintenanceAction):
    """A section's title: the section of the plan (404 when it is not the plan's)."""

    model = Section
    object_name = "section"

    def get_object(self) -> Section:
        plan = _maintained_plan(self.request, self.kwargs["pk"])
        section = (
            Section.objects.filter(plan=plan, pk=self.kwargs["section_id"])
            .select_related("plan__region")
            .first()
        )
        if section is None:
            raise Http404
        return section

    def plan_of(self, obj: Section) -> Plan:
        return obj.plan

    def form_name(self, obj: Section) -> str:
        return f"section-{obj.pk}"

    def success_url(self, obj: Section, result: Section) -> str:
        return reverse("tasks:plan_maintain", args=[obj.plan_id])


class PlanAddTaskAction(PlanMaintenanceAction):
    """A new task in a section of the plan, with its departments (the service takes no plan)."""

    def get_form_kwargs(self, obj: Plan) -> dict[str, Any]:
        return {"plan": obj, "registry": registry(self.request.user, obj)}

    def success_url(self, obj: Plan, result: Task) -> str:
        return reverse("tasks:task_detail", args=[result.pk])


# Each form: its action, the form, the service it calls, what the page says after it.
task_edit = TaskMaintenanceAction.as_view(
    slot="edit", form_class=TaskEditForm, service=maintenance.task_edit, success_message=_("已保存任务内容。")
)
task_departments = TaskDepartmentsAction.as_view(
    slot="departments",
    form_class=TaskDepartmentsForm,
    service=maintenance.task_reassign,
    success_message=_("已调整承办单位,相关单位已收到通知。"),
)
task_split = TaskSplitAction.as_view(
    slot="split", form_class=SplitForm, service=maintenance.task_split, success_message=_("已拆分出新任务。")
)
task_merge = TaskMergeAction.as_view(
    slot="merge", form_class=MergeForm, service=maintenance.task_merge, success_message=_("已合并任务。")
)
task_move = TaskMoveAction.as_view(
    slot="move", form_class=MoveForm, service=maintenance.task_move, success_message=_("已调整任务所在章节。")
)
task_cancel = TaskMaintenanceAction.as_view(
    slot="cancel", form_class=CancelForm, service=maintenance.task_cancel, success_message=_("已取消任务。")
)
task_restore = TaskMaintenanceAction.as_view(
    slot="restore",
    form_class=RestoreForm,
    service=maintenance.task_restore,
    success_message=_("已恢复任务。"),
)
plan_edit = PlanEditAction.as_view(
    slot="plan", form_class=PlanEditForm, service=maintenance.plan_edit, success_message=_("已保存方案信息。")
)
section_edit = SectionEditAction.as_view(
    form_class=SectionEditForm, service=maintenance.section_edit, success_message=_("已保存章节标题。")
)
plan_add_task = PlanAddTaskAction.as_view(
    slot="add",
    form_class=PlanTaskForm,
    service=maintenance.task_add,
    success_message=_("已新增任务,承办单位已收到通知。"),
)
