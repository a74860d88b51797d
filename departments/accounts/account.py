"""The user's own settings: how reminders reach them, and in which language."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ipplan.generic import MessageActionView

from ..forms import NotificationSettingsForm
from ..http import AuthenticatedRequest
from ..services import user_language_set, user_notification_settings_set


class NotificationSettings(MessageActionView):
    """GET: the user's settings. POST: save them."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head", "post"]
    form_class = NotificationSettingsForm
    success_message = gettext_lazy("已保存提醒设置。")

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return render(request, "registration/notification_settings.html")

    def get_object(self) -> None:
        return None

    def page(self, obj: None) -> str:
        return reverse("account_notifications")


notification_settings = NotificationSettings.as_view(service=user_notification_settings_set)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's notifications and e-mails follow the choice."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(actor=request.user, language=language)  # type: ignore[arg-type]
    return response
