"""Dashboard figures, each an aggregate in the database.

The number of queries does not depend on how many plans, tasks or departments there are: every
figure below is one grouped query over the tasks the user may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from departments.models import Department, User
from ipplan.permissions import Action

from . import department_figures
from .choices import CLOSED_STATUSES, TaskStatus
from .lights import completed_on_time_q, light_q
from .models import Assignment, Plan, Task, TaskQuerySet, local_today
from .reporting.scores import Assessment, assess, rank_rows, rate
from .selectors import with_urgency

OPEN = ~Q(status__in=CLOSED_STATUSES)


def light_filters(prefix: str, today: dt.date) -> dict[str, Q]:
    """The traffic light (``tasks.lights.light``) as filters on ``prefix`` + task fields."""
    return {light.value: condition for light, condition in light_q(today, prefix).items()}


def _rate(part: int, whole: int) -> float | None:
    return rate(part, whole)


@dataclass
class PlanFigures:
    plan: Plan
    total: int
    by_status: dict[str, int]
    lights: dict[str, int]
    overdue: int
    completed: int
    completed_on_time: int
    cancelled: int

    @property
    def completion_rate(self) -> float | None:
        return _rate(self.completed, self.total - self.cancelled)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.completed_on_time, self.completed)


def plan_figures(
    plans: QuerySet[Plan], today: dt.date | None = None, *, department_id: int | None = None
) -> list[PlanFigures]:
    """Per plan: tasks by status and light, overdue, completion and on-time completion; with
    ``department_id``, only the tasks that department is assigned to.

    Two queries: the plans, and one pass over their tasks grouped by plan. Each task is one row
    of that pass (the department is an ``EXISTS``, not a join), so the counts need no DISTINCT."""
    today = today or local_today()
    tasks = Task.objects.filter(plan_id__in=plans.values("pk"))
    if department_id:
        tasks = tasks.filter(
            Exists(Assignment.objects.filter(task=OuterRef("pk"), department_id=department_id))
        )
    lights = light_filters("", today)
    annotations: dict[str, Any] = {
        "n_total": Count("pk"),
        "n_on_time": Count("pk", filter=completed_on_time_q()),
        **{f"n_status_{s.value}": Count("pk", filter=Q(status=s.value)) for s in TaskStatus},
        **{f"n_light_{name}": Count("pk", filter=condition) for name, condition in lights.items()},
    }
    counted = {row["plan_id"]: row for row in tasks.order_by().values("plan_id").annotate(**annotations)}
    none = dict.fromkeys(annotations, 0)
    figures = []
    for plan in plans.select_related("region").order_by("-issued_on", "title", "id"):
        values = counted.get(plan.pk, none)
        by_status = {s.value: values[f"n_status_{s.value}"] for s in TaskStatus}
        figures.append(
            PlanFigures(
                plan=plan,
                total=values["n_total"],
                by_status=by_status,
                lights={name: values[f"n_light_{name}"] for name in lights},
                overdue=values["n_light_red"],
                completed=by_status[TaskStatus.COMPLETED],
                completed_on_time=values["n_on_time"],
                cancelled=by_status[TaskStatus.CANCELLED],
            )
        )
    return figures


#: A dashboard row of the department ranking is the assessment row (``tasks.reporting.scores``).
DepartmentFigures = Assessment


def department_ranking(
    departments: QuerySet[Department], today: dt.date | None = None, *, start: dt.date | None = None
) -> list[Assessment]:
    """The ranking of ``departments`` the dashboard shows: the assessment from 1 January to
    ``today`` (or from ``start``), with today's tasks led, shared, overdue and reports missing.
    The same figures as the assessment page, computed over all of each department's tasks; the
    counts from 1 January are read from the stored rows (``tasks.department_figures``)."""
    today = today or local_today()
    if start is None and department_figures.enabled():
        return rank_rows(department_figures.stored_counts(departments, today))
    return assess(departments, start or dt.date(today.year, 1, 1), today, today=today)


def ranking_departments(user: User) -> QuerySet[Department]:
    """The departments whose rows a user's dashboard and assessment list: their own for
    department roles, else those of their region and below."""
    departments = Department.objects.restrict(user, Action.VIEW_DEPARTMENT)
    if user.is_department_user:
        departments = departments.filter(pk=user.department_id or 0)
    return departments


def upcoming_deadlines(tasks: QuerySet[Task], today: dt.date | None = None, days: int = 30) -> QuerySet[Task]:
    today = today or local_today()
    return (
        with_urgency(
            tasks.filter(OPEN, due_date__gte=today, due_date__lte=today + dt.timedelta(days=days)), today
        )
        .select_related("plan")
        .order_by("due_date", "id")
    )


def recent_activity(plans: QuerySet[Plan], limit: int = 15) -> list[Any]:
    """The latest changes to tasks of these plans, from the audit trail."""
    history = Task.history.filter(plan_id__in=plans.values("pk"))
    return list(
        history.select_related("history_user")
        .annotate(day=TruncDate("history_date"))
        .order_by("-history_date")[:limit]
    )


def dashboard_scope(user: User) -> tuple[QuerySet[Plan], TaskQuerySet]:
    """The plans and tasks a dashboard covers: the region's for the bureau, leaders and admins;
    the department's own tasks for department roles."""
    plans = Plan.objects.restrict(user, Action.VIEW_PLAN)
    tasks = Task.objects.restrict(user, Action.VIEW_TASK)
    if user.is_department_user:
        mine = Assignment.objects.filter(task=OuterRef("pk"), department_id=user.department_id or 0)
        tasks = tasks.filter(Exists(mine))
        plans = plans.filter(pk__in=tasks.values("plan_id"))
    return plans, tasks
