"""Every write of the webhooks app: subscriptions, the event outbox, and delivering it.

The outbox follows the notification outbox (tasks.services.delivery):

* ``event_record`` writes the event and one ``Delivery`` per matching subscription in the
  caller's transaction, so a rolled-back change sends nothing; after the commit each delivery is
  handed to Celery (``webhook_send``), and the beat tick (``webhooks_deliver``) sends whatever
  that hand-off missed.
* A sender claims a delivery with a conditional update (``pending`` → ``sending``, committed on
  its own before the request goes out), posts, and stamps the outcome. Two senders racing for a
  row: one update matches, the other does nothing. A sender that dies after the claim leaves the
  row ``sending``; the sweeper re-queues it once its lease has run out. That window (sent, then
  killed before the stamp) is the only way a second copy can go out, and it carries the same
  ``webhook-id``, so the receiver can drop it.
* A failed attempt is retried after an exponential backoff until IPPLAN_WEBHOOK_MAX_ATTEMPTS;
  IPPLAN_WEBHOOK_DISABLE_AFTER failed attempts in a row turn the subscription off.

Nothing a receiver does can block or roll back the change that caused the event: the request
is made by a job, after the commit, outside any transaction of the caller.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from departments.models import Region, User
from ipplan import outbound
from ipplan.audit import delete_as, save_as
from ipplan.permissions import Action, can, require
from ipplan.versioning import lock_and_check

from . import events as catalogue
from .choices import DeliveryState
from .events import SUBSCRIBABLE_KINDS, EventKind
from .models import Delivery, Event, Subscription

if TYPE_CHECKING:
    from tasks.models import ProgressReport, Task, TaskRequest

logger = logging.getLogger("ipplan.webhooks")

USER_AGENT = "ipplan-webhooks/1"
#: Random bytes in a secret (Standard Webhooks asks for 24 to 64).
SECRET_BYTES = 32


# --- subscriptions ------------------------------------------------------------------------------


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and the base64 of SECRET_BYTES random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _events(events: Sequence[str]) -> list[str]:
    """The chosen kinds in catalogue order (unknown ones kept, for the validator to name)."""
    if isinstance(events, str):  # a single kind, or a comma list from a form or a query string
        events = [part for part in events.split(",") if part.strip()]
    chosen = list(dict.fromkeys(str(kind).strip() for kind in events))
    known = [kind for kind in SUBSCRIBABLE_KINDS if kind in chosen]
    return known + [kind for kind in chosen if kind not in SUBSCRIBABLE_KINDS]


def _check_region(actor: User, region: Region) -> None:
    if not can(actor, Action.MANAGE_WEBHOOKS, region):
        raise ValidationError(
            {"region": _("您不能为“%(region)s”配置 Webhook。") % {"region": region.name}},
            code="region_forbidden",
        )


def _current(subscription: Subscription) -> dict[str, Any]:
    return {
        "url": subscription.url,
        "description": subscription.description,
        "events": subscription.events,
        "is_active": subscription.is_active,
        "region": subscription.region_id,
        "version": subscription.version,
    }


def _lock(subscription: Subscription, expected_version: int | None) -> Subscription:
    """The subscription re-read under a row lock; a stale ``expected_version`` is a conflict."""
    return lock_and_check(
        Subscription, subscription.pk, expected_version, select_related=("region",), current=_current
    )


def _reactivate(subscription: Subscription) -> list[str]:
    """Turn a subscription back on: reset its failure count, and its waiting deliveries are due."""
    subscription.is_active = True
    subscription.consecutive_failures = 0
    subscription.disabled_reason = ""
    subscription.disabled_at = None
    Delivery.objects.filter(subscription=subscription, state=DeliveryState.PENDING).update(
        next_attempt_at=None
    )
    return ["is_active", "consecutive_failures", "disabled_reason", "disabled_at"]


@transaction.atomic
def subscription_create(
    *,
    actor: User,
    url: str,
    events: Sequence[str],
    region: Region | None = None,
    description: str = "",
    is_active: bool = True,
) -> Subscription:
    """A new subscription of ``region`` (default: the actor's) with a freshly generated secret.

    Raises PermissionDenied when the actor may not manage webhooks, ValidationError (by field:
    ``url``, ``events``, ``description``, ``region``) on bad input.
    """
    require(actor, Action.MANAGE_WEBHOOKS)
    region = region or actor.region
    if region is None:
        raise ValidationError({"region": _("请选择行政区划。")}, code="required")
    _check_region(actor, region)
    subscription = Subscription(
        region=region,
        url=url.strip(),
        description=description.strip(),
        events=_events(events),
        secret=secret_generate(),
        is_active=is_active,
        created_by=actor,
    )
    if not is_active:
        subscription.disabled_reason = _("创建时未启用。")
        subscription.disabled_at = timezone.now()
    return save_as(subscription, actor=actor, reason="create")


@transaction.atomic
def subscription_update(
    *,
    actor: User,
    subscription: Subscription,
    expected_version: int | None = None,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    region: Region | None = None,
    is_active: bool | None = None,
) -> Subscription:
    """Change the given fields (None leaves a field as it is); bumps ``version`` when anything
    changed. Turning it on again resets the failure count, as ``subscription_enable`` does.

    Raises PermissionDenied, ValidationError (by field), ConflictError (stale expected_version).
    """
    require(actor, Action.MANAGE_WEBHOOKS, subscription)
    locked = _lock(subscription, expected_version)
    changed: list[str] = []
    new_values: dict[str, Any] = {}
    if url is not None:
        new_values["url"] = url.strip()
    if description is not None:
        new_values["description"] = description.strip()
    if events is not None:
        new_values["events"] = _events(events)
    for name, value in new_values.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if region is not None and region.pk != locked.region_id:
        _check_region(actor, region)
        locked.region = region
        changed.append("region")
    if is_active is not None and is_active != locked.is_active:
        if is_active:
            changed += _reactivate(locked)
        else:
            locked.is_active = False
            locked.disabled_reason = _("已由 %(user)s 停用。") % {
                "user": actor.display_name or actor.get_username()
            }
            locked.disabled_at = timezone.now()
            changed += ["is_active", "disabled_reason", "disabled_at"]
    if not changed:
        return locked
    locked.version += 1
    return save_as(locked, actor=actor, reason="update", update_fields=[*changed, "version"])


@transaction.atomic
def subscription_delete(
    *, actor: User, subscription: Subscription, expected_version: int | None = None
) -> None:
    """Delete the subscription and its delivery log (events stay for other subscribers).

    Raises PermissionDenied, ConflictError (stale expected_version).
    """
    require(actor, Action.MANAGE_WEBHOOKS, subscription)
    locked = _lock(subscription, expected_version)
    delete_as(locked, actor=actor, reason="delete")


@transaction.atomic
def subscription_rotate_secret(
    *, actor: User, subscription: Subscription, expected_version: int | None = None
) -> Subscription:
    """Replace the signing secret; every request from now on is signed with the new one."""
    require(actor, Action.MANAGE_WEBHOOKS, subscription)
    locked = _lock(subscription, expected_version)
    hours = settings.IPPLAN_WEBHOOK_ROTATION_HOURS
    # Standard Webhooks allows several signatures: for a while every request carries one made with
    # the old secret too, so the receiver can switch to the new secret without losing a message.
    locked.previous_secret = locked.secret if hours > 0 else ""
    locked.previous_secret_expires_at = timezone.now() + dt.timedelta(hours=hours) if hours > 0 else None
    locked.secret = secret_generate()
    locked.version += 1
    return save_as(
        locked,
        actor=actor,
        reason="rotate_secret",
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "version"],
    )


@transaction.atomic
def subscription_enable(
    *, actor: User, subscription: Subscription, expected_version: int | None = None
) -> Subscription:
    """Turn a (possibly automatically) disabled subscription on again and reset its failure count;
    deliveries still waiting for it become due at once."""
    require(actor, Action.MANAGE_WEBHOOKS, subscription)
    locked = _lock(subscription, expected_version)
    if locked.is_active and locked.consecutive_failures == 0:
        return locked
    changed = _reactivate(locked)
    locked.version += 1
    return save_as(locked, actor=actor, reason="enable", update_fields=[*changed, "version"])


@transaction.atomic
def subscription_test_send(*, actor: User, subscription: Subscription) -> Delivery:
    """Queue a ``webhook.test`` event for this subscription only (also when it is disabled, so an
    endpoint can be checked before turning it on again); returns its delivery."""
    require(actor, Action.MANAGE_WEBHOOKS, subscription)
    subscription = Subscription.objects.select_related("region").get(pk=subscription.pk)
    data = {
        "subscription_id": subscription.pk,
        "region_code": subscription.region.code,
        "message": _("这是一条来自 ipplan 的测试消息,由 %(user)s 发送。")
        % {"user": actor.display_name or actor.get_username()},
    }
    event = _record(
        EventKind.WEBHOOK_TEST, region=subscription.region, data=data, subscriptions=[subscription]
    )
    assert event is not None  # no dedup key: always recorded
    return Delivery.objects.select_related("event", "subscription").get(
        event=event, subscription=subscription
    )


@transaction.atomic
def delivery_retry(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a failed delivery again now, with a fresh count of attempts."""
    require(actor, Action.MANAGE_WEBHOOKS, delivery)
    updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=None
    )
    if updated:
        _enqueue_on_commit([delivery.pk])
    return Delivery.objects.get(pk=delivery.pk)


