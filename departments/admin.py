"""Admin pages for regions, departments and users, scoped by the permission policy.

Regions, departments and aliases are written through ``departments/services.py`` only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, SetPasswordMixin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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
    second_factor_reset,
    user_create,
    user_notification_settings_set,
    user_scope_resolve,
    user_set_password,
    user_set_role,
    user_update,
)
from .sessions import session_keep_after_password_change

# django-otp registers its device models with the admin site; a device holds a user's TOTP secret
# and recovery codes, which nobody else should read. Users manage their own on /accounts/2fa/ and a
# user manager resets them (UserAdmin action), so the device pages are taken off the admin.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


class ServiceSaved:
    """A registry page whose rows are created and updated through the services (``create``,
    ``update``) and never deleted here (tasks, plans and people hang on them)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            self.update(_actor(request), obj, form.cleaned_data)
        else:
            _adopt(obj, self.create(_actor(request), form.cleaned_data))

    def create(self, actor: User, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, actor: User, obj: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError


@admin.register(Region)
class RegionAdmin(ServiceSaved, PolicyAdmin):
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

    def create(self, actor: User, data: dict[str, Any]) -> Region:
        return region_create(
            actor=actor, code=data["code"], name=data["name"], level=data["level"], parent=data.get("parent")
        )

    def update(self, actor: User, obj: Region, data: dict[str, Any]) -> None:
        region_update(actor=actor, region=obj, name=data["name"], level=data.get("level"))


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
class DepartmentAdmin(ServiceSaved, PolicyHistoryAdmin):
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

    def create(self, actor: User, data: dict[str, Any]) -> Department:
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
        return created

    def update(self, actor: User, obj: Department, data: dict[str, Any]) -> None:
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


class UserCreateForm(AdminUserCreationForm):
    """The admin's add form: checks the input; ``user_create`` does the write."""

    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "role", "department", "region", "display_name", "email", "phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every account signs in with a password; the "no password" choice is not offered.
        self.fields.pop("usable_password", None)
        self.fields["role"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        department, region = user_scope_resolve(
            role=cleaned.get("role", ""), department=cleaned.get("department"), region=cleaned.get("region")
        )
        cleaned["department"], cleaned["region"] = department, region
        return cleaned

    def _post_clean(self) -> None:
        # The model's own checks run in user_create; here only the password rules (which need
        # the username, already on the instance) and the form's fields.
        self.instance.username = self.cleaned_data.get("username", "") or ""
        self.validate_password_for_user(self.instance)


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "role" in cleaned:
            department, region = user_scope_resolve(
                role=cleaned["role"], department=cleaned.get("department"), region=cleaned.get("region")
            )
            cleaned["department"], cleaned["region"] = department, region
        return cleaned

    def _post_clean(self) -> None:
        # Written by the services (user_update, user_set_role), which run the model checks.
        pass


class AdminSetPasswordForm(forms.Form):
    """New password twice; checked by the password rules; set by ``user_set_password``."""

    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("新密码"), label2=_("再次输入新密码")
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif cleaned.get("password2"):
            try:
                validate_password(cleaned["password2"], self.user)
            except ValidationError as exc:
                self.add_error("password2", exc)
        return cleaned


@admin.register(User)
class UserAdmin(PolicyAdminMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    """Users are created and changed through the services: ``user_create``, ``user_update``,
    ``user_set_role``, ``user_set_password``, ``second_factor_reset``."""

    view_action = Action.MANAGE_USERS
    change_action = Action.MANAGE_USERS
    add_form = UserCreateForm
    form = UserChangeForm
    list_display = ["username", "display_name", "role", "department", "region", "is_active"]
    list_filter = ["role", "is_active", "region"]
    # E-mail and phone are stored encrypted and cannot be searched.
    search_fields = ["username", "display_name", "department__name"]
    list_select_related = ["department", "region"]
    readonly_fields = ["is_staff", "must_change_password", "password_changed_at", "last_login", "date_joined"]
    actions = ["reset_second_factor"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email", "phone")}),
        (_("角色与单位"), {"fields": ("role", "department", "region", "is_active", "is_staff")}),
        (_("提醒设置"), {"fields": ("email_notifications", "daily_digest")}),
        (_("密码"), {"fields": ("must_change_password", "password_changed_at")}),
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
        (_("个人信息"), {"fields": ("display_name", "email", "phone")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # Nobody changes their own role or switches their own account off (the services refuse
            # it too); shown read-only rather than refused after the form was filled in.
            fields += ["role", "department", "region", "is_active"]
        return fields

    # Only the regions and departments whose accounts the administrator manages are offered.
    choice_actions = {
        "departments.region": Action.MANAGE_USERS,
        "departments.department": Action.MANAGE_USERS,
    }

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        data = form.cleaned_data
        if not change:
            saved = user_create(
                actor=actor,
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                department=data.get("department"),
                region=data.get("region"),
                display_name=data.get("display_name", ""),
                email=data.get("email", ""),
                phone=data.get("phone", ""),
            )
        else:
            saved = user_update(
                actor=actor,
                user=obj,
                username=data.get("username"),
                display_name=data.get("display_name"),
                email=data.get("email"),
                phone=data.get("phone"),
                is_active=data.get("is_active"),
            )
            if {"role", "department", "region"} & set(form.changed_data):
                saved = user_set_role(
                    actor=actor,
                    user=saved,
                    role=data["role"],
                    department=data.get("department"),
                    region=data.get("region"),
                )
            if {"email_notifications", "daily_digest"} & set(form.changed_data):
                saved = user_notification_settings_set(
                    actor=saved,
                    email_notifications=data["email_notifications"],
                    daily_digest=data["daily_digest"],
                )
        # The admin goes on with ``obj`` (messages, the log, the redirect): make it the saved row.
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Groups and Django permissions are not used (the policy decides); nothing else to save.
        pass

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """An administrator sets someone's password; the owner must change it at next sign-in."""
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_change_permission(request, user):
            raise Http404
        form = AdminSetPasswordForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            user_set_password(actor=request.user, user=user, password=form.cleaned_data["password1"])  # type: ignore[arg-type]
            self.log_change(request, user, [{"changed": {"fields": ["password"]}}])
            messages.success(request, _("密码已重置;该用户下次登录时须修改密码。"))
            if user.pk == request.user.pk:
                session_keep_after_password_change(request, User.objects.get(pk=user.pk))
            return redirect(reverse(f"{self.admin_site.name}:departments_user_change", args=(user.pk,)))
        context = {
            **self.admin_site.each_context(request),
            "title": _("重置密码:%(name)s") % {"name": user.get_username()},
            "adminForm": helpers.AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),  # type: ignore[arg-type]
            "form_url": form_url,
            "form": form,
            "is_popup": False,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, self.change_user_password_template or "admin/auth/user/change_password.html", context
        )

    @admin.action(description=_("重置双因素登录(用户须重新绑定)"))
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            second_factor_reset(actor=request.user, user=user)  # type: ignore[arg-type]
        messages.success(request, _("已重置 %(count)d 个账号的双因素登录。") % {"count": len(queryset)})
