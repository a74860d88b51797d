"""Admin pages for regions, departments and users, scoped by the permission policy.

Regions, departments and aliases are written through ``departments/services.py`` only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ipplan.admin import (
    PolicyAdmin,
    PolicyAdminMixin,
    PolicyHistoryAdmin,
    PolicyInline,
    formset_record,
    refuse_write,
)
from ipplan.permissions import Action, can

from .choices import DepartmentKind
from .models import Department, DepartmentAlias, Region, User
from .services import (
    department_alias_add,
    department_alias_remove,
    department_create,
    department_retire,
    department_update,
    region_create,
    region_update,
)


@admin.register(Region)
class RegionAdmin(PolicyAdmin):
    """Regions: added and renamed through the services; code and parent make the path, so they
    are fixed once created; never deleted here (plans and departments hang on them)."""

    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_REGIONS
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["path", "code", "parent"] if obj is not None else ["path"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor = _actor(request)
        if change:
            region_update(actor=actor, region=obj, name=data["name"], level=data.get("level"))
        else:
            created = region_create(
                actor=actor,
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent=data.get("parent"),
            )
            _adopt(obj, created)


class DepartmentAliasInline(PolicyInline):
    """Aliases of a department: added and removed through the services, in the department's own
    region (the service sets it; the form does not offer it)."""

    model = DepartmentAlias
    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    fields = ["name"]
    show_change_link = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an alias is removed and added, not edited

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.USE_ADMIN_SITE) and can(request.user, self.change_action)


@admin.register(Department)
class DepartmentAdmin(PolicyHistoryAdmin):
    """Departments through ``departments/services.py``: a new name is a rename (the old one stays
    an alias), unticking 启用 retires it (refused while it has open tasks); deleting is replaced
    by retiring and merging on the registry pages."""

    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    list_display = ["name", "short_name", "region", "kind", "active"]
    list_filter = ["kind", "active", "region"]
    search_fields = ["name", "short_name", "aliases__name"]
    list_select_related = ["region"]
    inlines = [DepartmentAliasInline]
    autocomplete_fields = ["parent"]
    actions = ["retire"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # a department does not move between regions: its tasks and people are that region's
        return ["registry_link", "region", "merged_into"] if obj is not None else []

    @admin.display(description=_("单位名录"))
    def registry_link(self, obj: Department) -> str:
        url = reverse("departments:detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("在单位名录中合并或停用"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor = _actor(request)
        if change:
            department_update(
                actor=actor,
                department=obj,
                name=data.get("name"),
                short_name=data.get("short_name"),
                kind=data.get("kind"),
                active=data.get("active"),
                parent=data.get("parent"),
                robot_webhook_url=data.get("robot_webhook_url"),
            )
        else:
            created = department_create(
                actor=actor,
                region=data["region"],
                name=data["name"],
                short_name=data.get("short_name", ""),
                kind=data.get("kind") or DepartmentKind.GOVERNMENT,
                parent=data.get("parent"),
            )
            fields = {"robot_webhook_url": data.get("robot_webhook_url") or None}
            if data.get("active") is False:
                fields["active"] = False  # type: ignore[assignment]
            if any(v is not None for v in fields.values()):
                department_update(actor=actor, department=created, **fields)  # type: ignore[arg-type]
            _adopt(obj, created)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = _actor(request)
        department = form.instance
        added: list[DepartmentAlias] = []
        removed: list[DepartmentAlias] = []
        for inline_form in formset.forms:
            if not inline_form.has_changed() and not formset._should_delete_form(inline_form):
                continue
            alias = inline_form.instance
            if formset._should_delete_form(inline_form):
                if alias.pk is not None:
                    department_alias_remove(actor=actor, alias=DepartmentAlias.objects.get(pk=alias.pk))
                    removed.append(alias)
            elif alias.pk is None:
                name = inline_form.cleaned_data["name"]
                added.append(department_alias_add(actor=actor, department=department, name=name))
            else:
                raise refuse_write()
        formset_record(formset, new=added, deleted=removed)

    @admin.action(description=_("停用选中的单位(有未办结任务的单位不能停用)"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Department]) -> None:
        actor = _actor(request)
        for department in queryset:
            try:
                department_retire(actor=actor, department=department)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            else:
                self.message_user(request, _("已停用 %(name)s。") % {"name": department.name})


class AliasForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DepartmentAlias
        fields = ["department", "name"]

    def _post_clean(self) -> None:
        # The region comes from the department (set by the service), so it is not validated here.
        department = self.cleaned_data.get("department")
        if department is not None:
            self.instance.region = department.region
        super()._post_clean()  # type: ignore[misc]


@admin.register(DepartmentAlias)
class DepartmentAliasAdmin(PolicyAdmin):
    """Aliases: added (in the department's region) and removed through the services."""

    view_action = Action.VIEW_DEPARTMENT
    change_action = Action.MANAGE_DEPARTMENTS
    form = AliasForm
    list_display = ["name", "department", "region"]
    search_fields = ["name", "department__name"]
    list_select_related = ["department", "region"]
    autocomplete_fields = ["department"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["department", "name"] if obj is None else ["department", "name", "region"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an alias is removed and added, not edited

    def save_model(self, request: HttpRequest, obj: DepartmentAlias, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = department_alias_add(
            actor=_actor(request), department=data["department"], name=data["name"]
        )
        _adopt(obj, created)

    def delete_model(self, request: HttpRequest, obj: DepartmentAlias) -> None:
        department_alias_remove(actor=_actor(request), alias=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DepartmentAlias]) -> None:
        for alias in queryset:
            department_alias_remove(actor=_actor(request), alias=alias)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _adopt(obj: Any, created: Any) -> None:
    """Make the admin's unsaved form instance stand for the row the service created (the admin
    then logs, messages and redirects with it; inlines attach to it)."""
    obj.__dict__.update({k: v for k, v in created.__dict__.items() if k != "_state"})
    obj._state.adding, obj._state.db = False, created._state.db


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
