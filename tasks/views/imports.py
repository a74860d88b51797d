"""Importing a plan in the browser: upload or paste -> preview -> map departments -> commit."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from departments.http import AuthenticatedRequest
from departments.models import Department, Region
from ipplan.exceptions import ConflictError
from ipplan.generic import MessageActionView, ServiceActionView
from ipplan.permissions import Action, get_for, require
from planparser import ParseError
from planparser.dates import deadline_to_date

from ..choices import ImportState
from ..forms import CommitImportForm, ImportEditForm, ImportForm
from ..models import Plan, PlanImport, Task
from ..services.imports.edits import imports_for, plan_import_edit, summarize, task_flags
from ..services.imports.mapping import Choices
from ..services.imports.progress import import_progress
from ..services.imports.session import (
    ImportSession,
    import_error_message,
    import_session_commit,
    import_session_discard,
    import_session_preview,
    import_session_start,
)


def parse_error_message(error: ParseError) -> str:
    return error.message_en if (get_language() or "").startswith("en") else error.message_zh


def _regions(request: AuthenticatedRequest) -> QuerySet[Region]:
    return Region.objects.restrict(request.user, Action.IMPORT_PLAN)


def _own_region(request: AuthenticatedRequest) -> Region | None:
    """The user's own region when they may import for it: the default of every region choice."""
    region = request.user.region
    if region is None or not _regions(request).filter(pk=region.pk).exists():
        return None
    return region