# --- recording events (the outbox) ---------------------------------------------------------------


def region_prefixes(path: str) -> list[str]:
    """The paths of a region and of every region above it: '/44/4419/' → ['/44/', '/44/4419/']."""
    codes = [code for code in path.strip("/").split("/") if code]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def subscribers(kind: str, region: Region) -> list[Subscription]:
    """Active subscriptions to ``kind`` of ``region`` or of a region above it."""
    rows = Subscription.objects.filter(is_active=True, region__path__in=region_prefixes(region.path))
    # ``events`` is a short JSON list; filtered here because SQLite has no JSON "contains".
    return [row for row in rows.order_by("pk") if kind in row.events]


def _enqueue(delivery_ids: list[int]) -> None:
    """Hand committed deliveries to Celery; if this is lost, the beat tick sends them."""
    from .jobs import webhook_send

    for delivery_id in delivery_ids:
        webhook_send.delay(delivery_id)


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    """After the commit, hand the deliveries to Celery. ``robust``: a broker that is down is
    logged and never reaches the caller, whose change is committed; the beat tick sends them."""

    def enqueue_webhook_deliveries() -> None:  # a named function: Django logs its name on failure
        _enqueue(delivery_ids)

    if delivery_ids:
        transaction.on_commit(enqueue_webhook_deliveries, robust=True)


