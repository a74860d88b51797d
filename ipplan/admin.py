"""The admin site and the ModelAdmin bases that ask the permission policy for everything.

One write path (issue 12.3): the admin writes nothing itself. An admin either calls a service
from ``save_model`` / ``delete_model`` / ``save_formset`` / ``delete_queryset`` (overriding the
refusing defaults below), or it is read-only (``ReadOnlyPolicyAdmin``) and points to the portal
page where the object is edited. Every choice list (drop-downs, raw-id lookups, autocomplete,
inlines) holds only objects the permission policy lets the user pick, so a forged POST naming
another region's plan, region or department fails form validation and writes nothing; the
services re-check the policy on the new values inside the admin's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .adminbase import NoWritesMixin
from .models import JobHeartbeat
from .permissions import Action, can, role_of
from .restrict import RestrictQuerySet, restrict
from .roles import Role

#: The action a user needs on an object to pick it in a form's choice list (model label -> action);
#: each app registers its models in ``ready()`` (``register_choice_actions``).
CHOICE_ACTIONS: dict[str, Action] = {}


def register_choice_actions(actions: Mapping[str, Action]) -> None:
    CHOICE_ACTIONS.update({label.lower(): action for label, action in actions.items()})


def choice_queryset(
    user: Any, queryset: models.QuerySet[Any], action: Action | None = None
) -> models.QuerySet[Any]:
    """``queryset`` narrowed to the objects ``user`` may pick in an admin form (by ``action``, or
    by the model's entry in CHOICE_ACTIONS)."""
    action = action or CHOICE_ACTIONS.get(queryset.model._meta.label_lower, Action.VIEW_PLAN)
    if isinstance(queryset, RestrictQuerySet):
        try:
            return restrict(queryset, user, action)
        except LookupError:
            pass  # a restrictable model the policy has no scope for
    # Models outside the policy (auth groups, permissions): administrators only.
    return queryset if role_of(user) == Role.ADMIN else queryset.none()


def _by_field(error: ValidationError) -> dict[str | None, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: ValidationError(errors).messages for field, errors in error.error_dict.items()}
    return {None: error.messages}


def refuse_write() -> PermissionDenied:
    return PermissionDenied("this admin page has no service for the write: edit it in the portal")


class PolicyAdminMixin:
    """Reads through the permission policy; writes only through the services a subclass calls."""

    view_action: Action = Action.VIEW_PLAN
    change_action: Action = Action.EDIT_PLAN
    delete_action: Action | None = None

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return restrict(super().get_queryset(request), request.user, self.view_action)  # type: ignore[misc]

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

    # Choice lists: the policy decides what may be picked, for drop-downs and raw-id inputs alike
    # (a raw-id value outside the queryset fails validation like a drop-down value would).
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs["queryset"] = self._narrowed(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs["queryset"] = self._narrowed(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    #: Per admin, the action that decides a choice list (model label -> action), where it differs
    #: from CHOICE_ACTIONS (the users admin offers the regions and departments whose accounts the
    #: security administrator manages).
    choice_actions: dict[str, Action] = {}

    def _narrowed(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> models.QuerySet[Any]:
        queryset = self._choices(db_field, request, kwargs)
        return choice_queryset(
            request.user, queryset, self.choice_actions.get(queryset.model._meta.label_lower)
        )

    def _choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> models.QuerySet[Any]:
        if kwargs.get("queryset") is not None:
            return kwargs["queryset"]  # type: ignore[no-any-return]
        ordered = self.get_field_queryset(None, db_field, request)  # type: ignore[attr-defined]
        if ordered is not None:
            return ordered  # type: ignore[no-any-return]
        return db_field.remote_field.model._default_manager.all()  # type: ignore[no-any-return]

    # A service that refuses the new values raises ValidationError inside the admin's transaction
    # (rolled back); the form is shown again with the service's reasons next to the fields.
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]
        except ValidationError as error:
            request._service_error = error  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        error: ValidationError | None = getattr(request, "_service_error", None)
        if error is None or request.method != "POST":
            return form

        class RefusedForm(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                cleaned = super().clean()
                for field, reasons in _by_field(error).items():  # type: ignore[arg-type]
                    self.add_error(field if field in self.fields else None, reasons)
                return cleaned

        return RefusedForm

    # Writes: refused unless a subclass calls a service.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise refuse_write()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise refuse_write()

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        raise refuse_write()

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseFormSet[Any], change: bool) -> None:
        if formset.has_changed():
            raise refuse_write()
        formset_record(formset)


def formset_record(
    formset: Any,
    new: list[Any] | None = None,
    changed: list[Any] | None = None,
    deleted: list[Any] | None = None,
) -> None:
    """Tell the admin's change message what a service did with an inline formset."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = (
        new or [],
        changed or [],
        deleted or [],
    )


class PolicyAdmin(PolicyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class PolicyHistoryAdmin(PolicyAdminMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    """With the history pages; a POST to a historical version ("revert") calls ``save_model``,
    which is the service of the subclass or a refusal."""

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and not self.has_change_permission(request):
            raise refuse_write()
        try:
            with transaction.atomic():
                return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[no-any-return]
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return HttpResponseRedirect(request.path)


class PolicyInline(PolicyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    show_change_link = True


class ReadOnlyMixin(NoWritesMixin):
    """View, search, filter and history only; the object is edited on its portal page."""

    def portal_url(self, obj: Any) -> str | None:
        """The portal page where ``obj`` is changed (None: there is none)."""
        return None

    @admin.display(description=_("在门户中编辑"))
    def portal_link(self, obj: Any) -> str:
        url = self.portal_url(obj) if obj is not None and obj.pk else None
        if not url:
            return "—"
        return format_html('<a href="{}">{}</a>', url, _("在门户中编辑"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return fields if "portal_link" in fields else ["portal_link", *fields]


class ReadOnlyPolicyAdmin(ReadOnlyMixin, PolicyAdmin):
    pass


class ReadOnlyPolicyHistoryAdmin(ReadOnlyMixin, PolicyHistoryAdmin):
    pass


class ReadOnlyPolicyInline(ReadOnlyMixin, PolicyInline):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return admin.TabularInline.get_readonly_fields(self, request, obj)


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(NoWritesMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "last_run_at", "runs"]
    readonly_fields = ["name", "last_run_at", "runs"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Action.MANAGE_NOTIFICATIONS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.MANAGE_NOTIFICATIONS)
