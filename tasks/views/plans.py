"""The plan page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ipplan.permissions import Action, can, get_for

from ..models import Assignment, Plan, Section, Task


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=pk)
    tasks = Task.objects.filter(plan=plan).prefetch_related(
        Prefetch(
            "assignments", queryset=Assignment.objects.select_related("department").order_by("role", "order")
        )
    )
    sections = list(Section.objects.filter(plan=plan).order_by("order", "id"))
    by_section: dict[int | None, list[Task]] = {}
    for task in tasks.order_by("order", "id"):
        by_section.setdefault(task.section_id, []).append(task)
    for section in sections:
        section.task_list = by_section.get(section.pk, [])  # type: ignore[attr-defined]
    context = {
        "plan": plan,
        "sections": sections,
        "loose_tasks": by_section.get(None, []),
        "indicators": plan.indicators.select_related("section", "task"),
        "phases": plan.phases.all(),
        "task_count": tasks.count(),
        "can_reimport": can(request.user, Action.EDIT_PLAN, plan),
    }
    return render(request, "tasks/plan_detail.html", context)
