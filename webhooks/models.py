"""Subscriptions of other systems, the event outbox, and one delivery per event and subscriber."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Region
from ipplan import outbound
from ipplan.models import TimeStampedModel
from ipplan.restrict import RestrictManager

from .choices import DeliveryState
from .events import SUBSCRIBABLE_KINDS, EventKind


def validate_webhook_url(value: str) -> None:
    """An http or https address with a host (an intranet name without dots is fine).

    Not Django's URLValidator: it wants a public top-level domain, and receivers on a
    government intranet are often called ``http://oa-server:8080/hook``. The host must not be
    (or resolve to) an internal address unless an administrator allow-listed its network
    (``ipplan.outbound``; checked again when a request goes out).
    """
    message = _("请填写以 http:// 或 https:// 开头的有效网址。")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise ValidationError(message, code="invalid") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.username is not None
        or any(char.isspace() or ord(char) < 32 for char in value)
    ):
        raise ValidationError(message, code="invalid")
    outbound.validate_url(value)


def validate_event_kinds(value: object) -> None:
    """A non-empty list of distinct kinds from the catalogue (the test message excluded)."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("请至少选择一种事件。"), code="required")
    unknown = [str(kind) for kind in value if kind not in SUBSCRIBABLE_KINDS]
    if unknown:
        raise ValidationError(
            _("未知的事件类型:%(kinds)s。"), code="unknown_event", params={"kinds": "、".join(unknown)}
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("事件类型不能重复。"), code="duplicate")


def new_message_id() -> str:
    """The Standard Webhooks message id: ``msg_`` and 26 random URL-safe characters."""
    return "msg_" + secrets.token_urlsafe(20)[:26]


class Subscription(TimeStampedModel):
    """An endpoint of another system that receives the chosen events of a region and below.

    ``secret`` (``whsec_`` + base64 of random bytes) signs every request; only the service
    creates and rotates it. ``version`` grows with every change made through a service (the
    REST API's ETag). After IPPLAN_WEBHOOK_DISABLE_AFTER failed attempts in a row the sender
    turns the subscription off (``is_active`` false, ``disabled_reason`` says why).
    """

    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    url = models.CharField(_("推送地址"), max_length=500, validators=[validate_webhook_url])
    description = models.CharField(_("说明"), max_length=200, blank=True)
    events = models.JSONField(_("事件类型"), default=list, validators=[validate_event_kinds])
    secret = models.CharField(_("签名密钥"), max_length=80, editable=False)
    previous_secret = models.CharField(_("上一把签名密钥"), max_length=80, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(_("上一把密钥停用时间"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The secret stays out of the audit trail: a history row must not leak an old or new key.
    history = HistoricalRecords(verbose_name=_("Webhook 订阅变更记录"), excluded_fields=["secret"])

    objects = RestrictManager()

    class Meta:
        ordering = ["region__path", "url", "id"]
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="webhook_subscription_version_positive"),
            models.CheckConstraint(condition=~Q(secret=""), name="webhook_subscription_secret_not_empty"),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def event_labels(self) -> list[str]:
        return [str(EventKind(kind).label) if kind in EventKind.values else str(kind) for kind in self.events]


class Event(models.Model):
    """Something that happened, recorded in the transaction that caused it (the outbox).

    ``id`` is the ``webhook-id`` every subscriber receives; ``dedup_key`` (optional, unique)
    records an event such as "task 12 overdue since 2026-11-01" only once.
    """

    id = models.CharField(
        _("消息编号"), max_length=40, primary_key=True, default=new_message_id, editable=False
    )
    kind = models.CharField(_("事件类型"), max_length=40, choices=EventKind.choices)
    payload = models.JSONField(_("消息内容"))
    region = models.ForeignKey(Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+")
    dedup_key = models.CharField(_("去重键"), max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("发生时间"), auto_now_add=True, db_index=True)

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("Webhook 事件")
        verbose_name_plural = _("Webhook 事件")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="webhook_event_kind_valid"),
            models.CheckConstraint(condition=~Q(dedup_key=""), name="webhook_event_dedup_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Delivery(models.Model):
    """One event to one subscription: claimed, sent, stamped; retried with backoff.

    The unique (event, subscription) pair is what makes one event reach a subscriber once;
    ``attempts`` counts every try, ``last_*`` describe the latest one.
    """

    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    last_response_excerpt = models.CharField(_("最近响应摘要"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RestrictManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="webhook_delivery_once_per_subscriber"
            ),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="webhook_delivery_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.state})"
