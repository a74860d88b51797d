"""Regions, departments, their aliases, and the people who work in them."""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ipplan.fieldcrypto import BlindIndexField, EncryptedCharField, EncryptedEmailField
from ipplan.models import TimeStampedModel
from ipplan.outbound import validate_url
from ipplan.restrict import RestrictManager
from ipplan.roles import DEPARTMENT_ROLES, Role

from .choices import DepartmentKind, RegionLevel


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

    objects = RestrictManager()

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
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入单位"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="absorbed",
        help_text=_("单位合并后,被合并单位停用并指向存续单位。"),
    )
    robot_webhook_url = models.URLField(_("机器人推送地址"), blank=True)
    history = HistoricalRecords(verbose_name=_("单位变更记录"))

    objects = RestrictManager()

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

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """The field checks, and the robot's address must not be (or resolve to) an internal
        address unless an administrator allow-listed its network (``ipplan.outbound``; checked
        again when a message goes out). Not a field validator: that would be a migration."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.error_dict
        if (
            self.robot_webhook_url
            and "robot_webhook_url" not in (exclude or ())
            and "robot_webhook_url" not in errors
        ):
            try:
                validate_url(self.robot_webhook_url)
            except ValidationError as exc:
                errors["robot_webhook_url"] = exc.error_list
        if errors:
            raise ValidationError(errors)


class DepartmentAlias(TimeStampedModel):
    """Another name a plan uses for a department (经信局 for 市经信局), unique within a region."""

    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="aliases"
    )
    region = models.ForeignKey(Region, verbose_name=_("行政区划"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("别名"), max_length=100)

    objects = RestrictManager()

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


class IpplanUserManager(RestrictManager["User"], UserManager["User"]):
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
    # Personal data is stored SM4-GCM encrypted (ipplan/fieldcrypto.py); the e-mail address has a
    # blind index beside it because the password reset looks users up by it.
    email = EncryptedEmailField(_("电子邮箱"), blank=True)
    email_index = BlindIndexField(_("电子邮箱索引"), source="email")
    phone = EncryptedCharField(_("电话"), blank=True, form_max_length=30)
    must_change_password = models.BooleanField(
        _("下次登录须修改密码"),
        default=False,
        help_text=_("管理员创建或重置密码的账号,首次登录时必须先修改密码。"),
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True, default=timezone.now)
    email_notifications = models.BooleanField(_("接收邮件提醒"), default=True)
    daily_digest = models.BooleanField(_("按日汇总提醒"), default=False)
    #: The language of the user's notifications and e-mails (set by the language switch and on
    #: the settings page); the pages follow the browser's choice.
    language = models.CharField(
        _("通知语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

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
            # One account per name whatever the letter case (Zhang and zhang are one person).
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_ignoring_case",
                violation_error_message=_("已有同名账号(不区分大小写)。"),
            ),
            # 三员分立: the superuser flag is the system administrator's; a security or audit
            # administrator (or anyone else) holding it would hold two roles.
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role=Role.ADMIN),
                name="user_superuser_is_system_admin",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def full_name(self) -> str:
        """How to address the person: their name, else the account name."""
        return self.display_name or self.get_full_name() or self.username

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

    objects = RestrictManager()

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


class PasswordHistory(models.Model):
    """A password hash a user has had, so that the last N are not chosen again."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("密码摘要"), max_length=256)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        ordering = ["user", "-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class SessionEndReason(models.TextChoices):
    LOGOUT = "logout", _("用户退出")
    IDLE = "idle", _("长时间未操作")
    EXPIRED = "expired", _("超过会话最长时间")
    CONCURRENT = "concurrent", _("账号在别处登录")
    ADMIN = "admin", _("管理员结束")


class UserSession(models.Model):
    """One signed-in session of a user, kept server-side for the session policy.

    The session itself lives in Django's session store (database or cache); this row says whose
    it is and when it started, so that a new sign-in can end the older ones and the browser of an
    ended session can be told why.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(_("会话标识"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("登录时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=16, choices=SessionEndReason.choices, blank=True)
    ip_address = models.GenericIPAddressField(_("登录地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)

    class Meta:
        ordering = ["user", "-created_at", "-id"]
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "ended_at"], name="user_session_user_open")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"
