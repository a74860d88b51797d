"""Plan maintenance pages for the bureau: the task's maintenance page (edit, departments, split,
merge, move, cancel, restore) and the plan's (metadata, section titles, add a task).

Each form posts to one view that calls one service (``tasks.services.maintenance``). Success
redirects with a message; refused input re-renders the page with the errors and what was typed
(400); a stale form re-renders it with the stored values (409); a user who may see the task but not
maintain the plan gets 403, one who may not see it 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departments.http import AuthenticatedRequest
from departments.models import Department, DepartmentAlias
from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, can, get_for

from ..choices import AssignmentRole, TaskStatus
from ..forms import (
    CancelForm,
    MergeForm,
    MoveForm,
    PlanEditForm,
    PlanTaskForm,
    RestoreForm,
    SectionEditForm,
    SplitForm,
    TaskEditForm,
    VersionedForm,
)
from ..models import Plan, Section, Task
from ..selectors import task_detail
from ..services import maintenance
from ..services.maintenance import Departments

#: How many departments one search shows.
SEARCH_LIMIT = 20
ROLE_FIELD = "role_"


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


def departments_from_post(request: AuthenticatedRequest, plan: Plan) -> Departments:
    """``role_<department id>`` = lead / responsible / cooperating (empty: not assigned), in the
    order the form lists them. Unknown or invisible departments are refused by name of field."""
    chosen: list[tuple[int, str]] = []
    for key in request.POST:
        value = request.POST.get(key, "")
        if not key.startswith(ROLE_FIELD) or not value:
            continue
        try:
            department_id = int(key.removeprefix(ROLE_FIELD))
        except ValueError:
            raise ValidationError({"departments": _("单位参数无效。")}) from None
        if value not in AssignmentRole.values:
            raise ValidationError({"departments": _("单位角色无效。")})
        chosen.append((department_id, value))
    found = registry(request.user, plan).in_bulk([pk for pk, _role in chosen])
    missing = [str(pk) for pk, _role in chosen if pk not in found]
    if missing:
        raise ValidationError({"departments": _("单位不存在或不可选:%(ids)s") % {"ids": "、".join(missing)}})
    by_role: dict[str, list[Department]] = {role: [] for role in AssignmentRole.values}
    for pk, role in chosen:
        by_role[role].append(found[pk])
    return Departments(by_role["lead"], by_role["responsible"], by_role["cooperating"])


def _picker_rows(task: Task | None, request: AuthenticatedRequest, *, posted: bool) -> list[dict[str, Any]]:
    """The departments the picker lists, with their role: what was posted, else the task's."""
    if posted:
        rows = []
        ids = [
            int(k.removeprefix(ROLE_FIELD))
            for k in request.POST
            if k.startswith(ROLE_FIELD) and k.removeprefix(ROLE_FIELD).isdigit()
        ]
        names = Department.objects.in_bulk(ids)
        for pk in ids:
            if pk in names:
                rows.append({"department": names[pk], "role": request.POST.get(f"{ROLE_FIELD}{pk}", "")})
        return rows
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


# --- the task's maintenance page -------------------------------------------------------------------


def _maintained_task(request: AuthenticatedRequest, pk: int) -> Task:
    task = task_detail(request.user, pk)
    if not can(request.user, Action.MAINTAIN_PLAN, task):
        raise PermissionDenied
    return task


def render_task_maintain(
    request: AuthenticatedRequest,
    task: Task,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    conflict: dict[str, Any] | None = None,
    form: str = "",
) -> HttpResponse:
    plan = task.plan
    posted = request.POST if request.method == "POST" else {}
    rows = _picker_rows(task, request, posted=form == "departments")
    query = request.GET.get("q", "")
    context = {
        "task": task,
        "plan": plan,
        "errors": errors or [],
        "conflict": conflict,
        "failed_form": form,
        "posted": posted,
        "rows": rows,
        "roles": AssignmentRole.choices,
        "query": query,
        "matches": department_matches(
            request.user, plan, query, exclude={row["department"].pk for row in rows}
        ),
        "sections": Section.objects.filter(plan=plan)
        .exclude(pk=task.section_id or 0)
        .order_by("order", "id"),
        "merge_candidates": Task.objects.filter(plan=plan)
        .exclude(pk=task.pk)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("order", "id"),
        "is_cancelled": task.status == TaskStatus.CANCELLED,
        "search_action": reverse("tasks:task_maintain", args=[task.pk]),
    }
    return render(request, "tasks/task_maintain.html", context, status=status)


