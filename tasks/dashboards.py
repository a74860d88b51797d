"""Dashboard figures, each an aggregate in the database.

The number of queries does not depend on how many plans, tasks or departments there are: every
figure below is one grouped query over the tasks the user may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from departments.models import Department, User
from ipplan.permissions import Action, scope

from .choices import CLOSED_STATUSES, AssignmentRole, TaskStatus
from .models import DUE_SOON_DAYS, LOW_PROGRESS, Assignment, Plan, ProgressReport, Task, local_today
from .selectors import current_periods, with_urgency

OPEN = ~Q(status__in=CLOSED_STATUSES)


def light_filters(prefix: str, today: dt.date) -> dict[str, Q]:
    """The traffic-light rule (see Task.light_on) as filters on ``prefix`` + task fields."""
    p = prefix
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    closed = Q(**{f"{p}status__in": CLOSED_STATUSES})
    red = ~closed & Q(**{f"{p}due_date__lt": today})
    yellow = (
        ~closed
        & ~red
        & (
            Q(**{f"{p}due_date__lte": soon, f"{p}progress__lt": LOW_PROGRESS})
            | Q(**{f"{p}status": TaskStatus.BLOCKED})
        )
    )
    return {"red": red, "yellow": yellow, "green": ~closed & ~red & ~yellow, "done": closed}


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


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
    ``department_id``, only the tasks that department is assigned to."""
    today = today or local_today()
    lights = light_filters("tasks__", today)
    on_time = Q(tasks__status=TaskStatus.COMPLETED) & (
        Q(tasks__due_date__isnull=True) | Q(tasks__completed_at__date__lte=F("tasks__due_date"))
    )
    base = Q(tasks__assignments__department_id=department_id) if department_id else Q()

    def count(condition: Q | None = None) -> Count:
        combined = base & condition if condition is not None else base
        return Count("tasks", filter=combined or None, distinct=True)

    annotations: dict[str, Any] = {
        "n_total": count(),
        "n_on_time": count(on_time),
        **{f"n_status_{s.value}": count(Q(tasks__status=s.value)) for s in TaskStatus},
        **{f"n_light_{name}": count(condition) for name, condition in lights.items()},
    }
    rows = plans.select_related("region").annotate(**annotations).order_by("-issued_on", "title", "id")
    figures = []
    for plan in rows:
        values = plan.__dict__
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


@dataclass
class DepartmentFigures:
    department: Department
    led: int = 0
    shared: int = 0
    completed_on_time: int = 0
    overdue: int = 0
    reports_missing: int = 0
    rank: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def department_ranking(tasks: QuerySet[Task], today: dt.date | None = None) -> list[DepartmentFigures]:
    """Per department over ``tasks``: tasks led and shared, completed on time, overdue, and open
    tasks it has not reported on this period. Ranked: fewest overdue, then most on time."""
    today = today or local_today()
    month, quarter = current_periods(today)
    assignments = Assignment.objects.filter(task__in=tasks.values("pk"))
    reported = ProgressReport.objects.filter(
        task=OuterRef("task"), department=OuterRef("department"), period__in=[month, quarter]
    )
    on_time = Q(task__status=TaskStatus.COMPLETED) & (
        Q(task__due_date__isnull=True) | Q(task__completed_at__date__lte=F("task__due_date"))
    )
    rows = (
        assignments.annotate(has_report=Exists(reported))
        .values("department")
        .annotate(
            led=Count("id", filter=Q(role=AssignmentRole.LEAD)),
            shared=Count("id", filter=~Q(role=AssignmentRole.LEAD)),
            completed_on_time=Count("id", filter=on_time),
            overdue=Count("id", filter=Q(task__due_date__lt=today) & ~Q(task__status__in=CLOSED_STATUSES)),
            reports_missing=Count("id", filter=Q(has_report=False) & ~Q(task__status__in=CLOSED_STATUSES)),
        )
        .order_by()
    )
    departments = Department.objects.in_bulk([row["department"] for row in rows])
    result = [
        DepartmentFigures(
            department=departments[row["department"]],
            led=row["led"],
            shared=row["shared"],
            completed_on_time=row["completed_on_time"],
            overdue=row["overdue"],
            reports_missing=row["reports_missing"],
        )
        for row in rows
    ]
    result.sort(key=lambda f: (f.overdue, -f.completed_on_time, f.reports_missing, f.department.name))
    for rank, figures in enumerate(result, start=1):
        figures.rank = rank
    return result


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


def dashboard_scope(user: User) -> tuple[QuerySet[Plan], QuerySet[Task]]:
    """The plans and tasks a dashboard covers: the region's for the bureau, leaders and admins;
    the department's own tasks for department roles."""
    plans = scope(user, Action.VIEW_PLAN, Plan.objects.all())
    tasks = scope(user, Action.VIEW_TASK, Task.objects.all())
    if user.is_department_user:
        mine = Assignment.objects.filter(task=OuterRef("pk"), department_id=user.department_id or 0)
        tasks = tasks.filter(Exists(mine))
        plans = plans.filter(pk__in=tasks.values("plan_id"))
    return plans, tasks
