"""The user's notifications: the list behind the bell, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ipplan.permissions import Action, scope

from .models import Notification
from .services.notifications import notifications_mark_read


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = scope(request.user, Action.VIEW_OWN_NOTIFICATIONS, Notification.objects.select_related("task"))
    page = Paginator(rows.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notifications_mark_read(actor=request.user, ids=ids or None)  # type: ignore[arg-type]
    target = request.POST.get("next") or ""
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "notifications:list"
    )
