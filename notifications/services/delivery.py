"""Delivering notifications: claim, send, stamp; backoff; the sweeper; e-mail and robot messages.

The notification row is the outbox, sent through the kernel's engine (``ipplan.outbox``, the same
one the webhook deliveries use). A sender claims a row with a conditional update
(``pending`` → ``sending``, committed before anything goes out), sends, and stamps it ``sent``.
Two senders racing for one row: one update matches, the other does nothing. A sender that dies
between claim and stamp leaves the row ``sending``; the sweeper puts it back to ``pending`` once
its lease (``next_attempt_at``) has run out, or marks it failed when it has used up its
attempts. That window (sent, then killed before the stamp) is
the only way a second copy can go out; each mail carries a Message-ID derived from the dedup key,
so a receiving server or reader can recognise such a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.models import User
from ipplan import outbound
from ipplan.outbox import Outbox
from ipplan.permissions import Action, require
from ipplan.roles import Role

from ..choices import NotificationKind, NotificationState
from ..models import Notification
from .notifications import recipient_language

logger = logging.getLogger("ipplan.notifications")

#: Kinds a department's robot posts to its group chat (once per department, see ``_robot_url``).
ROBOT_KINDS = (
    NotificationKind.DUE_SOON,
    NotificationKind.DUE_TODAY,
    NotificationKind.OVERDUE,
    NotificationKind.REPORT_DUE,
    NotificationKind.URGE,
)


class DeliveryError(Exception):
    """A channel refused the message."""


# --- e-mail -------------------------------------------------------------------------------------


def notification_link(notification: Notification) -> str:
    base = str(settings.IPPLAN_BASE_URL).rstrip("/")
    if notification.task_id is not None:
        return base + reverse("tasks:task_detail", args=[notification.task_id])
    return base + reverse("notifications:list")


def message_id(notification: Notification) -> str:
    digest = hashlib.sha256(notification.dedup_key.encode()).hexdigest()[:24]
    return f"<ipplan.{notification.pk}.{digest}@ipplan.local>"


def email_render(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail (plain text and HTML) for one notification, in the recipient's language."""
    with translation.override(recipient_language(notification.recipient)):
        context: dict[str, Any] = {
            "notification": notification,
            "recipient": notification.recipient,
            "task": notification.task,
            "kind": notification.get_kind_display(),
            "link": notification_link(notification),
            "lines": notification.message.splitlines(),
        }
        subject_tail = (
            f"{notification.task.path} {notification.task.title}"
            if notification.task is not None
            else notification.message.splitlines()[0]
        )
        subject = _("【ipplan】%(kind)s:%(what)s") % {"kind": context["kind"], "what": subject_tail}
        subject = subject[:150]
        text = render_to_string("email/notification.txt", context)
        html = render_to_string("email/notification.html", context)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[notification.recipient.email],
        headers={"Message-ID": message_id(notification), "X-Ipplan-Dedup-Key": notification.dedup_key},
    )
    mail.attach_alternative(html, "text/html")
    return mail


def wants_email(notification: Notification) -> bool:
    """E-mail unless the user turned it off, has no address, or takes a daily digest instead."""
    user = notification.recipient
    if not (user.is_active and user.email and user.email_notifications):
        return False
    return not (
        user.daily_digest and user.is_department_user and notification.kind != NotificationKind.DIGEST
    )


# --- robots -------------------------------------------------------------------------------------


def robot_payload(url: str, *, title: str, text: str, link: str) -> dict[str, Any]:
    """The message body a WeCom, DingTalk or Feishu/Lark group robot accepts (by its host)."""
    host = urlparse(url).hostname or ""
    if host.endswith("qyapi.weixin.qq.com"):
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}\n[查看任务]({link})"}}
    if host.endswith("dingtalk.com"):
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": f"#### {title}\n{text}\n\n[查看任务]({link})"},
        }
    if host.endswith(("feishu.cn", "larksuite.com")):
        return {"msg_type": "text", "content": {"text": f"{title}\n{text}\n{link}"}}
    return {"title": title, "text": text, "link": link}


def _robot_url(notification: Notification) -> str:
    """The department robot's address when this notification carries the department's robot post.

    A reminder goes to every liaison of a department; the group chat should see it once, so only
    the notification of the department's first active liaison (or head) posts it.
    """
    user = notification.recipient
    department = user.department
    if notification.kind not in ROBOT_KINDS or department is None or not department.robot_webhook_url:
        return ""
    members = User.objects.filter(department=department, is_active=True)
    first = members.filter(role=Role.DEPT_STAFF).order_by("pk").first() or (
        members.filter(role=Role.DEPT_HEAD).order_by("pk").first()
    )
    return department.robot_webhook_url if first is not None and first.pk == user.pk else ""


#: How much of a robot's answer is read (its JSON carries the error code; the rest is not kept).
ROBOT_ANSWER_BYTES = 64 * 1024


