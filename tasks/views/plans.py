"""The plan page: metadata, the section tree with its tasks, targets and phases; filterable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments.http import AuthenticatedRequest
from departments.models import Department
from ipplan.generic import MessageActionView, RestrictedListView
from ipplan.permissions import Action, can, get_for
from notifications.services.policies import rules_for

from ..choices import Light
from ..dashboards import plan_figures
from ..filtersets import TaskFilterSet
from ..forms import PlanDeadlinesForm
from ..lights import LIGHT_BY_RANK
from ..marks import attach_marks
from ..models import Assignment, IndicatorReading, Phase, Plan, Section, Task, local_today
from ..selectors import light_counts, listed, visible_tasks
from ..services.workflow import deadline_set_for_plan, deadline_set_for_section

PLAN_VIEWS = ("sections", "table", "timeline")
TABLE_PAGE_SIZE = 100
FILTER_FIELDS = ("department", "status", "light")


@dataclass
class SectionRow:
    """One line of the plan's outline: a section, its depth, and the figures of its subtree."""

    section: Section | None  # None: the tasks outside any section
    depth: int
    own: int = 0  # tasks directly in the section
    total: int = 0  # tasks in the section and its subsections
    lights: dict[str, int] = field(default_factory=lambda: {light.value: 0 for light in Light})
    progress: int = 0  # summed progress of the subtree, for the mean
    tasks: list[Task] = field(default_factory=list)

    @property
    def key(self) -> int:
        return self.section.pk if self.section else 0

    @property
    def mean_progress(self) -> int:
        return round(self.progress / self.total) if self.total else 0


def _outline(plan: Plan, tasks: QuerySet[Task]) -> list[SectionRow]:
    """The sections in document order with their subtree figures, from two queries whatever the size."""
    sections = list(Section.objects.filter(plan=plan).order_by("order", "id"))
    by_id = {s.pk: s for s in sections}
    rows = {s.pk: SectionRow(section=s, depth=0) for s in sections}
    for section in sections:  # depth by walking up; plans are a few levels deep
        parent, depth = section.parent_id, 0
        while parent is not None and parent in by_id:
            depth, parent = depth + 1, by_id[parent].parent_id
        rows[section.pk].depth = depth
    loose = SectionRow(section=None, depth=0)
    figures = (
        tasks.order_by().values(*["section_id", "light_rank"]).annotate(n=Count("id"), p=Sum("progress"))
    )
    for figure in figures:
        row = rows.get(figure["section_id"], loose)
        row.own += figure["n"]
        current: SectionRow | None = row
        while current is not None:  # the section and every ancestor count the task
            current.total += figure["n"]
            current.progress += figure["p"] or 0
            light = LIGHT_BY_RANK[figure["light_rank"]].value
            current.lights[light] = current.lights.get(light, 0) + figure["n"]
            parent = current.section.parent_id if current.section else None
            current = rows.get(parent) if parent is not None else None
    outline = [rows[s.pk] for s in sections if rows[s.pk].total]
    if loose.total:
        outline.append(loose)
    return outline


def _plan_tasks(
    request: AuthenticatedRequest, plan: Plan, all_tasks: QuerySet[Task]
) -> tuple[TaskFilterSet, QuerySet[Task], bool]:
    """The plan's tasks the user may see (``all_tasks``), through the page's filters."""
    # the departments with a task in the plan: EXISTS, not a DISTINCT over joined department rows
    carries = Assignment.objects.filter(department=OuterRef("pk"), task__plan=plan)
    departments = Department.objects.filter(Exists(carries)).order_by("name")
    data = {k: v for k, v in request.GET.lists() if k in FILTER_FIELDS and any(v)}
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    filterset = TaskFilterSet(query or None, queryset=all_tasks)
    filterset.filters["department"].queryset = departments
    return filterset, filterset.qs.order_by("order", "id"), bool(data)


class PlanDetail(RestrictedListView):
    """The plan: outline with collapsed sections (default), a compact table, or a timeline; the
    table pages the plan's tasks the user may see. A plan out of reach answers 404 as a missing
    one (so no 403 for a role without tasks)."""

    request: AuthenticatedRequest
    model = Task
    action = Action.VIEW_TASK
    required = False
    template_name = "tasks/plan_detail.html"

    def shown(self) -> str:
        view = self.request.GET.get("view", "sections")
        return view if view in PLAN_VIEWS else "sections"

    def narrow(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        user = self.request.user
        self.plan = get_for(
            user, Action.VIEW_PLAN, Plan.objects.select_related("region"), pk=self.kwargs["pk"]
        )
        self.all_tasks = listed(queryset).filter(plan=self.plan)
        self.filterset, self.tasks, self.filtering = _plan_tasks(self.request, self.plan, self.all_tasks)
        return self.tasks

    def get_paginate_by(self, queryset: QuerySet[Task]) -> int | None:
        return TABLE_PAGE_SIZE if self.shown() == "table" else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan, tasks, view = self.plan, self.tasks, self.shown()
        today = local_today()
        outline = _outline(plan, tasks)
        timeline: dict[str, object] = {}
        if view == "sections" and self.filtering:  # a filtered outline is short: open it with its tasks
            by_section: dict[int, list[Task]] = {}
            for task in attach_marks(tasks):
                by_section.setdefault(task.section_id or 0, []).append(task)
            for row in outline:
                row.tasks = by_section.get(row.key, [])
        latest = IndicatorReading.objects.filter(indicator=OuterRef("pk")).order_by("-observed_on", "-id")
        indicators = plan.indicators.select_related("section", "task").annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_on=Subquery(latest.values("observed_on")[:1]),
        )
        phases = _phases(plan, today)
        if view == "timeline":
            timeline = _timeline(plan, tasks, outline, phases, today)
        filters = QueryDict(mutable=True)
        for key in FILTER_FIELDS:
            if self.request.GET.getlist(key):
                filters.setlist(key, self.request.GET.getlist(key))
        user = self.request.user
        return {
            **context,
            "plan": plan,
            "view": view,
            "outline": outline,
            "table": context["page"],
            "timeline": timeline,
            "indicators": indicators,
            "phases": phases,
            "task_count": sum(row.own for row in outline),
            "counts": light_counts(self.all_tasks),
            "figures": plan_figures(Plan.objects.filter(pk=plan.pk), today)[0],
            "filter": self.filterset,
            "filtering": self.filtering,
            "filters": filters.urlencode(),
            "query": f"view=table&{filters.urlencode()}",
            "can_reimport": can(user, Action.EDIT_PLAN, plan),
            "can_maintain": can(user, Action.MAINTAIN_PLAN, plan),
            "can_set_deadlines": can(user, Action.EDIT_DEADLINE, plan),
            "rules": rules_for(plan),
            "all_sections": Section.objects.filter(plan=plan).order_by("order", "id"),
        }


