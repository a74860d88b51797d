"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from departments.accounts import account, password_reset, signin, tokens
from ipplan import health, metrics
from ipplan.api.errors import api_bad_request, api_forbidden, api_not_found, api_server_error
from ipplan.api.urls import v1 as kernel_v1
from tasks.views import home

#: Version 1 of the API: the kernel's endpoints (``/me/``, ``/deleted/``) and each app's.
api_v1 = [
    *kernel_v1,
    path("", include("tasks.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("departments.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/notifications/", account.notification_settings, name="account_notifications"),
    path("accounts/tokens/", tokens.token_list, name="account_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="account_token_revoke"),
    # Sign-in, sign-out and passwords through our views (policy, second factor, services); the
    # rest of django.contrib.auth.urls (reset done/complete pages) as Django ships them.
    path("accounts/login/", signin.LoginView.as_view(), name="login"),
    path("accounts/login/verify/", signin.login_verify, name="login_verify"),
    path("accounts/logout/", signin.logout_view, name="logout"),
    path("accounts/password_change/", signin.PasswordChangeView.as_view(), name="password_change"),
    # the reset form finds accounts by the e-mail's blind index and is throttled per address/account
    path("accounts/password_reset/", password_reset.password_reset, name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/2fa/", signin.two_factor, name="account_2fa"),
    path("accounts/2fa/disable/", signin.two_factor_disable, name="account_2fa_disable"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/login/", signin.admin_login_redirect),
    # the language switch also sets the language of the user's notifications and e-mails
    path("i18n/setlang/", account.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include("ipplan.api.urls")),
    path("api/v1/", include(api_v1)),
    path("webhooks/", include("webhooks.urls")),
    path("departments/", include("departments.urls")),
    path("security/", include("ipplan.security.urls")),
    path("directory/", include("directory.urls")),
    path("", include("notifications.urls")),
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
