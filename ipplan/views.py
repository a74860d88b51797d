"""Kernel views: the start page (the health checks are in ipplan.health)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ipplan.permissions import Action, scope
from tasks.models import Plan, Task, TaskQuerySet


@login_required
def home(request: HttpRequest) -> HttpResponse:
    plans = scope(request.user, Action.VIEW_PLAN, Plan.objects.select_related("region"))
    tasks: TaskQuerySet = scope(request.user, Action.VIEW_TASK, Task.objects.all())  # type: ignore[assignment]
    context = {
        "plans": plans[:50],
        "plan_count": plans.count(),
        "task_count": tasks.count(),
        "overdue_count": tasks.overdue().count(),
    }
    return render(request, "home.html", context)
