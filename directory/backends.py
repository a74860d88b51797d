"""Authentication backends: LDAP/AD sign-in through the login form, and the guard that sends
directory users to their directory instead of checking a local password they do not have."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from departments.models import User

from .choices import DirectorySource
from .services import DirectoryRefusal, directory_source_of, directory_user_sync


def ldap_enabled() -> bool:
    return bool(getattr(settings, "AUTH_LDAP_SERVER_URI", ""))


def oidc_enabled() -> bool:
    return bool(
        getattr(settings, "IPPLAN_OIDC_DISCOVERY_URL", "") and getattr(settings, "IPPLAN_OIDC_CLIENT_ID", "")
    )


def _first(attrs: Any, name: str) -> str:
    values = attrs.get(name) if attrs is not None and name else None
    return str(values[0]) if values else ""


class DirectoryLDAPBackend(LDAPBackend):  # type: ignore[misc]
    """django-auth-ldap binds and reads the groups; ipplan's mapping decides the role at each login."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not ldap_enabled() or not username or not password:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)  # type: ignore[no-any-return]

    def get_or_build_user(self, username: str, ldap_user: _LDAPUser) -> tuple[User, bool]:
        request = getattr(ldap_user, "_request", None)
        attrs = ldap_user.attrs
        try:
            user = directory_user_sync(
                source=DirectorySource.LDAP,
                subject=ldap_user.dn,
                username=username,
                groups=list(ldap_user.group_dns),
                email=_first(attrs, settings.IPPLAN_LDAP_ATTR_EMAIL),
                display_name=_first(attrs, settings.IPPLAN_LDAP_ATTR_NAME) or _first(attrs, "cn"),
                request=request,
            )
        except DirectoryRefusal as refusal:
            if request is not None:
                messages.error(request, refusal.message)
            raise PermissionDenied(refusal.reason) from None
        # Already created or updated by the service: django-auth-ldap must not save it again.
        return user, False


class DirectoryUserGuardBackend:
    """A directory user has no local password: the login form tells them where to sign in."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not username:
            return None
        source = directory_source_of(username)
        if source is None or (source == DirectorySource.LDAP and ldap_enabled()):
            return None
        if source == DirectorySource.OIDC:
            message = _("该账号使用统一身份认证登录,请点击“使用统一身份认证登录”按钮。")
        else:
            message = _("该账号使用目录(LDAP/AD)登录,但目录服务未配置,请联系管理员。")
        if request is not None:
            messages.error(request, message)
        raise PermissionDenied("directory account")
