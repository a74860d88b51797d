from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class IpplanConfig(AppConfig):
    default = True
    name = "ipplan"
    verbose_name = _("系统")

    def ready(self) -> None:
        from .security import admin as security_admin  # noqa: F401 (registers the log's admin page)
        from .security.receivers import connect

        connect()


class IpplanAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that asks the permission policy who may enter."""

    default = False
    default_site = "ipplan.admin_site.IpplanAdminSite"
