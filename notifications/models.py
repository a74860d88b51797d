"""Notifications (the bell, and the outbox e-mail and robots are sent from) and each plan's
reminder rules.

Both models moved here from the tasks app with their tables (``db_table``): no row moved. They
name the task and the plan by string, so this app imports nothing from ``tasks``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ipplan.models import TimeStampedModel
from ipplan.restrict import RestrictManager

from .choices import NotificationKind, NotificationState


class Notification(models.Model):
    """A message to one user, shown in the bell and sent by e-mail/robot once.

    ``dedup_key`` (recipient, task, kind, period) is unique: creating the same reminder twice is
    a no-op, however often the schedule runs.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_unread_idx (recipient, read_at) serves it
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    task = models.ForeignKey(
        "tasks.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    message = models.TextField(_("内容"))
    # unique through Meta.constraints: a ``unique=True`` field also gets a second, LIKE-only index
    # (varchar_pattern_ops) that nothing queries and every sweep insert had to maintain
    dedup_key = models.CharField(_("去重键"), max_length=255)
    state = models.CharField(
        _("发送状态"),
        max_length=16,
        choices=NotificationState.choices,
        default=NotificationState.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = RestrictManager()

    class Meta:
        # the table keeps the name it had when the model lived in the tasks app
        db_table = "tasks_notification"
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="notification_dedup_key_unique"),
            models.CheckConstraint(condition=~Q(dedup_key=""), name="notification_dedup_key_not_empty"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The senders look only for rows still to send: a small partial index, where one on
            # ``state`` over every row ever sent slowed each reminder sweep's inserts.
            models.Index(
                fields=["id"],
                condition=Q(state__in=[NotificationState.PENDING, NotificationState.SENDING]),
                name="notification_to_send_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def _days_before_valid(value: str) -> None:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.isdigit() and 0 < int(part) <= 365 for part in parts):
        raise ValidationError(_("请填写以逗号分隔的天数,如 7,3,1。"), code="invalid")


class ReminderPolicy(TimeStampedModel):
    """The reminder rules of one plan; a plan without one uses the IPPLAN_REMINDER_* defaults.

    Report cadence and day stay on the plan. A value of 0 turns that rule off.
    """

    plan = models.OneToOneField(
        "tasks.Plan", verbose_name=_("工作方案"), on_delete=models.CASCADE, related_name="reminder_policy"
    )
    days_before = models.CharField(
        _("到期前提醒(天)"), max_length=50, default="7,3,1", validators=[_days_before_valid]
    )
    on_day = models.BooleanField(_("到期当日提醒"), default=True)
    repeat_every_days = models.PositiveSmallIntegerField(_("逾期后每隔(天)提醒"), default=3)
    escalate_head_after = models.PositiveSmallIntegerField(_("逾期(天)后提请单位负责人"), default=7)
    escalate_bureau_after = models.PositiveSmallIntegerField(_("逾期(天)后提请知识产权局"), default=14)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "tasks_reminderpolicy"
        ordering = ["plan", "id"]
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")

    def __str__(self) -> str:
        return f"{self.plan}: {self.days_before}"

    @property
    def offsets_before(self) -> list[int]:
        """Days before the due date, largest first: ``[7, 3, 1]``."""
        return sorted({int(p) for p in self.days_before.split(",") if p.strip().isdigit()}, reverse=True)
