"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from . import account, tokens, views
from .api.errors import api_bad_request, api_forbidden, api_not_found, api_server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/notifications/", account.notification_settings, name="account_notifications"),
    path("accounts/tokens/", tokens.token_list, name="account_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="account_token_revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("ipplan.api.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("security/", include("ipplan.security.urls")),
    path("", include("tasks.urls")),
]


def handler400(request, exception):  # type: ignore[no-untyped-def]
    if request.path.startswith("/api/"):
        return api_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def handler403(request, exception):  # type: ignore[no-untyped-def]
    if request.path.startswith("/api/"):
        return api_forbidden(request, exception)
    return defaults.permission_denied(request, exception)


def handler404(request, exception):  # type: ignore[no-untyped-def]
    """JSON problem details under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):  # type: ignore[no-untyped-def]
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)
