"""Directory group mappings (set by the security administrator) and the link of a user to the
directory entry they sign in as."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ipplan.restrict import RestrictManager
from ipplan.roles import ADMINISTRATOR_ROLES, Role

from .choices import DirectorySource, MappingSource


class DirectoryGroupMapping(models.Model):
    """A directory group and the ipplan role, department and region its members get.

    A person in several mapped groups gets the mapping with the lowest priority number. The
    administrator roles (三员) are granted only by a mapping that says so explicitly.
    """

    source = models.CharField(
        _("目录"), max_length=8, choices=MappingSource.choices, default=MappingSource.ANY
    )
    group = models.CharField(
        _("目录组"),
        max_length=500,
        help_text=_("LDAP 组的 DN(如 cn=kjj,ou=groups,dc=example,dc=cn),或 OIDC 组声明中的值;不区分大小写。"),
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        "departments.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(
        _("优先级"), default=100, help_text=_("同时属于多个已映射的组时,取数字最小的一条。")
    )
    grants_administrator = models.BooleanField(
        _("允许授予管理员角色"),
        default=False,
        help_text=_("三员分立:系统、安全、审计管理员角色只有勾选此项的映射才能授予。"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = RestrictManager()

    class Meta:
        verbose_name = _("目录组映射")
        verbose_name_plural = _("目录组映射")
        ordering = ["priority", "group", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "group"], name="directory_mapping_unique_group"),
            models.CheckConstraint(condition=~Q(group=""), name="directory_mapping_group_not_empty"),
            models.CheckConstraint(
                condition=~Q(role__in=ADMINISTRATOR_ROLES) | Q(grants_administrator=True),
                name="directory_mapping_administrator_explicit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()}"


class DirectoryAccount(models.Model):
    """The directory entry a user signs in as (an LDAP DN, or an OIDC issuer and subject).

    A user with one has no local password; role and department follow the directory at each login.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="directory_account",
    )
    source = models.CharField(_("目录"), max_length=8, choices=DirectorySource.choices)
    subject = models.CharField(_("目录标识"), max_length=500)
    mapping = models.ForeignKey(
        DirectoryGroupMapping,
        verbose_name=_("目录组映射"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    synced_at = models.DateTimeField(_("最近同步"))

    objects = RestrictManager()

    class Meta:
        verbose_name = _("目录账号")
        verbose_name_plural = _("目录账号")
        ordering = ["source", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["source", "subject"], name="directory_account_unique_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.subject}"
