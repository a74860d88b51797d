"""The plan page: metadata, the section tree with its tasks, targets and phases; filterable."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.models import Department
from ipplan.permissions import Action, can, get_for

from ..dashboards import plan_figures
from ..filtersets import TaskFilterSet
from ..marks import attach_marks
from ..models import IndicatorReading, Plan, Section, Task, local_today
from ..selectors import light_counts, visible_tasks
from ..services.reminders import rules_for
from ..services.workflow import deadline_set_for_plan, deadline_set_for_section


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    all_tasks = visible_tasks(request.user).filter(plan=plan)  # type: ignore[arg-type]
    departments = Department.objects.filter(assignments__task__plan=plan).distinct().order_by("name")
    filterset = TaskFilterSet(request.GET or None, queryset=all_tasks)
    filterset.filters["department"].queryset = departments  # type: ignore[attr-defined]
    tasks: list[Task] = attach_marks(filterset.qs.order_by("order", "id"))
    sections = list(Section.objects.filter(plan=plan).order_by("order", "id"))
    by_section: dict[int | None, list[Task]] = {}
    for task in tasks:
        by_section.setdefault(task.section_id, []).append(task)
    filtering = bool(filterset.form.data)
    for section in sections:
        section.task_list = by_section.get(section.pk, [])  # type: ignore[attr-defined]
    if filtering:  # only the sections that still hold a task, and their parents
        keep = {s.pk for s in sections if s.task_list} | {s.parent_id for s in sections if s.task_list}  # type: ignore[attr-defined]
        sections = [s for s in sections if s.pk in keep]
    latest = IndicatorReading.objects.filter(indicator=OuterRef("pk")).order_by("-observed_on", "-id")
    indicators = plan.indicators.select_related("section", "task").annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_on=Subquery(latest.values("observed_on")[:1]),
    )
    today = local_today()
    phases = list(plan.phases.all())
    for phase in phases:
        phase.state = (  # type: ignore[attr-defined]
            "done" if phase.end and phase.end < today else "current" if phase.start <= today else "upcoming"
        )
    context = {
        "plan": plan,
        "sections": sections,
        "loose_tasks": by_section.get(None, []),
        "indicators": indicators,
        "phases": phases,
        "task_count": len(tasks),
        "counts": light_counts(all_tasks),
        "figures": plan_figures(Plan.objects.filter(pk=plan.pk), today)[0],
        "filter": filterset,
        "filtering": filtering,
        "can_reimport": can(request.user, Action.EDIT_PLAN, plan),
        "can_maintain": can(request.user, Action.MAINTAIN_PLAN, plan),
        "can_set_deadlines": can(request.user, Action.EDIT_DEADLINE, plan),
        "rules": rules_for(plan),
        "all_sections": Section.objects.filter(plan=plan).order_by("order", "id"),
    }
    return render(request, "tasks/plan_detail.html", context)


@login_required
@require_POST
def plan_deadlines(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau sets one deadline for a whole plan or one section of it (open tasks only)."""
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.all(), pk=pk)
    try:
        due = dt.date.fromisoformat(request.POST.get("due_date", ""))
    except ValueError:
        messages.error(request, _("请选择有效的完成时限。"))
        return redirect("tasks:plan_detail", plan.pk)
    section_id = request.POST.get("section") or ""
    if section_id:
        section = get_object_or_404(Section, pk=section_id, plan=plan)
        changed = deadline_set_for_section(actor=request.user, section=section, due_date=due)  # type: ignore[arg-type]
    else:
        changed = deadline_set_for_plan(actor=request.user, plan=plan, due_date=due)  # type: ignore[arg-type]
    messages.success(
        request, _("已为 %(n)s 项未办结任务设置完成时限 %(date)s。") % {"n": changed, "date": due.isoformat()}
    )
    return redirect("tasks:plan_detail", plan.pk)
