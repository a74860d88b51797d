"""The user's own settings: how reminders reach them, and in which language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ..http import AuthenticatedRequest
from ..services import user_language_set, user_notification_settings_set


@login_required
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        user_notification_settings_set(
            actor=request.user,
            email_notifications=request.POST.get("email_notifications") == "on",
            daily_digest=request.POST.get("daily_digest") == "on",
            language=request.POST.get("language") or None,
        )
        messages.success(request, _("已保存提醒设置。"))
        return redirect("account_notifications")
    return render(request, "registration/notification_settings.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's notifications and e-mails follow the choice."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(actor=request.user, language=language)  # type: ignore[arg-type]
    return response