def _record(
    kind: str,
    *,
    region: Region,
    data: dict[str, Any],
    subscriptions: list[Subscription],
    dedup_key: str | None = None,
) -> Event | None:
    if dedup_key is not None and Event.objects.filter(dedup_key=dedup_key).exists():
        return None
    with transaction.atomic():
        event = Event(
            kind=kind,
            region=region,
            dedup_key=dedup_key,
            payload=catalogue.envelope(kind, timestamp=timezone.now(), data=data),
        )
        event.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
                event.save(force_insert=True)
        except IntegrityError:
            if dedup_key is not None and Event.objects.filter(dedup_key=dedup_key).exists():
                return None  # recorded meanwhile by a concurrent caller
            raise
        deliveries = Delivery.objects.bulk_create(
            [Delivery(event=event, subscription=subscription) for subscription in subscriptions]
        )
    _enqueue_on_commit([d.pk for d in deliveries])
    return event


def event_record(
    kind: str, *, region: Region, data: dict[str, Any], dedup_key: str | None = None
) -> Event | None:
    """Record an event of ``region`` and queue it for every active subscription to ``kind`` of that
    region or a region above it. Call it inside the transaction of the change that caused it:
    both commit, or neither does.

    Returns None, and writes nothing, when no one subscribes or when an event with ``dedup_key``
    already exists (so "task 12 overdue since 2026-11-01" is recorded once, and an event that
    nobody wanted yet is recorded the first time someone does).
    """
    if kind not in SUBSCRIBABLE_KINDS:
        raise ValueError(f"unknown webhook event kind {kind!r}")
    if dedup_key == "":
        raise ValueError("dedup_key must not be empty")
    subscriptions = subscribers(kind, region)
    if not subscriptions:
        return None
    return _record(kind, region=region, data=data, subscriptions=subscriptions, dedup_key=dedup_key)


# --- the events the work-plan services emit (one call at each place) -----------------------------


def emit_task_status_changed(*, task: Task, old_status: str, actor: User | None) -> Event | None:
    """``task.status_changed``, after the task is saved with its new status."""
    if task.status == old_status:
        return None
    data = catalogue.status_changed_data(task, old_status=old_status, actor=actor)
    return event_record(EventKind.TASK_STATUS_CHANGED, region=task.plan.region, data=data)


def emit_task_overdue(*, task: Task, today: dt.date) -> Event | None:
    """``task.overdue``, once per task and due date, when the task is open past its due date."""
    if task.due_date is None or not task.is_overdue_on(today):
        return None
    return event_record(
        EventKind.TASK_OVERDUE,
        region=task.plan.region,
        data=catalogue.overdue_data(task, today=today),
        dedup_key=f"task.overdue:t{task.pk}:{task.due_date.isoformat()}",
    )


