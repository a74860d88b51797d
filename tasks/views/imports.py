"""Importing a plan in the browser: upload or paste -> preview -> map departments -> commit."""

from __future__ import annotations

import hashlib
from typing import Any

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
from ipplan.permissions import Action, get_for, require
from planparser import ParseError
from planparser.dates import deadline_to_date

from ..choices import ImportState
from ..forms import CommitImportForm, ImportForm
from ..models import Plan, PlanImport, Task
from ..services.imports.edits import imports_for, plan_import_edit, summarize, task_flags
from ..services.imports.mapping import Choices
from ..services.imports.progress import import_progress
from ..services.imports.session import (
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


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: AuthenticatedRequest, plan_id: int | None = None) -> HttpResponse:
    """Upload or paste a plan; with ``plan_id``, a revised version of that plan."""
    require(request.user, Action.IMPORT_PLAN)
    replaces = get_for(request.user, Action.EDIT_PLAN, Plan.objects.all(), pk=plan_id) if plan_id else None
    bound = request.method == "POST"
    own = _own_region(request)
    form = ImportForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        regions=_regions(request),
        initial={"region": own.pk if own else None},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            session = import_session_start(
                actor=request.user,
                data=upload.read() if upload else None,
                filename=upload.name if upload else "",
                text=None if upload else form.cleaned_data["text"],
                region=form.cleaned_data.get("region"),
                replaces=replaces,
            )
        except ParseError as error:  # nothing is stored then
            form.add_error("file" if upload else "text", parse_error_message(error))
        else:
            name = "tasks:import_status" if session.pending else "tasks:import_preview"
            return _redirect(request, reverse(name, args=[session.record.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "tasks/import_start.html", {"form": form, "replaces": replaces}, status=status)


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


def _names(value: str) -> list[str]:
    return [
        n.strip()
        for n in value.replace(",", "、").replace(",", "、").replace(";", "、").split("、")
        if n.strip()
    ]


def edit_op(post: Any) -> dict[str, Any]:
    """The edit operation a preview form posts (the same JSON the API's PATCH takes)."""
    kind = post.get("op", "")
    op: dict[str, Any] = {"op": kind}
    if kind in ("task", "delete", "merge", "split"):
        op["path"] = post.get("path", "")
    if kind in ("task", "add"):
        for key in ("title", "full_text", "deadline"):
            if key in post:
                op[key] = post.get(key, "")
        for role, _label in ROLE_LABELS:
            if role in post:
                op[role] = _names(post.get(role, ""))
        if post.get("section"):
            op["section"] = post["section"]
    if kind == "merge":
        op["into"] = post.get("into", "")
    if kind == "split":
        op["at"] = post.get("at", "")
    if kind == "forget":
        op["index"] = int(post["index"]) if str(post.get("index", "")).isdigit() else -1
    if kind == "plan":
        for key in ("title", "doc_number"):
            if key in post:
                op[key] = post.get(key, "")
        start, end = post.get("period_start", ""), post.get("period_end", "")
        if start.isdigit() and end.isdigit():
            op["period"] = [int(start), int(end)]
        elif "period_start" in post and not start and not end:
            op["period"] = None
    return op


@login_required
@require_POST
def import_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Store one correction with the import, then show the preview again."""
    record = _previewed(request, pk)
    version = request.POST.get("version", "")
    region = None
    if request.POST.get("op") == "plan" and request.POST.get("region"):
        region = _regions(request).filter(pk=request.POST["region"]).first()
    try:
        plan_import_edit(
            actor=request.user,
            record=record,
            ops=[edit_op(request.POST)],
            version=int(version) if version.isdigit() else None,
            region=region,
        )
    except ConflictError:
        messages.error(request, _("该导入已被他人修改,已显示最新内容,请重新修改。"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已保存修改。"))
    anchor = "#task-list" if request.POST.get("op") != "plan" else ""
    return redirect(reverse("tasks:import_preview", args=[record.pk]) + anchor)


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
