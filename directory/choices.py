"""Choices of directory sign-in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectorySource(models.TextChoices):
    """Where a person signs in: an LDAP/AD directory or an OIDC platform (统一身份认证)."""

    LDAP = "ldap", _("LDAP/AD 目录")
    OIDC = "oidc", _("统一身份认证(OIDC)")


class MappingSource(models.TextChoices):
    """Which sign-in a group mapping applies to."""

    ANY = "any", _("任意目录")
    LDAP = "ldap", _("LDAP/AD 目录")
    OIDC = "oidc", _("统一身份认证(OIDC)")
