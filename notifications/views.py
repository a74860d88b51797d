"""The user's notifications: the list behind the bell, and marking them read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from ipplan.generic import MessageActionView, RestrictedListView
from ipplan.permissions import Action

from .forms import MarkReadForm
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


class NotificationsRead(MessageActionView):
    """Mark the posted notifications read (none posted: all of them); back to ``next``."""

    form_class = MarkReadForm
    service_names = {"id": "ids"}
    follow_next = True

    def get_object(self) -> None:
        return None

    def page(self, obj: None) -> str:
        return reverse("notifications:list")


notification_read = NotificationsRead.as_view(service=notifications_mark_read)