plan_detail = PlanDetail.as_view()


def _phases(plan: Plan, today: dt.date) -> list[Phase]:
    """The plan's phases, each with its ``state`` on ``today``."""
    phases = list(plan.phases.all())
    for phase in phases:
        phase.state = (  # type: ignore[attr-defined]
            "done" if phase.end and phase.end < today else "current" if phase.start <= today else "upcoming"
        )
    return phases


def _timeline(
    plan: Plan, tasks: QuerySet[Task], outline: list[SectionRow], phases: list[Phase], today: dt.date
) -> dict[str, object]:
    """Data for the Gantt-style chart: phases as bars, each section's deadlines as dots on its row."""
    rows = [row for row in outline if row.own]
    index = {row.key: i for i, row in enumerate(rows)}
    labels = [
        f"{row.section.label} {row.section.title}" if row.section else str(_("其他任务")) for row in rows
    ]
    dots, spans = [], []
    first: dict[int, dt.date] = {}
    last: dict[int, dt.date] = {}
    for task in tasks.order_by().values(*["pk", "path", "title", "due_date", "light_rank", "section_id"]):
        key = task["section_id"] or 0
        if task["due_date"] is None or key not in index:
            continue
        due = task["due_date"]
        first[key] = min(first.get(key, due), due)
        last[key] = max(last.get(key, due), due)
        dots.append(
            {
                "value": [due.isoformat(), index[key]],
                "light": LIGHT_BY_RANK[task["light_rank"]].value,
                "name": f"{task['path']} {task['title'][:60]}",
                "link": reverse("tasks:task_detail", args=[task["pk"]]),
            }
        )
    for key, start in first.items():
        spans.append({"row": index[key], "start": start.isoformat(), "end": last[key].isoformat()})
    return {
        "rows": labels,
        "dots": dots,
        "spans": spans,
        "phases": [
            {
                "name": p.name,
                "start": p.start.isoformat(),
                "end": (p.end or p.start).isoformat(),
                "state": p.state,  # type: ignore[attr-defined]
            }
            for p in phases
        ],
        "today": today.isoformat(),
        "lights": {light.value: str(light.label) for light in Light},
        "labels": {"phase": str(_("实施阶段")), "deadline": str(_("完成时限")), "today": str(_("今天"))},
    }


@login_required
def plan_section_tasks(request: AuthenticatedRequest, pk: int, section_id: int) -> HttpResponse:
    """The tasks of one section (0: outside any section), loaded by htmx when the section opens."""
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.all(), pk=pk)
    section = get_object_or_404(Section, pk=section_id, plan=plan) if section_id else None
    all_tasks = visible_tasks(request.user).filter(plan=plan)
    _filterset, tasks, _filtering = _plan_tasks(request, plan, all_tasks)
    return render(
        request,
        "tasks/_plan_section_tasks.html",
        {"tasks": attach_marks(tasks.filter(section=section)), "section": section},
    )


class PlanDeadlines(MessageActionView):
    """The bureau sets one deadline for a whole plan or one section of it (open tasks only); a
    section of another plan answers 404."""

    request: AuthenticatedRequest
    model = Plan
    lookup_action = Action.VIEW_PLAN
    form_class = PlanDeadlinesForm

    def perform(self, form: forms.BaseForm, obj: Plan) -> tuple[int, dt.date]:
        due, section_id = form.cleaned_data["due_date"], form.cleaned_data["section"]
        if section_id:
            section = get_object_or_404(Section, pk=section_id, plan=obj)
            return deadline_set_for_section(actor=self.request.user, section=section, due_date=due), due
        return deadline_set_for_plan(actor=self.request.user, plan=obj, due_date=due), due

    def get_success_message(self, obj: Plan, result: tuple[int, dt.date]) -> str:
        changed, due = result
        return _("已为 %(n)s 项未办结任务设置完成时限 %(date)s。") % {"n": changed, "date": due.isoformat()}

    def page(self, obj: Plan) -> str:
        return reverse("tasks:plan_detail", args=[obj.pk])


plan_deadlines = PlanDeadlines.as_view()
