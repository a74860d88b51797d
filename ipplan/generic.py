"""Generic views every app builds on, so that a read cannot forget the permission policy and an
HTML action cannot skip its form.

* ``RestrictedListView``: an HTML list page. Its queryset starts from
  ``model.objects.restrict(request.user, action)``; a subclass narrows it in ``narrow()`` and never
  replaces ``get_queryset()`` (``tests/test_restrict.py`` checks both for every list page).
* ``RestrictedAPIMixin`` with ``RestrictedGenericAPIView`` and ``RestrictedViewSet``: the same for
  the API; an object outside the caller's scope answers 404 like a missing one.
* ``ServiceActionView``: one HTML action (a POST). A form validates the input, the object is looked
  up through the policy, one service is called, service errors become form errors, and nothing is
  written on invalid input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView
from rest_framework import generics, viewsets

from .exceptions import ConflictError
from .permissions import Action, get_for, require
from .restrict import restricted

# --- reads ---------------------------------------------------------------------------------------


class RestrictedListView(LoginRequiredMixin, ListView):  # type: ignore[type-arg]
    """A list page: the rows of ``model`` the user may ``action``, narrowed by ``narrow()``.

    ``required``: the page answers 403 to a role that may never ``action`` (instead of an empty
    list), as the function views did with ``require()``."""

    model: type[models.Model]
    action: ClassVar[Action]
    required: ClassVar[bool] = True
    #: a FilterSet over the policy's rows, bound to ``filter_params()``; invalid filters list nothing
    filterset_class: ClassVar[Any] = None
    filterset: Any = None
    params: QueryDict | None = None
    invalid = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and self.required:
            require(request.user, self.action)
        return super().dispatch(request, *args, **kwargs)

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The page's own filters, joins and order on top of the policy's rows."""
        return queryset

    def filter_params(self) -> QueryDict | None:
        return self.request.GET or None

    def get_queryset(self) -> QuerySet[Any]:
        queryset = restricted(self.model, self.request.user, self.action)
        if self.filterset_class is not None:
            self.params = self.filter_params()
            self.filterset = self.filterset_class(self.params, queryset=queryset)
            self.invalid = self.filterset.is_bound and not self.filterset.is_valid()
            queryset = queryset.none() if self.invalid else self.filterset.qs
        return self.narrow(queryset)

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Any, Any, Any, bool]:
        """A page number out of range or not a number shows the nearest page instead of a 404."""
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = context.get("page_obj")
        if self.filterset_class is not None:
            query = (self.params or QueryDict()).copy()
            query.pop("page", None)  # the pager's links add their own
            context.update(filterset=self.filterset, invalid=self.invalid, query=query.urlencode())
        return context


class RestrictedAPIMixin:
    """DRF: ``get_queryset()`` is ``model.objects.restrict(user, read_action)`` narrowed by
    ``narrow()``; subclasses set ``model`` and ``read_action`` and never replace ``get_queryset``."""

    model: ClassVar[type[models.Model]]
    read_action: ClassVar[Action]
    request: Any

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        return self.narrow(restricted(self.model, self.request.user, self.read_action))


