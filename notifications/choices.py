"""Choices of the notifications app: what a notification is about, and where its sending stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期提醒")
    DUE_TODAY = "due_today", _("当日到期提醒")
    OVERDUE = "overdue", _("逾期催报")
    ESCALATION_HEAD = "escalation_head", _("逾期提请单位负责人")
    ESCALATION_BUREAU = "escalation_bureau", _("逾期提请知识产权局")
    REPORT_DUE = "report_due", _("进展填报提醒")
    URGE = "urge", _("催办")
    REVIEW_RESULT = "review_result", _("审核结果")
    REQUEST_PENDING = "request_pending", _("待办申请")
    DIGEST = "digest", _("工作摘要")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook 推送已停用")
    TASK_CHANGED = "task_changed", _("任务调整")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("无需发送")
