"""The user's own settings: how reminders reach them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.services import user_notification_settings_set


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user_notification_settings_set(
            actor=request.user,  # type: ignore[arg-type]
            email_notifications=request.POST.get("email_notifications") == "on",
            daily_digest=request.POST.get("daily_digest") == "on",
        )
        messages.success(request, _("已保存提醒设置。"))
        return redirect("account_notifications")
    return render(request, "registration/notification_settings.html")
