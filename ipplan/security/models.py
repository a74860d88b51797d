"""The security audit log's records and the head of their HMAC chain (models of the ipplan app)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..restrict import RestrictQuerySet
from .choices import EventAction, EventResult


class AppendOnlyError(Exception):
    """Someone tried to change or delete a security event through the ORM."""


class SecurityEventQuerySet(RestrictQuerySet["SecurityEvent"]):
    """Refuses bulk changes; only the pruning service removes old records (``_raw_delete``)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security events are append-only")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("security events are append-only")


class SecurityEvent(models.Model):
    """One security-relevant event: who, when, from where, what, on which object, with what result.

    ``mac`` is the HMAC (``algorithm``) of this record's fields and ``prev_mac``, the previous
    record's ``mac``: changing, removing or inserting a record breaks the chain at that record.
    Records are never updated or deleted (on PostgreSQL a trigger refuses it too), except by
    the pruning command, which leaves an anchor record behind.
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    time = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人 ID"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, db_index=True)
    role = models.CharField(_("角色"), max_length=16, blank=True)
    region_path = models.CharField(_("区域路径"), max_length=255, blank=True)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("事件"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, blank=True)
    object_label = models.CharField(_("对象"), max_length=255, blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=EventResult.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    algorithm = models.CharField(_("校验算法"), max_length=16)
    prev_mac = models.CharField(_("前一条校验值"), max_length=128, blank=True)
    mac = models.CharField(_("校验值"), max_length=128)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        app_label = "ipplan"
        ordering = ["-seq"]
        verbose_name = _("安全审计事件")
        verbose_name_plural = _("安全审计日志")
        indexes = [models.Index(fields=["result", "time"], name="securityevent_result_time")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.actor_name or '-'} {self.result}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security events are append-only")

    @property
    def action_label(self) -> str:
        """The event's name in the user's language (the code itself when it is not a known one)."""
        return str(EventAction(self.action).label) if self.action in EventAction.values else self.action


class SecurityChainHead(models.Model):
    """The one row holding the chain's last sequence number and MAC.

    Writers lock it (``SELECT … FOR UPDATE``) so that concurrent events get consecutive numbers
    and each chains to the one before it; ``audit_verify`` also compares the chain's end with it,
    so that removing the newest records is noticed.
    """

    seq = models.PositiveBigIntegerField(_("最后序号"), default=0)
    mac = models.CharField(_("最后校验值"), max_length=128, blank=True)

    class Meta:
        app_label = "ipplan"
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq}"
