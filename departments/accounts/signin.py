"""Sign-in pages: password, then the second factor; sign-out; password change and reset; 2FA set-up.

Every write goes through a service (``user_set_password``, ``second_factor_*``); every sign-in
and sign-out through ``departments.sessions.sign_in`` / ``sign_out``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login

from ipplan.fieldcrypto import blind_index
from ipplan.generic import MessageActionView

from ..http import AuthenticatedRequest
from ..models import User
from ..services import (
    recovery_codes_regenerate,
    second_factor_confirm,
    second_factor_devices,
    second_factor_disable,
    second_factor_enrol_start,
    user_set_password,
)
from ..sessions import (
    login_failed,
    second_factor_required,
    session_keep_after_password_change,
    sign_in,
    sign_out,
)

PENDING = "authn_pending"
#: Seconds between the password step and the second factor, and wrong codes allowed in between.
PENDING_SECONDS = 300
PENDING_ATTEMPTS = 5


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Step one: username and password (counted by axes). With a second factor: step two next."""

    template_name = "registration/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        if user_has_device(user):
            self.request.session.cycle_key()
            self.request.session[PENDING] = {
                "user": user.pk,
                "at": time.time(),
                "attempts": 0,
                "next": self.get_success_url(),
            }
            return redirect("login_verify")
        sign_in(self.request, user)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: Any) -> HttpResponse:
        login_failed(self.request, str(form.data.get("username", ""))[:150], stage="password")
        return super().form_invalid(form)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("动态验证码或恢复码"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _pending_user(request: HttpRequest) -> tuple[dict[str, Any], User] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return (pending, user) if user is not None else None


@never_cache
@sensitive_post_parameters("token")
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app, or one recovery code."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING, None)
        messages.warning(request, _("登录已超时,请重新输入用户名和密码。"))
        return redirect("login")
    pending, user = found
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip().replace(" ", "")
        matched = None
        with transaction.atomic():
            for device in devices_for_user(user, for_verify=True):
                if device.verify_token(token):
                    matched = device
                    break
        if matched is not None:
            del request.session[PENDING]
            sign_in(request, user, device=matched)
            if matched.__class__.__name__ == "StaticDevice":
                left = matched.token_set.count()  # type: ignore[attr-defined]
                messages.warning(request, _("您使用了一个恢复码,还剩 %(count)d 个。") % {"count": left})
            return redirect(_safe_next(request, pending.get("next")))
        login_failed(request, user.username, stage="second_factor")
        pending["attempts"] = pending.get("attempts", 0) + 1
        if pending["attempts"] >= PENDING_ATTEMPTS:
            request.session.pop(PENDING, None)
            messages.error(request, _("验证码错误次数过多,请重新登录。"))
            return redirect("login")
        request.session[PENDING] = pending
        form.add_error("token", _("验证码不正确或已使用。"))
    return render(request, "registration/login_verify.html", {"form": form})


#: Where else a signing-out browser must go, asked in order before the session ends: an app that
#: signs users in elsewhere (``directory``: the 统一身份认证 platform's end-session page) adds its
#: function in ``ready()``. The first URL given wins; None means "not mine".
LOGOUT_ELSEWHERE: list[Callable[[HttpRequest], str | None]] = []


def _logout_elsewhere(request: HttpRequest) -> str | None:
    for where in LOGOUT_ELSEWHERE:
        url = where(request)
        if url:
            return url
    return None


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # A session from the 统一身份认证 platform also ends there (its end-session page), when it has one.
    platform_logout = _logout_elsewhere(request)
    sign_out(request)
    return redirect(platform_logout or settings.LOGOUT_REDIRECT_URL)


class ServicePasswordChangeForm(PasswordChangeForm):
    """Django's form for the checks; the change itself through ``user_set_password``."""

    def save(self, commit: bool = True) -> Any:
        self.user = user_set_password(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )
        return self.user


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ServicePasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        form.save()
        # Keeps this session signed in; the account's other sessions end (their hash is stale).
        session_keep_after_password_change(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


class BlindIndexPasswordResetForm(PasswordResetForm):
    """E-mail addresses are stored encrypted: users are found by the address's blind index."""

    def get_users(self, email: str) -> Any:
        candidates = User.objects.filter(email_index=blind_index(email), is_active=True)
        return (u for u in candidates if u.has_usable_password() and u.email.lower() == email.strip().lower())


class ServiceSetPasswordForm(SetPasswordForm):
    def save(self, commit: bool = True) -> Any:
        return user_set_password(actor=self.user, user=self.user, password=self.cleaned_data["new_password1"])


class PasswordResetView(auth_views.PasswordResetView):
    form_class = BlindIndexPasswordResetForm


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ServiceSetPasswordForm


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


class ConfirmForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("验证器上的 6 位数字"), max_length=8)


class DisableForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("当前密码"), widget=forms.PasswordInput, strip=False)


@never_cache
@login_required
@sensitive_post_parameters("password")
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Set up, look at, or renew the user's second factor."""
    user = request.user
    totp, static = second_factor_devices(user)
    context: dict[str, Any] = {
        "required": second_factor_required(user),
        "disable_form": DisableForm(),
        "totp": totp,
        "codes_left": static.token_set.count() if static is not None else 0,
    }
    if totp is not None:
        if request.method == "POST" and request.POST.get("action") == "codes":
            codes = recovery_codes_regenerate(actor=user)
            return render(request, "account/two_factor_codes.html", {"codes": codes})
        return render(request, "account/two_factor.html", context)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = second_factor_confirm(actor=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            otp_login(request, device)
            messages.success(request, _("已启用双因素登录。"))
            return render(request, "account/two_factor_codes.html", {"codes": codes})
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is None:
        # Made on first view (once: later views show the same one), so that a user sent here by
        # the 2FA requirement sees the QR code at once; it does nothing until confirmed.
        pending = second_factor_enrol_start(actor=user)
    secret = pending.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context.update(
        form=form,
        qr_svg=mark_safe(_qr_svg(pending.config_url)),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )
    return render(request, "account/two_factor.html", context)


class TwoFactorDisable(MessageActionView):
    """Turn the second factor off, with the current password; back to the 2FA page either way."""

    form_class = DisableForm
    success_message = gettext_lazy("已解除双因素登录。")

    def get_object(self) -> None:
        return None

    def refused(self, error: ValidationError, form: forms.BaseForm, obj: None) -> HttpResponse:
        messages.error(self.request, _("密码不正确,双因素登录未解除。"))
        return redirect(self.page(obj))

    def page(self, obj: None) -> str:
        return reverse("account_2fa")


two_factor_disable = sensitive_post_parameters("password")(
    TwoFactorDisable.as_view(service=second_factor_disable)
)


def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """The admin site signs in through our sign-in page (password policy and second factor)."""
    query = urlencode({"next": request.GET.get("next", reverse("admin:index"))})
    return redirect(f"{reverse('login')}?{query}")
