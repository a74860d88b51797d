"""The FilterSet of the notification list, for the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(label=_("未读"), field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind", "task", "unread"]
