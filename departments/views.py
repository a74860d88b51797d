"""The department registry for the bureau of a region: list, detail, rename, merge, retire.

Every page starts from the permission policy (MANAGE_DEPARTMENTS: the bureau and administrators,
in their region); a department outside it answers 404. Each POST calls one service; a refused
change re-renders the page with the message (400) and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ipplan.generic import RestrictedListView
from ipplan.permissions import Action, can, get_for, scope

from .choices import DepartmentKind
from .filtersets import DepartmentFilterSet
from .forms import MergeForm, RenameForm
from .http import AuthenticatedRequest
from .models import Department, User
from .services import (
    department_merge,
    department_open_tasks,
    department_rename,
    department_retire,
    department_update,
)

PAGE_SIZE = 50


def _require_registry(request: HttpRequest) -> None:
    if not can(request.user, Action.MANAGE_DEPARTMENTS):
        raise PermissionDenied


def _department(request: HttpRequest, pk: int) -> Department:
    queryset = Department.objects.select_related("region", "parent", "merged_into")
    return get_for(request.user, Action.MANAGE_DEPARTMENTS, queryset, pk=pk)


class DepartmentList(RestrictedListView):
    """The departments of the user's region and the regions under it, searchable by any name."""

    model = Department
    action = Action.MANAGE_DEPARTMENTS
    paginate_by = PAGE_SIZE
    template_name = "departments/list.html"
    http_method_names = ["get", "head"]

    def narrow(self, queryset: QuerySet[Department]) -> QuerySet[Department]:
        self.params = self.request.GET.copy()
        if "active" not in self.params:
            self.params["active"] = "true"  # retired departments on request only
        self.filterset = DepartmentFilterSet(self.params, queryset=queryset.select_related("region"))
        return (
            self.filterset.qs.annotate(
                open_tasks=Count(
                    "assignments__task",
                    filter=~Q(assignments__task__status__in=["completed", "cancelled"]),
                    distinct=True,
                ),
                people=Count("members", filter=Q(members__is_active=True), distinct=True),
            )
            .prefetch_related("aliases")
            .order_by("region__path", "name", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.params.copy()
        query.pop("page", None)
        return {
            **context,
            "filterset": self.filterset,
            "q": self.params.get("q", ""),
            "active": self.params.get("active", ""),
            "query": query.urlencode(),
        }


department_list = DepartmentList.as_view()


def render_detail(
    request: HttpRequest,
    department: Department,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    rename_form: RenameForm | None = None,
    merge_form: MergeForm | None = None,
) -> HttpResponse:
    candidates = scope(
        request.user,
        Action.MANAGE_DEPARTMENTS,
        Department.objects.filter(region=department.region, active=True).exclude(pk=department.pk),
    )
    history = department.history.select_related("history_user").order_by("-history_date", "-history_id")[:20]  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "department": department,
        "aliases": department.aliases.order_by("name"),
        "open_tasks": department_open_tasks(department).prefetch_related("assignments__department"),
        "members": User.objects.filter(department=department).order_by("-is_active", "username"),
        "absorbed": department.absorbed.order_by("name"),  # type: ignore[attr-defined]
        "history": history,
        "errors": errors or [],
        "rename_form": rename_form or RenameForm(initial={"name": department.name}),
        "merge_form": merge_form or MergeForm(candidates=candidates),
        "kinds": DepartmentKind.choices,
    }
    return render(request, "departments/detail.html", context, status=status)


@login_required
@require_GET
def department_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One department: names, open tasks (each linked to its page, to reassign), people, history."""
    return render_detail(request, _department(request, pk))


def _refused(
    request: HttpRequest, department: Department, error: ValidationError, **forms: Any
) -> HttpResponse:
    department.refresh_from_db()
    return render_detail(request, department, status=400, errors=error.messages, **forms)


@login_required
@require_POST
def department_rename_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    department = _department(request, pk)
    form = RenameForm(request.POST)
    if not form.is_valid():
        return render_detail(request, department, status=400, rename_form=form)
    old = department.name
    try:
        department_rename(actor=request.user, department=department, name=form.cleaned_data["name"])
    except ValidationError as error:
        return _refused(request, department, error, rename_form=form)
    messages.success(
        request,
        _("已更名为 %(new)s;原名称 %(old)s 保留为别名。") % {"new": form.cleaned_data["name"], "old": old},
    )
    return redirect("departments:detail", department.pk)


@login_required
@require_POST
def department_merge_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    department = _department(request, pk)
    candidates = scope(
        request.user,
        Action.MANAGE_DEPARTMENTS,
        Department.objects.filter(region=department.region, active=True).exclude(pk=department.pk),
    )
    form = MergeForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return render_detail(request, department, status=400, merge_form=form)
    try:
        result = department_merge(
            actor=request.user,
            absorbed=department,
            survivor=form.cleaned_data["survivor"],
        )
    except ValidationError as error:
        return _refused(request, department, error, merge_form=form)
    messages.success(
        request,
        _(
            "%(absorbed)s 已并入 %(survivor)s:转入任务 %(tasks)s 项、人员 %(users)s 人、进展填报 %(reports)s 份;"
            "原名称保留为别名。"
        )
        % {
            "absorbed": result.absorbed.name,
            "survivor": result.survivor.name,
            "tasks": result.tasks,
            "users": result.users,
            "reports": result.reports,
        },
    )
    return redirect("departments:detail", result.survivor.pk)


@login_required
@require_POST
def department_retire_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    department = _department(request, pk)
    try:
        department_retire(actor=request.user, department=department)
    except ValidationError as error:
        return _refused(request, department, error)
    messages.success(request, _("已停用 %(name)s。") % {"name": department.name})
    return redirect("departments:detail", department.pk)


@login_required
@require_POST
def department_kind_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change what kind of unit the department is; a group (各镇街, 各成员单位) is never ranked."""
    department = _department(request, pk)
    kind = request.POST.get("kind", "")
    if kind not in DepartmentKind.values:
        return render_detail(request, department, status=400, errors=[_("请选择单位类别。")])
    try:
        department_update(actor=request.user, department=department, kind=kind)
    except ValidationError as error:
        return _refused(request, department, error)
    messages.success(request, _("已更改单位类别。"))
    return redirect("departments:detail", department.pk)
