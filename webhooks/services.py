"""Every write of the webhooks app: subscriptions and recording the event outbox.

* ``event_record`` writes the event and one ``Delivery`` per matching subscription in the
  caller's transaction, so a rolled-back change sends nothing; after the commit each delivery is
  handed to Celery (``webhook_send``), and the beat tick (``webhooks_deliver``) sends whatever
  that hand-off missed. Sending is ``webhooks.delivery`` (the kernel's outbox engine).
* The work-plan's events reach ``event_record`` through ``webhooks.subscribers``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Region, User
from ipplan.audit import delete_as, save_as
from ipplan.permissions import Action, can, require
from ipplan.values import field_values
from ipplan.versioning import lock_and_check

from . import events as catalogue
from .choices import DeliveryState
from .delivery import OUTBOX
from .events import SUBSCRIBABLE_KINDS, EventKind
from .jobs import webhook_send
from .models import Delivery, Event, Subscription

logger = logging.getLogger("ipplan.webhooks")

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
    return field_values(subscription, ["url", "description", "events", "is_active", "region", "version"])


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
    updated = OUTBOX.retry(Delivery.objects.filter(pk=delivery.pk))
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


__all__ = [
    "delivery_retry",
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
