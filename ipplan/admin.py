"""The admin site and the ModelAdmin base that asks the permission policy for everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from ipplan.audit import delete_as, save_as
from ipplan.permissions import Action, can, scope

from .models import JobHeartbeat


class PolicyAdminMixin:
    """Reads and writes through the permission policy; saves record the actor in the history."""

    view_action: Action = Action.VIEW_PLAN
    change_action: Action = Action.EDIT_PLAN
    delete_action: Action | None = None

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return scope(request.user, self.view_action, super().get_queryset(request))  # type: ignore[misc]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, self.view_action)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, self.view_action, obj)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, self.change_action)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, self.change_action, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        action = self.delete_action or self.change_action
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, action, obj)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        save_as(obj, actor=request.user, reason="admin", validate=False)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        delete_as(obj, actor=request.user, reason="admin")  # type: ignore[arg-type]


class PolicyAdmin(PolicyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class PolicyHistoryAdmin(PolicyAdminMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    pass


class PolicyInline(PolicyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    show_change_link = True


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "last_run_at", "runs"]
    readonly_fields = ["name", "last_run_at", "runs"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Action.MANAGE_NOTIFICATIONS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.MANAGE_NOTIFICATIONS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
