"""``/security/``: the audit administrator's pages."""

from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("events/", views.security_log, name="events"),
    path("events/export/", views.security_log_export, name="export"),
]
