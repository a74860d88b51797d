"""The security administrator's page for directory group mappings (admin site, through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ipplan.admin import PolicyAdmin, ReadOnlyPolicyAdmin
from ipplan.permissions import Action

from .models import DirectoryAccount, DirectoryGroupMapping
from .services import group_mapping_delete, group_mapping_save


@admin.register(DirectoryGroupMapping)
class DirectoryGroupMappingAdmin(PolicyAdmin):
    view_action = Action.ASSIGN_ROLES
    change_action = Action.ASSIGN_ROLES
    list_display = ("group", "source", "role", "region", "department", "priority", "grants_administrator")
    list_filter = ("source", "role", "grants_administrator")
    search_fields = ("group", "note")
    fields = ("source", "group", "role", "region", "department", "priority", "grants_administrator", "note")
    choice_actions = {
        "departments.region": Action.ASSIGN_ROLES,
        "departments.department": Action.VIEW_DEPARTMENT,
    }

    def save_model(self, request: HttpRequest, obj: DirectoryGroupMapping, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = group_mapping_save(
            actor=request.user,  # type: ignore[arg-type]
            mapping=obj if change else None,
            source=data["source"],
            group=data["group"],
            role=data["role"],
            region=data["region"],
            department=data.get("department"),
            priority=data["priority"],
            grants_administrator=data["grants_administrator"],
            note=data.get("note", ""),
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: DirectoryGroupMapping) -> None:
        group_mapping_delete(actor=request.user, mapping=obj)  # type: ignore[arg-type]


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(ReadOnlyPolicyAdmin):
    view_action = Action.MANAGE_USERS
    list_display = ("user", "source", "subject", "mapping", "synced_at")
    list_filter = ("source",)
    search_fields = ("user__username", "subject")
