"""Admin pages for regions, departments and users, scoped by the permission policy."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ipplan.admin import PolicyAdmin, PolicyAdminMixin, PolicyHistoryAdmin, PolicyInline
from ipplan.permissions import Action

from .models import Department, DepartmentAlias, Region, User


@admin.register(Region)
class RegionAdmin(PolicyAdmin):
    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_REGIONS
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]


class DepartmentAliasInline(PolicyInline):
    model = DepartmentAlias
    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    fields = ["name", "region"]
    show_change_link = False


@admin.register(Department)
class DepartmentAdmin(PolicyHistoryAdmin):
    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    list_display = ["name", "short_name", "region", "kind", "active"]
    list_filter = ["kind", "active", "region"]
    search_fields = ["name", "short_name", "aliases__name"]
    list_select_related = ["region"]
    inlines = [DepartmentAliasInline]
    autocomplete_fields = ["parent"]


@admin.register(DepartmentAlias)
class DepartmentAliasAdmin(PolicyAdmin):
    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    list_display = ["name", "department", "region"]
    search_fields = ["name", "department__name"]
    list_select_related = ["department", "region"]


@admin.register(User)
class UserAdmin(PolicyAdminMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    view_action = Action.MANAGE_USERS
    change_action = Action.MANAGE_USERS
    list_display = ["username", "display_name", "role", "department", "region", "is_active"]
    list_filter = ["role", "is_active", "region"]
    search_fields = ["username", "display_name", "email", "department__name"]
    list_select_related = ["department", "region"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email", "phone")}),
        (_("角色与单位"), {"fields": ("role", "department", "region", "is_active", "is_staff")}),
        (_("提醒设置"), {"fields": ("email_notifications", "daily_digest")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "department", "region"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The user form has already hashed the password; role rules are database constraints.
        obj.save()
