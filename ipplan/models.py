"""Base models of the shared kernel, and the records the kernel keeps itself."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .restrict import RestrictManager


class TimeStampedModel(models.Model):
    """Creation and last-change times. ``updated_at`` is indexed: sync clients page by it."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class JobHeartbeat(models.Model):
    """The last time a scheduled job ran, so operators can see that beat is ticking."""

    name = models.CharField(_("作业"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("最近运行"))
    runs = models.PositiveBigIntegerField(_("运行次数"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("定时作业心跳")
        verbose_name_plural = _("定时作业心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A secret a client system presents instead of a session (``Authorization: Bearer ipp_…``).

    Only a SHA-256 digest of the secret is stored: the token is shown once, when it is created.
    Tokens are per client (``name``), expire, are read-only unless ``can_write``, and may be
    limited to a list of addresses or networks.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("客户端名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    digest = models.CharField(_("摘要"), max_length=64)
    can_write = models.BooleanField(_("允许写入"), default=False)
    allowed_ips = models.TextField(
        _("允许的地址"), blank=True, help_text=_("每行一个 IP 地址或网段(如 10.0.0.0/8);留空表示不限。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Tombstone(models.Model):
    """A deleted object, kept so that API sync clients can drop it from their mirror."""

    model = models.CharField(_("对象类型"), max_length=64)
    object_id = models.PositiveBigIntegerField(_("对象 ID"))
    region_path = models.CharField(_("区域路径"), max_length=255, blank=True)
    deleted_at = models.DateTimeField(_("删除时间"), db_index=True)

    objects = RestrictManager()

    class Meta:
        ordering = ["deleted_at", "id"]
        verbose_name = _("删除记录")
        verbose_name_plural = _("删除记录")
        indexes = [models.Index(fields=["model", "object_id"], name="tombstone_object")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id} @ {self.deleted_at:%Y-%m-%d %H:%M:%S}"


# The security audit log lives in its own package but belongs to this app (migrations ``audit_…``).
from .security.models import SecurityChainHead, SecurityEvent  # noqa: E402

__all__ = ["ApiToken", "JobHeartbeat", "SecurityChainHead", "SecurityEvent", "TimeStampedModel", "Tombstone"]
