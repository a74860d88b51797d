"""Writes of the security audit log: ``security_event`` (every caller uses it) and pruning."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..people import Person
from .chain import ANCHOR_ACTION, GENESIS, chain_algorithm, compute_mac
from .choices import EventAction, EventResult
from .models import SecurityChainHead, SecurityEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger("ipplan.security")

#: Shortest retention the pruning command accepts (等保 2.0: audit records kept at least 6 months).
MIN_KEEP_DAYS = 180
_PENDING = "_ipplan_security_pending"


def client_address(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind ``IPPLAN_PROXY_COUNT`` trusted proxies the
    address the nearest of them saw in X-Forwarded-For (the same rule as the API and axes)."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or None


def _clean(value: Any) -> Any:
    """Text without NUL characters (PostgreSQL refuses them), recursively."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(_clean(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean(str(value))


def _ip(value: str | None) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address((value or "").strip())) if value else None
    except ValueError:
        return None


def _in_caller_transaction(using: str) -> bool:
    """Is the caller inside a transaction of its own (a test case's wrapper does not count)?"""
    connection = connections[using]
    return connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def _head(using: str) -> SecurityChainHead:
    head = SecurityChainHead.objects.using(using).select_for_update().filter(pk=1).first()
    if head is None:
        # The first event ever (or after a test flush): create the head once, whoever races.
        SecurityChainHead.objects.using(using).bulk_create([SecurityChainHead(pk=1)], ignore_conflicts=True)
        head = SecurityChainHead.objects.using(using).select_for_update().get(pk=1)
    return head


def _append(fields: dict[str, Any], using: str) -> SecurityEvent:
    """Chain ``fields`` to the head and insert them; the caller holds a transaction."""
    head = _head(using)
    fields = {**fields, "seq": head.seq + 1, "algorithm": chain_algorithm(), "prev_mac": head.mac or GENESIS}
    fields["mac"] = compute_mac(fields)
    event = SecurityEvent(**fields)
    event.save(using=using, force_insert=True)
    SecurityChainHead.objects.using(using).filter(pk=1).update(seq=event.seq, mac=event.mac)
    return event


def _write(fields: dict[str, Any], using: str) -> SecurityEvent:
    with transaction.atomic(using=using):
        return _append(fields, using)


def flush_pending(using: str = DEFAULT_DB_ALIAS) -> int:
    """Write the refusals and failures recorded inside a transaction that has since ended.

    Called when a request, job or command ends and before each new event; does nothing while the
    caller's transaction is still open.
    """
    connection = connections[using]
    pending: list[dict[str, Any]] = getattr(connection, _PENDING, None) or []
    if not pending or _in_caller_transaction(using):
        return 0
    setattr(connection, _PENDING, [])
    for fields in pending:
        _write(fields, using)
    return len(pending)


def security_event(
    *,
    action: str,
    result: str = EventResult.SUCCESS,
    actor: Person | AnonymousUser | None = None,
    actor_name: str = "",
    request: HttpRequest | None = None,
    source_ip: str | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int | None = "",
    object_label: str = "",
    detail: dict[str, Any] | None = None,
) -> SecurityEvent | None:
    """Record one security event. Every part of ipplan logs through this function.

    ``actor`` defaults to ``request.user`` and ``source_ip`` to the request's client address.
    Outside a transaction the event is written at once, in its own short transaction. Inside the
    caller's transaction a success is written there too (it is logged exactly when the change
    commits), while a failure or refusal is kept aside and written as soon as the transaction has
    ended, committed or rolled back, so that a refused action is logged even though its
    transaction is undone. Returns the event, or None when it was kept aside.
    """
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if source_ip is None and request is not None:
        source_ip = client_address(request)
    person = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_label = object_label or str(obj)
    region = getattr(person, "region", None) if person is not None else None
    fields: dict[str, Any] = {
        "time": timezone.now(),
        "actor_id": person.pk if person is not None else None,
        "actor_name": _clean(actor_name or (person.get_username() if person is not None else ""))[:150],
        "role": _clean(getattr(person, "role", "") or "")[:16],
        "region_path": region.path if region is not None else "",
        "source_ip": _ip(source_ip),
        "action": _clean(str(action))[:64],
        "object_type": _clean(object_type)[:64],
        "object_id": _clean("" if object_id is None else str(object_id))[:64],
        "object_label": _clean(object_label)[:255],
        "result": str(result),
        "detail": _clean(detail or {}),
    }
    using = router.db_for_write(SecurityEvent)
    flush_pending(using)
    if not _in_caller_transaction(using):
        return _write(fields, using)
    if result == EventResult.SUCCESS:
        return _append(fields, using)
    connection = connections[using]
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = []
        setattr(connection, _PENDING, pending)
    pending.append(fields)
    transaction.on_commit(lambda: flush_pending(using), using=using)
    return None


def keep_days() -> int:
    return int(getattr(settings, "IPPLAN_AUDIT_KEEP_DAYS", MIN_KEEP_DAYS))


@transaction.atomic
def security_events_prune(
    *, days: int, actor_name: str = "audit_prune", now: dt.datetime | None = None
) -> int:
    """Remove the records older than ``days`` (at least ``MIN_KEEP_DAYS``); returns how many.

    An anchor record (``audit.pruned``) is appended first; it names the first record kept and the
    MAC that record chains to, so that ``audit_verify`` still verifies the shortened chain. On
    PostgreSQL the append-only trigger lets only this transaction delete (``ipplan.audit_prune``).
    """
    if days < MIN_KEEP_DAYS:
        raise ValueError(f"security events are kept at least {MIN_KEEP_DAYS} days (asked: {days})")
    using = router.db_for_write(SecurityEvent)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    head = _head(using)
    first_kept = SecurityEvent.objects.using(using).filter(time__gte=cutoff).order_by("seq").first()
    old = SecurityEvent.objects.using(using).filter(seq__lt=first_kept.seq if first_kept else head.seq + 1)
    count = old.count()
    if count == 0:
        return 0
    if first_kept is not None:
        keep_seq, keep_prev = first_kept.seq, first_kept.prev_mac
    else:  # everything is old: the anchor itself is the first record kept
        keep_seq, keep_prev = head.seq + 1, head.mac
    _append(
        {
            "time": timezone.now(),
            "actor_id": None,
            "actor_name": actor_name,
            "role": "",
            "region_path": "",
            "source_ip": None,
            "action": ANCHOR_ACTION,
            "object_type": "ipplan.securityevent",
            "object_id": "",
            "object_label": "",
            "result": EventResult.SUCCESS,
            "detail": {
                "first_kept_seq": keep_seq,
                "first_kept_prev_mac": keep_prev,
                "deleted": count,
                "cutoff": cutoff.isoformat(),
                "keep_days": days,
            },
        },
        using,
    )
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ipplan.audit_prune = 'on'")
    deleted = old._raw_delete(using)  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ipplan.audit_prune = 'off'")
    logger.info("security audit log: %d records older than %s removed", deleted, cutoff.isoformat())
    return int(deleted)


__all__ = ["EventAction", "EventResult", "client_address", "flush_pending", "security_event"]
