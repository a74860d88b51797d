"""The plan page: metadata, the section tree with its tasks, targets and phases; filterable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from departments.models import Department
from ipplan.permissions import Action, can, get_for

from ..filtersets import TaskFilterSet
from ..models import IndicatorReading, Plan, Section, Task
from ..selectors import light_counts, visible_tasks


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    all_tasks = visible_tasks(request.user).filter(plan=plan)  # type: ignore[arg-type]
    departments = Department.objects.filter(assignments__task__plan=plan).distinct().order_by("name")
    filterset = TaskFilterSet(request.GET or None, queryset=all_tasks)
    filterset.filters["department"].queryset = departments  # type: ignore[attr-defined]
    tasks: list[Task] = list(filterset.qs.order_by("order", "id"))
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
    context = {
        "plan": plan,
        "sections": sections,
        "loose_tasks": by_section.get(None, []),
        "indicators": indicators,
        "phases": plan.phases.all(),
        "task_count": len(tasks),
        "counts": light_counts(all_tasks),
        "filter": filterset,
        "filtering": filtering,
        "can_reimport": can(request.user, Action.EDIT_PLAN, plan),
    }
    return render(request, "tasks/plan_detail.html", context)
