"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from . import account, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/notifications/", account.notification_settings, name="account_notifications"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tasks.api.urls")),
    path("", include("tasks.urls")),
]