class RestrictedGenericAPIView(RestrictedAPIMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    pass


class RestrictedViewSet(RestrictedAPIMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    pass


# --- HTML actions --------------------------------------------------------------------------------


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError as the form's errors: under the field it names when the form has
    that field, else as a form-wide error (in the order the service gave them)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def form_messages(form: forms.BaseForm) -> list[str]:
    """Every error of the form as a flat list of messages, form-wide ones included."""
    return [str(message) for errors in form.errors.values() for message in errors]


@dataclass(frozen=True)
class Refusal:
    """A page shown again because its form did not go through: the answer's status, the errors or
    the conflict, which of the page's forms failed, and what was typed (the templates read them as
    ``errors``, ``conflict``, ``failed_form`` and ``posted``). ``Refusal()``: the page as it is."""

    status: int = 200
    errors: list[str] = dataclasses.field(default_factory=list)
    conflict: dict[str, Any] | None = None
    form: str = ""
    posted: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def invalid(cls, form: forms.BaseForm, name: str = "") -> Refusal:
        """Input the form or the service refused (400)."""
        return cls(400, form_messages(form), None, name, form.data)

    @classmethod
    def stale(
        cls, form: forms.BaseForm, error: ConflictError, current: dict[str, Any], name: str = ""
    ) -> Refusal:
        """A form rendered from values that have changed since (409): the current ones."""
        return cls(409, [], {"message": error.message, "current": current}, name, form.data)

    def context(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "conflict": self.conflict,
            "failed_form": self.form,
            "posted": self.posted,
        }


#: a page shown as it is (no form refused)
SHOWN = Refusal()


class NoInputForm(forms.Form):
    """The form of a button that posts nothing but itself (retire, send a test event, retry)."""


class ServiceActionView(LoginRequiredMixin, View):
    """One HTML action: POST only; the object, a form, one service.

    A subclass sets ``form_class``, ``model`` and ``lookup_action`` (the policy action under which
    the object is looked up: 404 when the user may not see it), implements ``perform(form, obj)``
    (one service call; by default ``service`` with the actor, the object under ``object_name`` and
    the form's cleaned data, a field renamed by ``service_names``) and says how to answer:
    ``form_invalid`` (the page with the errors, 400), ``conflict`` (a stale form, 409) and
    ``success_url``. With ``follow_next``, a ``next`` field pointing into this site wins over
    ``success_url`` (a queue goes on with its next item)."""

    http_method_names = ["post"]
    form_class: ClassVar[type[forms.BaseForm]] = NoInputForm
    model: ClassVar[type[models.Model]]
    lookup_action: ClassVar[Action]
    success_message: ClassVar[Any] = ""
    follow_next: ClassVar[bool] = False
    #: an action the role must have at all (403 before the object is looked up), if any
    required: ClassVar[Action | None] = None
    #: the service the default ``perform`` calls (given to ``as_view()``, so that it stays unbound)
    service: Callable[..., Any] | None = None
    #: the keyword under which the service gets the object ("": it does not get it)
    object_name: ClassVar[str] = ""
    #: form fields the service calls otherwise
    service_names: ClassVar[dict[str, str]] = {}

    def lookup_queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def get_object(self) -> Any:
        return get_for(self.request.user, self.lookup_action, self.lookup_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self, obj: Any) -> dict[str, Any]:
        """What the form needs besides the input (the choices it offers for this object)."""
        return {}

    def get_form(self, obj: Any) -> forms.BaseForm:
        return self.form_class(data=self.request.POST, files=self.request.FILES, **self.get_form_kwargs(obj))

    def service_kwargs(self, form: forms.BaseForm, obj: Any) -> dict[str, Any]:
        data = {self.service_names.get(name, name): value for name, value in form.cleaned_data.items()}
        if self.object_name:
            data[self.object_name] = obj
        return data

    def perform(self, form: forms.BaseForm, obj: Any) -> Any:
        if self.service is None:
            raise NotImplementedError
        return self.service(actor=self.request.user, **self.service_kwargs(form, obj))

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        raise NotImplementedError

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        """A stale form; an action whose service never says so lets the error through."""
        raise error

    def refused(self, error: ValidationError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        """The service refused: by default its errors join the form's and the form is shown again."""
        add_service_errors(form, error)
        return self.form_invalid(form, obj)

    def success_url(self, obj: Any, result: Any) -> str:
        raise NotImplementedError

    def get_success_message(self, obj: Any, result: Any) -> str:
        return str(self.success_message)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.required is not None:
            require(request.user, self.required)
        obj = self.get_object()
        form = self.get_form(obj)
        if not form.is_valid():
            return self.form_invalid(form, obj)
        try:
            result = self.perform(form, obj)
        except ConflictError as error:
            return self.conflict(error, form, obj)
        except ValidationError as error:
            return self.refused(error, form, obj)
        message = self.get_success_message(obj, result)
        if message:
            messages.success(request, message)
        target = request.POST.get("next", "") if self.follow_next else ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return self.redirect_to(target)
        return self.redirect_to(self.success_url(obj, result))

    def redirect_to(self, url: str) -> HttpResponse:
        """The answer of a success: a redirect to ``url`` (an htmx form may want another kind)."""
        return redirect(url)


class MessageActionView(ServiceActionView):
    """An action that says its outcome as a message on the page it came from (``page``): refused
    input is one error message there (each distinct message once), and nothing is written."""

    def page(self, obj: Any) -> str:
        raise NotImplementedError

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        messages.error(self.request, " ".join(dict.fromkeys(form_messages(form))))
        return redirect(self.page(obj))

    def success_url(self, obj: Any, result: Any) -> str:
        return self.page(obj)
