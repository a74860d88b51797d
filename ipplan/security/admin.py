"""The security audit log in the admin site: read-only, for the audit administrator only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from ipplan.adminbase import NoWritesMixin
from ipplan.permissions import Action, can
from ipplan.restrict import restrict

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(NoWritesMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "seq",
        "time",
        "actor_name",
        "role",
        "source_ip",
        "action",
        "object_type",
        "object_id",
        "result",
    ]
    list_filter = ["result", "action", "role"]
    search_fields = ["actor_name", "object_label", "action"]
    date_hierarchy = "time"
    ordering = ["-seq"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return restrict(super().get_queryset(request), request.user, Action.VIEW_SECURITY_LOG)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, Action.VIEW_SECURITY_LOG)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, Action.VIEW_SECURITY_LOG, obj)
