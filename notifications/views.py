"""The user's notifications: the list behind the bell, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from departments.http import AuthenticatedRequest
from ipplan.generic import RestrictedListView
from ipplan.permissions import Action

from .models import Notification
from .services.notifications import notifications_mark_read


class NotificationList(RestrictedListView):
    model = Notification
    action = Action.VIEW_OWN_NOTIFICATIONS
    required = False
    paginate_by = 30
    template_name = "notifications/list.html"

    def narrow(self, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        return queryset.select_related("task").order_by("-created_at", "-id")


notification_list = NotificationList.as_view()


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notifications_mark_read(actor=request.user, ids=ids or None)
    target = request.POST.get("next") or ""
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "notifications:list"
    )
