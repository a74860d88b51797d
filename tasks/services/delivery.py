"""Delivering notifications: claim, send, stamp; backoff; the sweeper; e-mail and robot messages.

The notification row is the outbox. A sender claims a row with a conditional update
(``pending`` → ``sending``, committed before anything goes out), sends, and stamps it ``sent``.
Two senders racing for one row: one update matches, the other does nothing. A sender that dies
between claim and stamp leaves the row ``sending``; the sweeper puts it back to ``pending`` once
its lease (``next_attempt_at``) has run out. That window (sent, then killed before the stamp) is
the only way a second copy can go out; each mail carries a Message-ID derived from the dedup key,
so a receiving server or reader can recognise such a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.choices import Role
from departments.models import User
from ipplan import outbound
from ipplan.permissions import Action, require

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
    return base + reverse("tasks:notifications")


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


# --- claim, send, stamp -------------------------------------------------------------------------


def _ready(now: dt.datetime) -> Q:
    return Q(state=NotificationState.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def notification_claim(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Take a pending row for sending; False if someone else has it or it is not due yet.

    Committed on its own (never inside a caller's transaction), so the claim is visible to every
    other sender before the first byte goes out.
    """
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.IPPLAN_REMINDER_SENDING_LEASE_SECONDS)
    with transaction.atomic():
        claimed = (
            Notification.objects.filter(_ready(now), pk=notification_id).update(
                state=NotificationState.SENDING, attempts=F("attempts") + 1, next_attempt_at=lease
            )
            == 1
        )
    return claimed


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … capped at a day."""
    seconds = settings.IPPLAN_REMINDER_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 86400))


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


def notification_deliver(*, notification_id: int) -> str:
    """Claim, send and stamp one notification; returns its new state ('' if not claimed).

    A failure is recorded on the row (``last_error``, ``attempts``) and retried after a backoff,
    until IPPLAN_REMINDER_MAX_ATTEMPTS, then the row is ``failed`` for an operator to retry.
    """
    if not notification_claim(notification_id=notification_id):
        return ""
    notification = Notification.objects.select_related("recipient", "recipient__department", "task").get(
        pk=notification_id
    )
    try:
        sent, later_error = _send(notification)
    except Exception as exc:
        now = timezone.now()
        failed = notification.attempts >= settings.IPPLAN_REMINDER_MAX_ATTEMPTS
        state = NotificationState.FAILED if failed else NotificationState.PENDING
        Notification.objects.filter(pk=notification_id, state=NotificationState.SENDING).update(
            state=state,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None if failed else now + backoff(notification.attempts),
        )
        logger.warning(
            "notification %s attempt %s failed: %s",
            notification_id,
            notification.attempts,
            exc,
            exc_info=True,
        )
        return str(state)
    state = NotificationState.SENT if sent else NotificationState.SKIPPED
    Notification.objects.filter(pk=notification_id, state=NotificationState.SENDING).update(
        state=state, sent_at=timezone.now(), next_attempt_at=None, last_error=later_error
    )
    return str(state)


def notifications_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put rows whose sender died (``sending`` past their lease) back to ``pending``."""
    now = now or timezone.now()
    count = Notification.objects.filter(state=NotificationState.SENDING, next_attempt_at__lt=now).update(
        state=NotificationState.PENDING, next_attempt_at=None
    )
    if count:
        logger.warning("re-queued %d notifications left in 'sending'", count)
    return count


def notifications_ready(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(Notification.objects.filter(_ready(now)).order_by("pk").values_list("pk", flat=True)[:limit])


def notifications_deliver_pending(*, limit: int | None = None) -> dict[str, int]:
    """The sweeper and sender: re-queue stuck rows, then deliver every row that is due."""
    counts: Counter[str] = Counter()
    counts["requeued"] = notifications_requeue_stuck()
    done = 0
    while limit is None or done < limit:
        batch = notifications_ready(limit=200 if limit is None else min(200, limit - done))
        if not batch:
            break
        for notification_id in batch:
            state = notification_deliver(notification_id=notification_id)
            counts[state or "taken_by_another"] += 1
            done += 1
    return dict(counts)


def notifications_retry(*, actor: User, notifications: QuerySet[Notification]) -> int:
    """An operator sends failed (or backed-off) notifications now; returns how many were re-queued."""
    require(actor, Action.MANAGE_NOTIFICATIONS)
    return notifications.filter(state__in=[NotificationState.FAILED, NotificationState.PENDING]).update(
        state=NotificationState.PENDING, attempts=0, next_attempt_at=None
    )
