"""The start page: each role's work."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from departments.http import AuthenticatedRequest
from ipplan.permissions import Action, can
from ipplan.roles import Role

from ..choices import CLOSED_STATUSES
from ..marks import attach_marks
from ..models import Plan, Task, TaskQuerySet
from ..selectors import (
    department_inbox,
    light_counts,
    order_by_urgency,
    review_queue,
    signoff_queue,
    visible_tasks,
)

#: How many tasks the start page lists before pointing to the full list.
HOME_LIST = 15


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Each role starts at its work: a leader at the dashboard; a department's liaison and head at
    the department's tasks (the head's sign-off queue first); the bureau at its review queue and
    the overdue tasks."""
    user = request.user
    if user.role == Role.LEADER:
        return redirect("tasks:dashboard")
    if user.role in (Role.DEPT_HEAD, Role.DEPT_STAFF):
        return render(request, "home.html", {"home": "department", **_department_home(user)})
    context: dict[str, Any] = {"home": "general", **_plans(user)}
    if can(user, Action.DECIDE_COMPLETION):
        context.update(home="bureau", **_bureau_home(user))
    return render(request, "home.html", context)


def _plans(user: Any) -> dict[str, Any]:
    plans = Plan.objects.restrict(user, Action.VIEW_PLAN).select_related("region")
    tasks = Task.objects.restrict(user, Action.VIEW_TASK)
    return {
        "plans": plans[:50],
        "plan_count": plans.count(),
        "task_count": tasks.count(),
        "overdue_count": tasks.overdue().count(),
    }


def _department_home(user: Any) -> dict[str, Any]:
    tasks = department_inbox(user)
    open_tasks = tasks.exclude(status__in=CLOSED_STATUSES)
    signoff = list(signoff_queue(user)[:50]) if user.role == Role.DEPT_HEAD else []
    return {
        "signoff": signoff,
        "my_tasks": attach_marks(order_by_urgency(open_tasks)[:HOME_LIST]),
        "open_count": open_tasks.count(),
        "counts": light_counts(tasks),
    }


def _bureau_home(user: Any) -> dict[str, Any]:
    queue = review_queue(user)
    overdue: TaskQuerySet = visible_tasks(user).overdue()  # type: ignore[attr-defined]
    return {
        "queue": {
            "completions": queue["completions"].count(),
            "extensions": queue["extensions"].count(),
            "reports": queue["reports"].count(),
        },
        "overdue": attach_marks(overdue.order_by("due_date", "plan_id", "order", "id")[:HOME_LIST]),
    }
