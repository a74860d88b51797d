"""The department registry for the bureau of a region: list, detail, rename, merge, retire.

Every page starts from the permission policy (MANAGE_DEPARTMENTS: the bureau and administrators,
in their region); a department outside it answers 404. Each POST calls one service; a refused
change re-renders the page with the message (400) and writes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ipplan.generic import RestrictedListView, ServiceActionView, form_messages
from ipplan.permissions import Action, can, get_for

from .choices import DepartmentKind
from .filtersets import DepartmentFilterSet
from .forms import KindForm, MergeForm, RenameForm
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

    filterset_class = DepartmentFilterSet

    def filter_params(self) -> QueryDict:
        params = self.request.GET.copy()
        if "active" not in params:
            params["active"] = "true"  # retired departments on request only
        return params

    def narrow(self, queryset: QuerySet[Department]) -> QuerySet[Department]:
        return (
            queryset.select_related("region")
            .annotate(
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
        params = self.params or QueryDict()
        return {**context, "q": params.get("q", ""), "active": params.get("active", "")}


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
    candidates = _candidates(request, department)
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


def _candidates(request: HttpRequest, department: Department) -> QuerySet[Department]:
    """The departments another may be merged into: active ones of its region the user manages."""
    managed = Department.objects.restrict(request.user, Action.MANAGE_DEPARTMENTS)
    return managed.filter(region=department.region, active=True).exclude(pk=department.pk)


class DepartmentAction(ServiceActionView):
    """A form of a department's page: MANAGE_DEPARTMENTS in its region (404 outside), one service;
    refused input re-renders the page with the errors (400) and writes nothing."""

    request: AuthenticatedRequest
    model = Department
    lookup_action = Action.MANAGE_DEPARTMENTS
    #: the page's slot for this form, so that it shows again with what was typed
    slot: ClassVar[str | None] = None

    def lookup_queryset(self) -> QuerySet[Department]:
        return Department.objects.select_related("region", "parent", "merged_into")

    def _slot(self, form: forms.BaseForm) -> dict[str, Any]:
        return {self.slot: form} if self.slot else {}

    def form_invalid(self, form: forms.BaseForm, obj: Department) -> HttpResponse:
        if self.slot:
            return render_detail(self.request, obj, status=400, **self._slot(form))
        return render_detail(self.request, obj, status=400, errors=form_messages(form))

    def refused(self, error: ValidationError, form: forms.BaseForm, obj: Department) -> HttpResponse:
        return _refused(self.request, obj, error, **self._slot(form))

    def success_url(self, obj: Department, result: Any) -> str:
        return reverse("departments:detail", args=[obj.pk])


class DepartmentRename(DepartmentAction):
    form_class = RenameForm
    slot = "rename_form"

    def perform(self, form: forms.BaseForm, obj: Department) -> Any:
        self.old_name, self.new_name = obj.name, form.cleaned_data["name"]
        return department_rename(actor=self.request.user, department=obj, name=form.cleaned_data["name"])

    def get_success_message(self, obj: Department, result: Any) -> str:
        return _("已更名为 %(new)s;原名称 %(old)s 保留为别名。") % {
            "new": self.new_name,
            "old": self.old_name,
        }


class DepartmentMerge(DepartmentAction):
    form_class = MergeForm
    slot = "merge_form"

    def get_form_kwargs(self, obj: Department) -> dict[str, Any]:
        return {"candidates": _candidates(self.request, obj)}

    def perform(self, form: forms.BaseForm, obj: Department) -> Any:
        return department_merge(actor=self.request.user, absorbed=obj, survivor=form.cleaned_data["survivor"])

    def get_success_message(self, obj: Department, result: Any) -> str:
        return _(
            "%(absorbed)s 已并入 %(survivor)s:转入任务 %(tasks)s 项、人员 %(users)s 人、进展填报 %(reports)s 份;"
            "原名称保留为别名。"
        ) % {
            "absorbed": result.absorbed.name,
            "survivor": result.survivor.name,
            "tasks": result.tasks,
            "users": result.users,
            "reports": result.reports,
        }

    def success_url(self, obj: Department, result: Any) -> str:
        return reverse("departments:detail", args=[result.survivor.pk])


class DepartmentRetire(DepartmentAction):
    def perform(self, form: forms.BaseForm, obj: Department) -> Any:
        return department_retire(actor=self.request.user, department=obj)

    def get_success_message(self, obj: Department, result: Any) -> str:
        return _("已停用 %(name)s。") % {"name": obj.name}


class DepartmentKindChange(DepartmentAction):
    """Change what kind of unit the department is; a group (各镇街, 各成员单位) is never ranked."""

    form_class = KindForm
    success_message = gettext_lazy("已更改单位类别。")

    def perform(self, form: forms.BaseForm, obj: Department) -> Any:
        return department_update(actor=self.request.user, department=obj, kind=form.cleaned_data["kind"])


department_rename_view = DepartmentRename.as_view()
department_merge_view = DepartmentMerge.as_view()
department_retire_view = DepartmentRetire.as_view()
department_kind_view = DepartmentKindChange.as_view()