def robot_post(url: str, payload: dict[str, Any], *, timeout: float = 10) -> None:
    """Post one message to a group robot through the outbound client (address checked and
    pinned, no redirect followed). Raises DeliveryError naming the status or the robot's error
    code (never the robot's own words: the log must not read back what an address answers)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    reply = outbound.post(
        url, body, {"Content-Type": "application/json"}, timeout=timeout, read_limit=ROBOT_ANSWER_BYTES
    )
    if not 200 <= reply.status < 300:
        raise DeliveryError(f"robot answered {outbound.status_text(reply.status)}")
    # The robots answer 200 with an error code in the body when they refuse a message.
    try:
        data = json.loads(reply.body.decode("utf-8", "replace") or "{}")
    except ValueError:
        return
    code = data.get("errcode", data.get("code", 0)) if isinstance(data, dict) else 0
    if code not in (0, None):
        shown = code if isinstance(code, int) else "?"
        raise DeliveryError(f"robot refused the message: errcode {shown}")


# --- claim, send, stamp (the kernel's outbox engine) ---------------------------------------------

#: The notification table as an outbox: IPPLAN_REMINDER_SENDING_LEASE_SECONDS, _BACKOFF_SECONDS and
#: _MAX_ATTEMPTS.
OUTBOX = Outbox(Notification, "IPPLAN_REMINDER", missed="taken_by_another")


def notification_claim(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Take a pending row for sending; False if someone else has it or it is not due yet.

    Committed on its own (never inside a caller's transaction), so the claim is visible to every
    other sender before the first byte goes out.
    """
    return OUTBOX.claim(notification_id, now=now)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … capped at a day."""
    return OUTBOX.backoff(attempts)


def _send(notification: Notification) -> tuple[bool, str]:
    """Send on every channel the recipient has: (anything sent, error of a later channel).

    E-mail goes first. If it went out and the robot then fails, the row is still stamped sent
    (with the robot's error on it): retrying would mail a second copy.
    """
    sent = False
    if wants_email(notification):
        email_render(notification).send(fail_silently=False)
        sent = True
    url = _robot_url(notification)
    if url:
        payload = robot_payload(
            url,
            title=notification.get_kind_display(),
            text=notification.message,
            link=notification_link(notification),
        )
        try:
            robot_post(url, payload)
        except Exception as exc:
            if not sent:
                raise
            logger.warning("robot post of notification %s failed: %s", notification.pk, exc)
            return True, f"机器人推送失败 {type(exc).__name__}: {exc}"[:2000]
        sent = True
    return sent, ""


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> str:
    """Claim, send and stamp one notification; returns its new state ('' if not claimed).

    A failure is recorded on the row (``last_error``, ``attempts``) and retried after a backoff,
    until IPPLAN_REMINDER_MAX_ATTEMPTS, then the row is ``failed`` for an operator to retry.
    """
    if not notification_claim(notification_id=notification_id, now=now):
        return ""
    notification = Notification.objects.select_related("recipient", "recipient__department", "task").get(
        pk=notification_id
    )
    try:
        sent, later_error = _send(notification)
    except Exception as exc:
        logger.warning(
            "notification %s attempt %s failed: %s",
            notification_id,
            notification.attempts,
            exc,
            exc_info=True,
        )
        return OUTBOX.failed(
            notification_id, attempts=notification.attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
    state = NotificationState.SENT if sent else NotificationState.SKIPPED
    if not OUTBOX.succeeded(notification_id, state, sent_at=timezone.now(), last_error=later_error):
        return ""
    return str(state)


def notifications_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put rows whose sender died (``sending`` past their lease) back to ``pending``; those that
    have used up their attempts are marked failed instead."""
    return OUTBOX.requeue_stuck(now=now)


def notifications_ready(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    return OUTBOX.ready(now=now, limit=limit)


def notifications_deliver_pending(
    *, limit: int | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """The sweeper and sender: re-queue stuck rows, then try every row that is due once."""
    return OUTBOX.drain(
        lambda pk, now: notification_deliver(notification_id=pk, now=now), limit=limit, now=now
    )


def notifications_retry(*, actor: User, notifications: QuerySet[Notification]) -> int:
    """An operator sends failed (or backed-off) notifications now; returns how many were re-queued."""
    require(actor, Action.MANAGE_NOTIFICATIONS)
    return OUTBOX.retry(notifications, states=(NotificationState.FAILED, NotificationState.PENDING))


def sent_figures() -> list[tuple[str, str, list[str], list[tuple[list[str], float]]]]:
    """``ipplan_reminders_sent``: notifications sent (e-mail or robot), by kind (for /metrics)."""
    sent = [
        ([row["kind"]], float(row["n"]))
        for row in Notification.objects.filter(state=NotificationState.SENT)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    ]
    return [("ipplan_reminders_sent", "Notifications sent (e-mail or robot), by kind.", ["kind"], sent)]
