"""Delivering the webhook outbox: claim, sign, send, stamp; backoff and giving up (the kernel's
engine, ``ipplan.outbox``); a subscription that keeps failing is switched off and its managers
told; finished events are pruned.

A sender claims a delivery (``pending`` → ``sending``, committed on its own before the request
goes out), posts it through the one outbound client (``ipplan.outbound``), and stamps the
outcome. A sender killed after the request and before the stamp leaves the row ``sending``; the
sweeper re-queues it once its lease has run out, and the copy carries the same ``webhook-id``,
so the receiver can drop it. Nothing a receiver does can block or roll back the change that
caused the event: the request is made by a job, after the commit, outside any transaction of
the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from departments.models import User
from ipplan import outbound
from ipplan.outbox import Outbox
from ipplan.roles import Role
from notifications.choices import NotificationKind
from notifications.services.notifications import notification_create

from .choices import DeliveryState
from .events import EventKind
from .models import Delivery, Event, Subscription

logger = logging.getLogger("ipplan.webhooks")

USER_AGENT = "ipplan-webhooks/1"


# --- delivering: claim, send, stamp ----------------------------------------------------------------


#: The delivery table as an outbox (the kernel's engine): IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS,
#: _BACKOFF_SECONDS and _MAX_ATTEMPTS.
OUTBOX = Outbox(Delivery, "IPPLAN_WEBHOOK")


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … capped at a day."""
    return OUTBOX.backoff(attempts)


