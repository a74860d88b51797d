"""The overview dashboard and the task list every figure drills down to."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments.http import AuthenticatedRequest
from departments.models import Department
from ipplan.permissions import Action, get_for, require

from ..briefing import write_briefing
from ..choices import Light, TaskStatus
from ..dashboards import (
    dashboard_scope,
    department_ranking,
    plan_figures,
    ranking_departments,
    recent_activity,
    upcoming_deadlines,
)
from ..exports import write_ledger
from ..figures_cache import cached
from ..filtersets import TaskFilterSet, filtered
from ..models import Assignment, Plan, Task, local_today
from ..reporting.scores import city_ranking
from ..selectors import light_counts, listed, order_by_urgency, with_urgency
from .tasklists import TaskListPage

#: The plans (table and chart) and ranking rows a dashboard shows; the totals cover all of them.
DASHBOARD_ROWS = 30

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _drill(**params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items() if value not in (None, ""))
    return f"{reverse('tasks:task_list')}?{query}"


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, Action.VIEW_DASHBOARD)
    user = request.user
    today = local_today()
    plans, tasks = dashboard_scope(user)
    department_id = user.department_id if user.is_department_user else None
    chosen = request.GET.get("department", "")
    viewed = None
    if department_id is None and chosen.isdigit():
        # one department's dashboard, as the bureau or a leader sees it
        viewed = get_for(user, Action.VIEW_DEPARTMENT, Department.objects.all(), pk=int(chosen))
        department_id = viewed.pk
        mine = Assignment.objects.filter(task=OuterRef("pk"), department_id=department_id)
        tasks = tasks.filter(Exists(mine))
        plans = plans.filter(pk__in=tasks.values("plan_id"))
    # every department's score is computed over all its tasks: scope picks the rows, not the figures
    departments = ranking_departments(user)
    if department_id:
        departments = departments.filter(pk=department_id)

    def summary() -> dict[str, Any]:
        """Figures, not rows: the totals count every plan and department; the table, the chart and
        the ranking keep the first DASHBOARD_ROWS, the rest is one link away (task list,
        assessment). Only this much is cached, so that a cached dashboard reads little."""
        figures = plan_figures(plans, today, department_id=department_id)
        ranking = department_ranking(departments, today)
        return {
            "figures": figures[:DASHBOARD_ROWS],
            "plan_count": len(figures),
            "total": sum(f.total for f in figures),
            "lights": {
                name: sum(f.lights[name] for f in figures) for name in ("red", "yellow", "green", "done")
            },
            "ranking": ranking[:DASHBOARD_ROWS],
            "ranking_count": len(ranking),
            "cities": city_ranking(ranking) if len({row.city for row in ranking}) > 1 else [],
        }

    figured = cached("dashboard", user, today, str(viewed.pk if viewed else ""), summary)
    figures, lights = figured["figures"], figured["lights"]
    chart = {
        "plans": [
            {
                "name": f.plan.title,  # whole: the chart wraps long names on its axis
                "counts": [f.by_status[s.value] for s in TaskStatus],
                "links": [
                    _drill(plan=f.plan.pk, status=s.value, department=department_id) for s in TaskStatus
                ],
            }
            for f in figures
        ],
        "statuses": [str(s.label) for s in TaskStatus],
        "lights": [
            {
                "name": str(Light(name).label),
                "value": value,
                "link": _drill(light=name, department=department_id),
                "key": name,
            }
            for name, value in lights.items()
        ],
    }
    context = {
        **figured,
        "upcoming": list(upcoming_deadlines(tasks, today)[:20]),
        "activity": recent_activity(plans),
        "chart": chart,
        "department_view": bool(department_id),
        "viewed_department": viewed,
        "drill_department": department_id or "",
        "ranking_start": dt.date(today.year, 1, 1),
        "today": today,
    }
    return render(request, "tasks/dashboard.html", context)


class TaskList(TaskListPage):
    """Any filtered list of the tasks the user may see: the target of every drill-down."""

    template_name = "tasks/task_list.html"

    def narrow(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        user = self.request.user
        plans = Plan.objects.restrict(user, Action.VIEW_PLAN)
        self.filterset = TaskFilterSet(self.request.GET or None, queryset=listed(queryset), plans=plans)
        departments = Department.objects.restrict(user, Action.VIEW_DEPARTMENT)
        self.filterset.filters["department"].queryset = departments
        self.matching = filtered(self.filterset)
        self.light = _one_light(self.filterset)
        if self.light is None:
            return order_by_urgency(self.matching)
        # every row shows the same light: the same order without the CASE in ORDER BY, so the
        # due-date index yields the first page without sorting every overdue task of a province
        return self.matching.order_by("due_date", "plan_id", "order", "id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.light is None:
            counts = light_counts(self.matching)
        else:  # the page's count is the light's count: no second pass over the rows
            counts = {value: 0 for value in Light.values} | {self.light: context["page"].paginator.count}
        return {**context, "filter": self.filterset, "counts": counts, "can_export": True}


task_list = TaskList.as_view()


def _one_light(filterset: TaskFilterSet) -> str | None:
    """The light every listed task shows when the filters choose one (``overdue``: red), else None."""
    if not filterset.is_bound or not filterset.is_valid():
        return None
    data = filterset.form.cleaned_data
    light, overdue = data.get("light") or None, data.get("overdue")
    if overdue is True and light in (None, Light.RED):
        return str(Light.RED.value)
    if overdue is None and light:
        return str(Light(light).value)
    return None


@login_required
def ledger_export(request: AuthenticatedRequest) -> FileResponse:
    """The filtered task list as a ledger (.xlsx), written to a temporary file and streamed."""
    require(request.user, Action.EXPORT)
    tasks = Task.objects.restrict(request.user, Action.EXPORT)
    filterset = TaskFilterSet(request.GET or None, queryset=with_urgency(tasks, local_today()))
    matching = filtered(filterset)
    # FileResponse closes the file when it has been sent, and a TemporaryFile disappears then.
    handle = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115
    plan = filterset.form.cleaned_data.get("plan") if filterset.is_valid() else None
    write_ledger(matching, handle, title=getattr(plan, "title", ""))
    handle.seek(0)
    name = f"{_('任务台账')}-{local_today():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@login_required
def briefing_export(request: AuthenticatedRequest) -> FileResponse:
    """The briefing (督办通报) for a period as .docx; the period defaults to the last 30 days."""
    require(request.user, Action.EXPORT)
    today = local_today()
    try:
        end = dt.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
        start = (
            dt.date.fromisoformat(request.GET["start"])
            if request.GET.get("start")
            else end - dt.timedelta(days=30)
        )
    except ValueError:
        raise Http404 from None
    plans, tasks = dashboard_scope(request.user)
    tasks = tasks.restrict(request.user, Action.EXPORT)
    handle = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 (closed by FileResponse)
    region = request.user.region or getattr(request.user.department, "region", None)
    issuer = f"{region.name}{_('知识产权局')}" if region else ""
    write_briefing(plans=plans, tasks=tasks, start=start, end=end, output=handle, issuer=issuer)
    handle.seek(0)
    name = f"{_('督办通报')}-{end:%Y%m%d}.docx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=DOCX)
