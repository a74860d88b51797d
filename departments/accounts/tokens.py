"""The user's own API tokens: list, create (the secret is shown once), revoke.

Every signed-in user may manage their own tokens (``Action.MANAGE_OWN_TOKENS``, scope OWN), so
the list and the revoke lookup start from the permission policy: another user's token answers
404 like a missing one. Writes go through ``api_token_create`` and ``api_token_revoke``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ipplan.models import ApiToken
from ipplan.permissions import Action, get_for, require
from ipplan.services import TOKEN_MAX_DAYS, api_token_create, api_token_revoke

from ..models import User

DEFAULT_DAYS = 90


class ApiTokenForm(forms.Form):
    """Collects the input only: ``api_token_create`` validates the name, the days and the networks."""

    name = forms.CharField(
        label=gettext_lazy("客户端名称"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("使用该令牌的系统或脚本,便于日后识别和吊销。"),
    )
    can_write = forms.BooleanField(
        label=gettext_lazy("允许写入(读写令牌)"),
        required=False,
        help_text=gettext_lazy("不勾选则为只读令牌,只能读取数据。"),
    )
    days = forms.IntegerField(
        label=gettext_lazy("有效期(天)"),
        initial=DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"min": 1, "max": TOKEN_MAX_DAYS}),
    )
    allowed_ips = forms.CharField(
        label=gettext_lazy("允许的地址"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "10.0.0.0/8\n192.168.1.20"}),
        help_text=gettext_lazy("每行一个 IP 地址或网段(如 10.0.0.0/8);留空表示不限。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-check-input" if name == "can_write" else "form-control"
            )


def _actor(request: HttpRequest) -> User:
    require(request.user, Action.MANAGE_OWN_TOKENS)
    return request.user  # type: ignore[return-value]


def _tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return ApiToken.objects.restrict(request.user, Action.MANAGE_OWN_TOKENS)


def _list_page(request: HttpRequest, form: ApiTokenForm, status: int = 200) -> HttpResponse:
    context = {"tokens": _tokens(request), "form": form, "now": timezone.now(), "max_days": TOKEN_MAX_DAYS}
    return render(request, "account/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the create form. POST: create one and show its secret once."""
    actor = _actor(request)
    if request.method != "POST":
        return _list_page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    data = form.cleaned_data
    try:
        token, secret = api_token_create(
            actor=actor,
            name=data["name"],
            can_write=data["can_write"],
            days=data["days"],
            allowed_ips=data["allowed_ips"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
            form.add_error(None, error)  # each message lands on its field
        else:
            form.add_error(None, error.messages)
        return _list_page(request, form, status=400)
    # The secret lives only in this response: no redirect, nothing in the session, not cached.
    response = render(request, "account/token_created.html", {"token": token, "secret": secret})
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    token = get_for(actor, Action.MANAGE_OWN_TOKENS, ApiToken.objects.all(), pk=pk)
    api_token_revoke(actor=actor, token=token)
    messages.success(request, _("已吊销令牌“%(name)s”。") % {"name": token.name})
    return redirect("account_tokens")
