"""Kernel views: the start page and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database readiness for the container runtime."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