def _redirect(request: AuthenticatedRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class ImportStart(ServiceActionView):
    """Upload or paste a plan; with ``plan_id``, a revised version of that plan. A document that
    cannot be read is refused under the field it came in (nothing is stored then)."""

    request: AuthenticatedRequest
    http_method_names = ["get", "post"]
    model = PlanImport
    form_class = ImportForm
    required = Action.IMPORT_PLAN

    def get_object(self) -> Plan | None:
        plan_id = self.kwargs.get("plan_id")
        return (
            get_for(self.request.user, Action.EDIT_PLAN, Plan.objects.all(), pk=plan_id) if plan_id else None
        )

    def get_form_kwargs(self, obj: Plan | None) -> dict[str, Any]:
        own = _own_region(self.request)
        return {"regions": _regions(self.request), "initial": {"region": own.pk if own else None}}

    def get(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(request.user, Action.IMPORT_PLAN)
        replaces = self.get_object()
        return self.page(ImportForm(**self.get_form_kwargs(replaces)), replaces, 200)

    def page(self, form: forms.BaseForm, replaces: Plan | None, status: int) -> HttpResponse:
        context = {"form": form, "replaces": replaces}
        return render(self.request, "tasks/import_start.html", context, status=status)

    def perform(self, form: forms.BaseForm, obj: Plan | None) -> ImportSession:
        upload = form.cleaned_data.get("file")
        try:
            return import_session_start(
                actor=self.request.user,
                data=upload.read() if upload else None,
                filename=upload.name if upload else "",
                text=None if upload else form.cleaned_data["text"],
                region=form.cleaned_data.get("region"),
                replaces=obj,
            )
        except ParseError as error:
            raise ValidationError({"file" if upload else "text": parse_error_message(error)}) from error

    def form_invalid(self, form: forms.BaseForm, obj: Plan | None) -> HttpResponse:
        return self.page(form, obj, 400)

    def success_url(self, obj: Plan | None, result: ImportSession) -> str:
        name = "tasks:import_status" if result.pending else "tasks:import_preview"
        return reverse(name, args=[result.record.pk])

    def redirect_to(self, url: str) -> HttpResponse:
        return _redirect(self.request, url)


import_start = ImportStart.as_view()


def _own_import(request: AuthenticatedRequest, pk: int) -> PlanImport:
    """An import the user may see (their own, or their region's bureau's); others answer 404."""
    try:
        found: PlanImport = imports_for(request.user).select_related("region", "replaces").get(pk=pk)
        return found
    except PlanImport.DoesNotExist:
        raise Http404 from None


ROLE_LABELS = (("lead", _lazy("牵头")), ("responsible", _lazy("责任")), ("cooperating", _lazy("配合")))


def _task_rows(
    tasks: list[Any], resolutions: dict[str, Any], edited: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for task in tasks:
        roles = []
        for role, label in ROLE_LABELS:
            names = getattr(task, role)
            if names:
                roles.append(
                    {"role": role, "label": label, "items": [(n, resolutions.get(n.strip())) for n in names]}
                )
        rows.append(
            {
                "task": task,
                "roles": roles,
                "flags": task_flags(task, resolutions),
                "dom_id": "t-" + hashlib.sha1(task.path.encode()).hexdigest()[:10],
                "edits": (edited or {}).get(task.path, []),
            }
        )
    return rows


def preview_tree(
    parsed: Any,
    resolutions: dict[str, Any],
    edited: dict[str, list[str]] | None = None,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Sections with their tasks (and each department name with its resolution) for the page;
    ``only`` keeps just those task paths (the "needs a look" list)."""
    by_section: dict[str, list[Any]] = {}
    for task in parsed.tasks:
        if only is None or task.path in only:
            by_section.setdefault(task.section_path, []).append(task)
    tree = []
    for section in parsed.sections:
        children = [
            {"section": child, "tasks": _task_rows(by_section.pop(child.path, []), resolutions, edited)}
            for child in section.children
        ]
        tree.append(
            {
                "section": section,
                "tasks": _task_rows(by_section.pop(section.path, []), resolutions, edited),
                "children": children,
            }
        )
    leftovers = [t for tasks in by_section.values() for t in tasks]
    if leftovers:
        tree.append({"section": None, "tasks": _task_rows(leftovers, resolutions, edited), "children": []})
    return tree


@login_required
@require_http_methods(["GET", "POST"])
def import_preview_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    require(request.user, Action.IMPORT_PLAN)
    record = _own_import(request, pk)
    if record.state in (ImportState.PARSING, ImportState.COMMITTING, ImportState.FAILED):
        return redirect("tasks:import_status", record.pk)
    if record.state != ImportState.PREVIEWED:
        if record.plan_id:
            return redirect("tasks:plan_detail", record.plan_id)
        messages.info(request, _("该导入已放弃。"))
        return redirect("tasks:import_start")
    regions = _regions(request)
    chosen = None
    if request.method == "POST" and request.POST.get("region"):
        chosen = regions.filter(pk=request.POST["region"]).first()
        if chosen is not None and chosen != record.region:
            # kept with the import, so that a reload (or a refused submit) shows the same region
            record = plan_import_edit(actor=request.user, record=record, ops=[], version=None, region=chosen)
    session = import_session_preview(
        actor=request.user,
        record=record,
        region=chosen,
        default_region=_own_region(request),
    )
    edited, parsed, preview = session.edited, session.parsed, session.preview
    departments = (
        Department.objects.filter(region__in=preview.region.ancestors_and_self(), active=True)
        if preview.region
        else Department.objects.none()
    )
    form = CommitImportForm(
        request.POST if request.method == "POST" else None,
        regions=regions,
        unresolved=preview.unresolved,
        departments=departments,
        initial={"region": preview.region},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and not (form.cleaned_data.get("region") or preview.region)
    ):
        form.add_error("region", _("请选择方案所属的行政区划。"))
    elif request.method == "POST" and form.is_valid():
        mapping, create = form.mapping()
        try:
            committed = import_session_commit(
                actor=request.user,
                record=record,
                region=form.cleaned_data.get("region") or preview.region,
                choices=Choices.of(
                    mapping=mapping,
                    create_names=create,
                    save_aliases=form.cleaned_data.get("save_aliases", False),
                ),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            plan, diff = committed.plan, committed.diff
            if plan is None:  # a big plan is written by a job: the page follows its progress
                return _redirect(request, reverse("tasks:import_status", args=[record.pk]))
            if diff is not None:
                messages.success(
                    request,
                    _(
                        "已更新方案:新增 %(added)s 项、修改 %(changed)s 项、取消 %(removed)s 项,%(unchanged)s 项未变。"
                    )
                    % {
                        "added": len(diff.added),
                        "changed": len(diff.changed),
                        "removed": len(diff.removed),
                        "unchanged": diff.unchanged,
                    },
                )
            else:
                messages.success(
                    request,
                    _("已导入方案《%(title)s》,共 %(count)s 项任务。")
                    % {"title": plan.title, "count": plan.tasks.count()},
                )
            return _redirect(request, reverse("tasks:plan_detail", args=[plan.pk]))
    look = {t.path for t in parsed.tasks if task_flags(t, preview.resolutions)}
    mapping_fields = [form[f"map_{i}"] for i in range(len(preview.unresolved))]
    only_look = request.GET.get("look") == "1"
    context = {
        # why the commit job refused (the import is back at the preview)
        "commit_error": import_error_message(record, get_language()) if request.method == "GET" else "",
        "record": record,
        "preview": preview,
        "parsed": parsed,
        "form": form,
        "tree": preview_tree(
            parsed, preview.resolutions, edited.edited_paths, only=look if only_look else None
        ),
        "look_count": len(look),
        "only_look": only_look,
        "unapplied": [
            {"label": summarize(op), "reason": op["reason"], "index": op["index"]} for op in edited.unapplied
        ],
        "sections": section_choices(parsed),
        "out_of_scope": session.out_of_scope,
        "mapping_fields": mapping_fields,
        # names left unmapped on a refused submit: the page says so above the button
        "unmapped": [field for field in mapping_fields if field.errors],
    }
    return render(request, "tasks/import_preview.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def import_discard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = _own_import(request, pk)
    import_session_discard(actor=request.user, record=record)
    messages.info(request, _("已放弃本次导入,未写入任何数据。"))
    return redirect("tasks:import_start")


@login_required
@require_http_methods(["GET"])
def import_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Progress of a file being read or a plan being written; htmx polls it until it is done."""
    require(request.user, Action.IMPORT_PLAN)
    record = _own_import(request, pk)
    if record.state == ImportState.COMMITTED and record.plan_id:
        count = Task.objects.filter(plan_id=record.plan_id).count()
        messages.success(request, _("已导入方案,共 %(count)s 项任务。") % {"count": count})
        return _redirect(request, reverse("tasks:plan_detail", args=[record.plan_id]))
    if record.state == ImportState.PREVIEWED:
        return _redirect(request, reverse("tasks:import_preview", args=[record.pk]))
    if record.state == ImportState.DISCARDED:
        return _redirect(request, reverse("tasks:import_start"))
    record.progress = import_progress(record)  # while the commit job writes, its batches' figure
    context = {
        "record": record,
        "error": import_error_message(record, get_language()) if record.state == ImportState.FAILED else "",
        "pending": record.state in (ImportState.PARSING, ImportState.COMMITTING),
    }
    return render(request, "tasks/import_status.html", context)


def section_choices(parsed: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for section in parsed.sections:
        out.append((section.path, f"{section.label}、{section.title}"))
        out.extend((child.path, f"{section.label} {child.label}{child.title}") for child in section.children)
    return out


# --- the bureau's corrections ------------------------------------------------------------------------
def _previewed(request: AuthenticatedRequest, pk: int) -> PlanImport:
    require(request.user, Action.IMPORT_PLAN)
    record = _own_import(request, pk)
    if record.state != ImportState.PREVIEWED:
        raise Http404
    return record


@login_required
@require_http_methods(["GET"])
def import_task_form(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The correction form of one task (``?path=``), loaded into the preview by htmx."""
    record = _previewed(request, pk)
    parsed = import_session_preview(actor=request.user, record=record).parsed
    task = next((t for t in parsed.tasks if t.path == request.GET.get("path")), None)
    if task is None:
        raise Http404
    context = {
        "record": record,
        "task": task,
        "sections": section_choices(parsed),
        "others": [t.path for t in parsed.tasks if t.path != task.path],
        "roles": [(role, label, "、".join(getattr(task, role))) for role, label in ROLE_LABELS],
        "deadline_iso": _iso(task.deadline),
    }
    return render(request, "tasks/_import_task_form.html", context)


def _iso(deadline: str | None) -> str:
    day = deadline_to_date(deadline)
    return day.isoformat() if day else ""


class ImportEdit(MessageActionView):
    """Store one correction with the import, then show the preview again (at its task list,
    unless the correction was the plan's own data)."""

    request: AuthenticatedRequest
    model = PlanImport
    form_class = ImportEditForm
    object_name = "record"
    success_message = _lazy("已保存修改。")
    anchor = ""

    def get_object(self) -> PlanImport:
        return _previewed(self.request, self.kwargs["pk"])

    def get_form_kwargs(self, obj: PlanImport) -> dict[str, Any]:
        return {"regions": _regions(self.request)}

    def get_form(self, obj: PlanImport) -> forms.BaseForm:
        form = super().get_form(obj)
        self.anchor = "#task-list" if form.data.get("op") != "plan" else ""
        return form

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: PlanImport) -> HttpResponse:
        messages.error(self.request, _("该导入已被他人修改,已显示最新内容,请重新修改。"))
        return redirect(self.page(obj))

    def page(self, obj: PlanImport) -> str:
        return reverse("tasks:import_preview", args=[obj.pk]) + self.anchor


import_edit = ImportEdit.as_view(service=plan_import_edit)


@login_required
@require_http_methods(["GET"])
def import_departments(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Server-side search of the region's department registry for the picker (htmx)."""
    record = _previewed(request, pk)
    query = (request.GET.get("q") or "").strip()[:50]
    region = import_session_preview(
        actor=request.user,
        record=record,
        default_region=_own_region(request),
    ).preview.region
    found: list[str] = []
    if region is not None and query:
        visible = region.ancestors_and_self()
        found = list(
            Department.objects.filter(region__in=visible, active=True)
            .filter(Q(name__icontains=query) | Q(aliases__name__icontains=query))
            .values_list("name", flat=True)
            .distinct()
            .order_by("name")[:15]
        )
    context = {"found": found, "query": query, "roles": ROLE_LABELS}
    return render(request, "tasks/_import_department_options.html", context)