def delivery_claim(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Take a due pending delivery for sending; False if someone else has it or it is not due.
    Committed on its own, before anything goes out."""
    now = now or timezone.now()
    return OUTBOX.claim(delivery_id, now=now, claimed_at=now)


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt gave."""

    ok: bool
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int


def signed_request(subscription: Subscription, event: Event) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt, signed now (receivers refuse old timestamps)."""
    body = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    sent_at = dt.datetime.now(tz=dt.UTC)
    signature = Webhook(subscription.secret).sign(event.id, sent_at, body)
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and sent_at < expires:
        signature += " " + Webhook(subscription.previous_secret).sign(event.id, sent_at, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(math.floor(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode("utf-8"), headers


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST once through the outbound client (address checked and pinned, no redirect followed:
    a moved endpoint must be edited); any 2xx is success. Only the status and the timing are
    kept: the receiver's body is never read into the log."""
    timeout = float(settings.IPPLAN_WEBHOOK_TIMEOUT_SECONDS)
    started = time.monotonic()
    try:
        reply = outbound.post(url, body, headers, timeout=timeout)
    except outbound.OutboundError as exc:  # recorded on the delivery and retried
        duration = round((time.monotonic() - started) * 1000)
        logger.info("webhook POST to %s failed: %s", url, exc)
        name = "" if isinstance(exc, outbound.OutboundRefused) else f"{type(exc).__name__}: "
        return Outcome(False, None, f"{name}{exc}"[:300], "", duration)
    ok = 200 <= reply.status < 300
    error = "" if ok else outbound.status_text(reply.status)
    return Outcome(ok, reply.status, error, "", reply.duration_ms)


def _stamp(delivery: Delivery, outcome: Outcome, now: dt.datetime) -> str:
    """Record the attempt on the delivery and the subscription's failure count, in one transaction."""
    subscription_id = delivery.subscription_id
    common = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_response_excerpt": outcome.excerpt,
        "duration_ms": outcome.duration_ms,
    }
    disabled = False
    with transaction.atomic():
        if outcome.ok:
            if not OUTBOX.succeeded(delivery.pk, DeliveryState.DELIVERED, delivered_at=now, **common):
                return ""  # re-queued by the sweeper and taken by another sender meanwhile
            Subscription.objects.filter(pk=subscription_id, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
            return str(DeliveryState.DELIVERED)
        state = OUTBOX.failed(delivery.pk, attempts=delivery.attempts, now=now, **common)
        if not state:
            return ""
        Subscription.objects.filter(pk=subscription_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        limit = settings.IPPLAN_WEBHOOK_DISABLE_AFTER
        if limit > 0:
            disabled = bool(
                Subscription.objects.filter(
                    pk=subscription_id, is_active=True, consecutive_failures__gte=limit
                ).update(
                    is_active=False,
                    disabled_at=now,
                    disabled_reason=(
                        _("连续 %(count)s 次推送失败,已自动停用。最近错误:%(error)s")
                        % {"count": limit, "error": outcome.error}
                    )[:300],
                    version=F("version") + 1,
                )
            )
            if disabled:
                _notify_disabled(subscription_id)
    if disabled:
        logger.warning(
            "webhook subscription %s disabled after %s failed attempts in a row", subscription_id, limit
        )
    return str(state)


def _notify_disabled(subscription_id: int) -> None:
    """Tell the people who manage the subscription that it was switched off (in the same
    transaction as the switch, once per time it is switched off)."""
    subscription = Subscription.objects.select_related("region").get(pk=subscription_id)
    managers = User.objects.filter(is_active=True).filter(
        Q(role=Role.BUREAU, region=subscription.region) | Q(pk=subscription.created_by_id)
    )

    def message() -> str:  # written in each manager's language
        return _(
            "Webhook 订阅 %(url)s 已自动停用:%(reason)s 请检查接收方后在“Webhook 推送”页面重新启用。"
        ) % {
            "url": subscription.url,
            "reason": subscription.disabled_reason,
        }

    stamp = subscription.disabled_at.isoformat() if subscription.disabled_at else ""
    for manager in managers.distinct():
        notification_create(
            recipient=manager,
            kind=NotificationKind.WEBHOOK_DISABLED,
            message=message,
            dedup_key=f"webhook_disabled:{subscription.pk}:{stamp}:{manager.pk}",
        )


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Claim, send and stamp one delivery; returns its new state ('' when not sent: not due,
    taken by another sender, gone, or its subscription is off).

    ``now`` is the clock of the schedule (claim, lease, backoff); the signature always carries
    the real time of the request.
    """
    delivery = Delivery.objects.select_related("event", "subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return ""
    if not delivery.subscription.is_active and delivery.event.kind != EventKind.WEBHOOK_TEST:
        return ""  # waits until the subscription is turned on again
    if not delivery_claim(delivery_id=delivery_id, now=now):
        return ""
    delivery.refresh_from_db(fields=["attempts"])
    body, headers = signed_request(delivery.subscription, delivery.event)
    outcome = http_post(delivery.subscription.url, body, headers)
    state = _stamp(delivery, outcome, now or timezone.now())
    if outcome.ok:
        logger.info("webhook %s delivered to subscription %s", delivery.event_id, delivery.subscription_id)
    else:
        logger.warning(
            "webhook %s to subscription %s attempt %s failed: %s",
            delivery.event_id,
            delivery.subscription_id,
            delivery.attempts,
            outcome.error,
        )
    return state


def deliveries_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put deliveries whose sender died (``sending`` past their lease) back to ``pending``; those
    that have used up their attempts are marked failed instead."""
    return OUTBOX.requeue_stuck(now=now)


#: Deliveries the sender takes: their subscription is on (test messages always).
_SENDABLE = Q(subscription__is_active=True) | Q(event__kind=EventKind.WEBHOOK_TEST)


def deliveries_ready(
    *, now: dt.datetime | None = None, limit: int = 200, exclude: set[int] | None = None
) -> list[int]:
    """Ids of due pending deliveries whose subscription is on (test messages always), oldest first."""
    return OUTBOX.ready(now=now, limit=limit, exclude=exclude, where=_SENDABLE)


def deliveries_deliver_pending(*, limit: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweeper and sender: re-queue stuck deliveries, then try each due one once.

    Idempotent and safe to run concurrently (each row is claimed). A delivery that fails is not
    retried in the same run, even with a zero backoff.
    """
    return OUTBOX.drain(
        lambda pk, now: delivery_send(delivery_id=pk, now=now), limit=limit, now=now, where=_SENDABLE
    )


# --- housekeeping ---------------------------------------------------------------------------------


@transaction.atomic
def events_prune(*, now: dt.datetime | None = None, keep_days: int | None = None) -> int:
    """Delete events older than ``keep_days`` (IPPLAN_WEBHOOK_KEEP_DAYS) whose deliveries are all
    finished (delivered or failed), with their delivery log; returns how many events went.
    Events still waiting for a delivery are kept whatever their age. 0 days keeps everything."""
    keep_days = settings.IPPLAN_WEBHOOK_KEEP_DAYS if keep_days is None else keep_days
    if keep_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    unfinished = Delivery.objects.filter(event=OuterRef("pk")).exclude(
        state__in=[DeliveryState.DELIVERED, DeliveryState.FAILED]
    )
    old = Event.objects.filter(created_at__lt=cutoff).exclude(Exists(unfinished))
    _count, by_model = old.delete()
    return int(by_model.get(Event._meta.label, 0))
