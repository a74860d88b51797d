"""The admin site: entry is decided by the permission policy, not by Django's model permissions."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ipplan.permissions import Action, can


class IpplanAdminSite(admin.AdminSite):
    site_header = _("ipplan 知识产权工作方案督办平台")
    site_title = _("ipplan 管理")
    index_title = _("数据管理")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(
            request.user.is_active and request.user.is_staff and can(request.user, Action.USE_ADMIN_SITE)
        )
