"""The HMAC chain: which key and algorithm, what is signed, and how a chain is verified."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.encoding import force_bytes

from .choices import EventAction

#: ``prev_mac`` of the very first record.
GENESIS = ""
ALGORITHMS = {"hmac-sm3": "sm3", "hmac-sha256": "sha256"}

#: The fields a MAC covers, in this order (``prev_mac`` chains the record to the one before).
SIGNED_FIELDS = (
    "seq",
    "time",
    "actor_id",
    "actor_name",
    "role",
    "region_path",
    "source_ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "result",
    "detail",
    "algorithm",
    "prev_mac",
)


def chain_key() -> bytes:
    """``IPPLAN_AUDIT_HMAC_KEY``, or a key derived from SECRET_KEY (never SECRET_KEY itself)."""
    configured = getattr(settings, "IPPLAN_AUDIT_HMAC_KEY", "")
    if configured:
        return force_bytes(configured)
    return hmac.new(force_bytes(settings.SECRET_KEY), b"ipplan.security.audit-chain", "sha256").digest()


def chain_algorithm() -> str:
    """The algorithm new records use: ``IPPLAN_AUDIT_HMAC_ALGORITHM``, else SM3 when OpenSSL
    offers it through hashlib (商用密码), else SHA-256."""
    configured = getattr(settings, "IPPLAN_AUDIT_HMAC_ALGORITHM", "") or ""
    if configured:
        if configured not in ALGORITHMS:
            raise ValueError(f"IPPLAN_AUDIT_HMAC_ALGORITHM must be one of {', '.join(ALGORITHMS)}")
        return configured
    return "hmac-sm3" if "sm3" in hashlib.algorithms_available else "hmac-sha256"


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes a MAC covers: the signed fields as compact JSON with sorted keys."""
    values = {name: fields[name] for name in SIGNED_FIELDS}
    values["time"] = _time(values["time"])
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_mac(fields: dict[str, Any], key: bytes | None = None) -> str:
    digest = ALGORITHMS[fields["algorithm"]]
    return hmac.new(key or chain_key(), canonical(fields), digest).hexdigest()


def fields_of(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in SIGNED_FIELDS}


@dataclass
class Verification:
    """What ``verify`` found: ``broken_seq`` is the first record that does not verify."""

    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def _anchored(first: Any, anchors: Iterable[Any]) -> bool:
    """Was everything before ``first`` removed by the pruning command (an anchor says so)?"""
    for anchor in anchors:
        detail = anchor.detail or {}
        if detail.get("first_kept_seq") == first.seq and detail.get("first_kept_prev_mac") == first.prev_mac:
            return True
    return False


def verify(events: Iterable[Any], *, head: Any | None, anchors: Iterable[Any]) -> Verification:
    """Walk ``events`` in sequence order and report the first record that breaks the chain.

    A record breaks it when its MAC does not match its fields, when it does not follow the previous
    record (a gap or a foreign ``prev_mac``), or, for the first record, when it neither starts the
    chain nor is named by a pruning anchor. The end is compared with the chain head.
    """
    key = chain_key()
    result = Verification()
    previous = None
    for event in events:
        result.checked += 1
        if previous is None:
            result.first_seq = event.seq
            starts = event.seq == 1 and event.prev_mac == GENESIS
            if not starts and not _anchored(event, anchors):
                result.broken_seq, result.reason = (
                    event.seq,
                    "the first record is neither the start nor anchored",
                )
                return result
        else:
            if event.seq != previous.seq + 1:
                result.broken_seq = event.seq
                result.reason = f"records {previous.seq + 1}..{event.seq - 1} are missing"
                return result
            if event.prev_mac != previous.mac:
                result.broken_seq, result.reason = event.seq, "it does not chain to the previous record"
                return result
        if (
            event.algorithm not in ALGORITHMS
            or ALGORITHMS[event.algorithm] not in hashlib.algorithms_available
        ):
            result.broken_seq, result.reason = event.seq, f"unknown algorithm {event.algorithm!r}"
            return result
        if not hmac.compare_digest(event.mac, compute_mac(fields_of(event), key)):
            result.broken_seq, result.reason = event.seq, "its MAC does not match its content"
            return result
        previous = event
    result.last_seq = previous.seq if previous is not None else None
    ends_early = previous is None or head is None or head.seq != previous.seq or head.mac != previous.mac
    if head is not None and head.seq and ends_early:
        result.broken_seq = (previous.seq + 1) if previous is not None else head.seq
        result.reason = f"the chain ends before its head (#{head.seq}): records were removed"
    return result


#: The action of the records the pruning command leaves behind.
ANCHOR_ACTION = EventAction.LOG_PRUNED.value