def emit_report_submitted(*, report: ProgressReport) -> Event | None:
    """``report.submitted``, after the report (and its files) are saved."""
    return event_record(
        EventKind.REPORT_SUBMITTED,
        region=report.task.plan.region,
        data=catalogue.report_submitted_data(report),
    )


def emit_completion_approved(*, request: TaskRequest, old_status: str, actor: User | None) -> Event | None:
    """``completion.approved`` and, since the task is now completed, ``task.status_changed``."""
    emit_task_status_changed(task=request.task, old_status=old_status, actor=actor)
    data = catalogue.completion_approved_data(request, old_status=old_status, actor=actor)
    return event_record(EventKind.COMPLETION_APPROVED, region=request.task.plan.region, data=data)


# --- delivering: claim, send, stamp ----------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … capped at a day."""
    seconds = float(settings.IPPLAN_WEBHOOK_BACKOFF_SECONDS) * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 86400))


def _due(now: dt.datetime) -> Q:
    return Q(state=DeliveryState.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def delivery_claim(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Take a due pending delivery for sending; False if someone else has it or it is not due.

    Committed on its own, before anything goes out. The condition is on the row's own columns
    only, so PostgreSQL re-checks it on the row a concurrent claim just changed.
    """
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS)
    with transaction.atomic():
        return (
            Delivery.objects.filter(_due(now), pk=delivery_id).update(
                state=DeliveryState.SENDING, attempts=F("attempts") + 1, claimed_at=now, next_attempt_at=lease
            )
            == 1
        )


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
        mine = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING)
        if outcome.ok:
            state = DeliveryState.DELIVERED
            if not mine.update(state=state, delivered_at=now, next_attempt_at=None, **common):
                return ""  # re-queued by the sweeper and taken by another sender meanwhile
            Subscription.objects.filter(pk=subscription_id, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
            return str(state)
        failed = delivery.attempts >= settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS
        state = DeliveryState.FAILED if failed else DeliveryState.PENDING
        next_attempt = None if failed else now + backoff(delivery.attempts)
        if not mine.update(state=state, next_attempt_at=next_attempt, **common):
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
    from departments.choices import Role
    from departments.models import User
    from tasks.choices import NotificationKind
    from tasks.services.notifications import notification_create

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
    now = now or timezone.now()
    stuck = Delivery.objects.filter(state=DeliveryState.SENDING, next_attempt_at__lt=now)
    given_up = stuck.filter(attempts__gte=settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS).update(
        state=DeliveryState.FAILED, next_attempt_at=None, last_error=_("发送中断且已达最大尝试次数。")
    )
    count = stuck.update(state=DeliveryState.PENDING, next_attempt_at=None)
    if count or given_up:
        logger.warning("re-queued %d webhook deliveries left in 'sending' (%d given up)", count, given_up)
    return count


def deliveries_ready(
    *, now: dt.datetime | None = None, limit: int = 200, exclude: set[int] | None = None
) -> list[int]:
    """Ids of due pending deliveries whose subscription is on (test messages always), oldest first."""
    now = now or timezone.now()
    rows = Delivery.objects.filter(_due(now)).filter(
        Q(subscription__is_active=True) | Q(event__kind=EventKind.WEBHOOK_TEST)
    )
    if exclude:
        rows = rows.exclude(pk__in=exclude)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])


def deliveries_deliver_pending(*, limit: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweeper and sender: re-queue stuck deliveries, then try each due one once.

    Idempotent and safe to run concurrently (each row is claimed). A delivery that fails is not
    retried in the same run, even with a zero backoff.
    """
    counts: Counter[str] = Counter()
    counts["requeued"] = deliveries_requeue_stuck(now=now)
    tried: set[int] = set()
    while limit is None or len(tried) < limit:
        size = 200 if limit is None else min(200, limit - len(tried))
        batch = deliveries_ready(now=now, limit=size, exclude=tried)
        if not batch:
            break
        for delivery_id in batch:
            tried.add(delivery_id)
            state = delivery_send(delivery_id=delivery_id, now=now)
            counts[state or "skipped"] += 1
    return dict(counts)


__all__ = [
    "backoff",
    "deliveries_deliver_pending",
    "deliveries_ready",
    "deliveries_requeue_stuck",
    "delivery_claim",
    "delivery_retry",
    "delivery_send",
    "emit_completion_approved",
    "emit_report_submitted",
    "emit_task_overdue",
    "emit_task_status_changed",
    "event_record",
    "region_prefixes",
    "secret_generate",
    "subscribers",
    "subscription_create",
    "subscription_delete",
    "subscription_enable",
    "subscription_rotate_secret",
    "subscription_test_send",
    "subscription_update",
]


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