@login_required
@require_GET
def task_maintain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_task_maintain(request, _maintained_task(request, pk))


def _form_data(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form.cleaned_data


def _perform(
    request: AuthenticatedRequest,
    task: Task,
    name: str,
    action: Callable[[], Any],
    success: str,
    *,
    then: Callable[[Any], HttpResponse] | None = None,
) -> HttpResponse:
    try:
        result = action()
    except ConflictError as conflict:
        task.refresh_from_db()
        current = dict(conflict.current)
        if "status" in current:
            current["status_label"] = TaskStatus(current["status"]).label
        return render_task_maintain(
            request, task, status=409, conflict={"message": conflict.message, "current": current}, form=name
        )
    except ValidationError as error:
        task.refresh_from_db()
        return render_task_maintain(request, task, status=400, errors=error.messages, form=name)
    messages.success(request, success)
    if then is not None:
        return then(result)
    return redirect("tasks:task_detail", task.pk)


def _actor(request: AuthenticatedRequest) -> Any:
    return request.user


@login_required
@require_POST
def task_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(TaskEditForm(request.POST))
        return maintenance.task_edit(
            actor=_actor(request),
            task=task,
            expected_version=data["version"],
            title=data["title"],
            full_text=data["full_text"],
            reason=data["reason"],
        )

    return _perform(request, task, "edit", run, _("已保存任务内容。"))


@login_required
@require_POST
def task_departments(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(VersionedForm(request.POST))
        return maintenance.task_reassign(
            actor=_actor(request),
            task=task,
            expected_version=data["version"],
            departments=departments_from_post(request, task.plan),
            reason=request.POST.get("reason", ""),
        )

    return _perform(request, task, "departments", run, _("已调整承办单位,相关单位已收到通知。"))


@login_required
@require_POST
def task_split(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(SplitForm(request.POST))
        return maintenance.task_split(
            actor=_actor(request),
            task=task,
            expected_version=data["version"],
            title=data["title"],
            full_text=data["full_text"],
            remaining_title=data["remaining_title"] or None,
            remaining_text=data["remaining_text"] or None,
        )

    return _perform(
        request,
        task,
        "split",
        run,
        _("已拆分出新任务。"),
        then=lambda new: redirect("tasks:task_detail", new.pk),
    )


@login_required
@require_POST
def task_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(MergeForm(request.POST, plan=task.plan, exclude=task.pk))
        return maintenance.task_merge(
            actor=_actor(request),
            task=task,
            expected_version=data["version"],
            other=data["other"],
            other_version=None,
            reason=data["reason"],
        )

    return _perform(request, task, "merge", run, _("已合并任务。"))


@login_required
@require_POST
def task_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(MoveForm(request.POST, plan=task.plan))
        return maintenance.task_move(
            actor=_actor(request), task=task, expected_version=data["version"], section=data["section"]
        )

    return _perform(request, task, "move", run, _("已调整任务所在章节。"))


@login_required
@require_POST
def task_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(CancelForm(request.POST))
        return maintenance.task_cancel(
            actor=_actor(request), task=task, expected_version=data["version"], reason=data["reason"]
        )

    return _perform(request, task, "cancel", run, _("已取消任务。"))


@login_required
@require_POST
def task_restore(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _maintained_task(request, pk)

    def run() -> Task:
        data = _form_data(RestoreForm(request.POST))
        return maintenance.task_restore(
            actor=_actor(request), task=task, expected_version=data["version"], reason=data["reason"]
        )

    return _perform(request, task, "restore", run, _("已恢复任务。"))


# --- the plan's maintenance page ---------------------------------------------------------------------


def _maintained_plan(request: AuthenticatedRequest, pk: int) -> Plan:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    if not can(request.user, Action.MAINTAIN_PLAN, plan):
        raise PermissionDenied
    return plan


def render_plan_maintain(
    request: AuthenticatedRequest,
    plan: Plan,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    conflict: dict[str, Any] | None = None,
    form: str = "",
) -> HttpResponse:
    rows = _picker_rows(None, request, posted=form == "add")
    query = request.GET.get("q", "")
    context = {
        "plan": plan,
        "sections": Section.objects.filter(plan=plan).order_by("order", "id"),
        "errors": errors or [],
        "conflict": conflict,
        "failed_form": form,
        "posted": request.POST if request.method == "POST" else {},
        "rows": rows,
        "roles": AssignmentRole.choices,
        "query": query,
        "matches": department_matches(
            request.user, plan, query, exclude={row["department"].pk for row in rows}
        ),
        "search_action": reverse("tasks:plan_maintain", args=[plan.pk]),
    }
    return render(request, "tasks/plan_maintain.html", context, status=status)


@login_required
@require_GET
def plan_maintain(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_plan_maintain(request, _maintained_plan(request, pk))


def _perform_on_plan(
    request: AuthenticatedRequest,
    plan: Plan,
    name: str,
    action: Callable[[], Any],
    success: str,
    then: Callable[[Any], HttpResponse],
) -> HttpResponse:
    try:
        result = action()
    except ConflictError as conflict:
        plan.refresh_from_db()
        return render_plan_maintain(
            request,
            plan,
            status=409,
            conflict={"message": conflict.message, "current": conflict.current},
            form=name,
        )
    except ValidationError as error:
        plan.refresh_from_db()
        return render_plan_maintain(request, plan, status=400, errors=error.messages, form=name)
    messages.success(request, success)
    return then(result)


@login_required
@require_POST
def plan_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _maintained_plan(request, pk)

    def run() -> Plan:
        data = _form_data(PlanEditForm(request.POST))
        return maintenance.plan_edit(
            actor=_actor(request),
            plan=plan,
            expected_version=data["version"],
            title=data["title"],
            doc_number=data["doc_number"],
            issuer=data["issuer"],
            issued_on=data["issued_on"],
            period=(data["period_start"], data["period_end"]),
        )

    return _perform_on_plan(
        request, plan, "plan", run, _("已保存方案信息。"), lambda p: redirect("tasks:plan_detail", p.pk)
    )


@login_required
@require_POST
def section_edit(request: AuthenticatedRequest, pk: int, section_id: int) -> HttpResponse:
    plan = _maintained_plan(request, pk)
    section = Section.objects.filter(plan=plan, pk=section_id).first()
    if section is None:
        raise Http404

    def run() -> Section:
        data = _form_data(SectionEditForm(request.POST))
        return maintenance.section_edit(
            actor=_actor(request), section=section, expected_version=data["version"], title=data["title"]
        )

    return _perform_on_plan(
        request,
        plan,
        f"section-{section.pk}",
        run,
        _("已保存章节标题。"),
        lambda s: redirect("tasks:plan_maintain", plan.pk),
    )


@login_required
@require_POST
def plan_add_task(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _maintained_plan(request, pk)

    def run() -> Task:
        data = _form_data(PlanTaskForm(request.POST, plan=plan))
        return maintenance.task_add(
            actor=_actor(request),
            section=data["section"],
            title=data["title"],
            full_text=data["full_text"],
            due_date=data["due_date"],
            departments=departments_from_post(request, plan),
        )

    return _perform_on_plan(
        request,
        plan,
        "add",
        run,
        _("已新增任务,承办单位已收到通知。"),
        lambda t: redirect("tasks:task_detail", t.pk),
    )
