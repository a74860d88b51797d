"""Regions, departments, their aliases, and the people who work in them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ipplan.models import TimeStampedModel

from .choices import DEPARTMENT_ROLES, DepartmentKind, RegionLevel, Role


class Region(TimeStampedModel):
    """An administrative division (行政区划): province > city > district/county.

    ``path`` is the chain of region codes from the root, e.g. ``/440000/441900/``, so that a
    region and everything under it is one ``path__startswith`` query. Services set it.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("级别"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("区划路径"), max_length=255, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_name_unique_under_parent"),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(level=RegionLevel.PROVINCE),
                name="region_only_province_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> models.QuerySet[Region]:
        codes = [code for code in self.path.strip("/").split("/") if code]
        return Region.objects.filter(code__in=codes)


class Department(TimeStampedModel):
    """A unit that carries out tasks (市科技局, 东莞海关, 各镇街 …), within one region."""

    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(
        _("类别"), max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.GOVERNMENT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("启用"), default=True)
    robot_webhook_url = models.URLField(_("机器人推送地址"), blank=True)
    history = HistoricalRecords(verbose_name=_("单位变更记录"))

    class Meta:
        ordering = ["region__path", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_name_unique_in_region"),
            models.CheckConstraint(condition=~Q(name=""), name="department_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class DepartmentAlias(TimeStampedModel):
    """Another name a plan uses for a department (经信局 for 市经信局), unique within a region."""

    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="aliases"
    )
    region = models.ForeignKey(Region, verbose_name=_("行政区划"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("别名"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_alias_unique_in_region"),
            models.CheckConstraint(condition=~Q(name=""), name="department_alias_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.department.name}"


class IpplanUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: object
    ) -> User:
        """``createsuperuser`` makes an administrator (the admin role)."""
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A person. One role; department roles belong to exactly one department.

    ``region`` is the user's scope for bureau, leader and admin roles; for department roles it
    is the department's region (set by the service).
    """

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.DEPT_STAFF)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    email_notifications = models.BooleanField(_("接收邮件提醒"), default=True)
    daily_digest = models.BooleanField(_("按日汇总提醒"), default=False)

    objects = IpplanUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=DEPARTMENT_ROLES) | Q(department__isnull=False),
                name="user_department_role_has_department",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # 三员分立: the superuser flag is the system administrator's; a security or audit
            # administrator (or anyone else) holding it would hold two roles.
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role=Role.ADMIN),
                name="user_superuser_is_system_admin",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and self.role != Role.ADMIN:
            raise ValidationError(
                {"role": _("超级用户只能是系统管理员:系统、安全、审计管理员不得由同一账号兼任。")}
            )

    @property
    def is_department_user(self) -> bool:
        return self.role in DEPARTMENT_ROLES


class AssessmentWeights(TimeStampedModel):
    """How a region's bureau weighs the three parts of the department assessment (考核), in %."""

    region = models.OneToOneField(
        Region, verbose_name=_("行政区划"), on_delete=models.CASCADE, related_name="assessment_weights"
    )
    on_time = models.PositiveSmallIntegerField(_("按时办结权重"), default=50)
    reports = models.PositiveSmallIntegerField(_("按时填报权重"), default=30)
    overdue = models.PositiveSmallIntegerField(_("无逾期权重"), default=20)
    history = HistoricalRecords(verbose_name=_("考核权重变更记录"))

    class Meta:
        ordering = ["region__path"]
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        constraints = [
            models.CheckConstraint(
                condition=Q(on_time__lte=100, reports__lte=100, overdue__lte=100),
                name="assessment_weights_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name}: {self.on_time}/{self.reports}/{self.overdue}"
