"""The security audit log for a SIEM: JSON lines and RFC 5424 syslog lines; and chain verification."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import get_current_timezone, is_naive, make_aware

from .chain import ANCHOR_ACTION, Verification, verify
from .choices import EventResult
from .models import SecurityChainHead, SecurityEvent

#: Private enterprise number used in the structured data ID (example range of RFC 5612).
SD_ID = "ipplan@32473"
#: facility 13 (log audit); severity: notice for successes, warning for failures and refusals.
_FACILITY = 13


def record(event: SecurityEvent) -> dict[str, Any]:
    """One event as a JSON object (every field, the MAC included, so a SIEM can keep the chain)."""
    return {
        "seq": event.seq,
        "time": event.time.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor_name,
        "role": event.role,
        "region_path": event.region_path,
        "source_ip": event.source_ip,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "result": event.result,
        "detail": event.detail,
        "algorithm": event.algorithm,
        "prev_mac": event.prev_mac,
        "mac": event.mac,
    }


def jsonl_line(event: SecurityEvent) -> str:
    return json.dumps(record(event), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sd_value(value: Any) -> str:
    # RFC 5424 §6.3.3: '"', '\\' and ']' are escaped inside a PARAM-VALUE.
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]").replace("\n", " ")


def syslog_line(event: SecurityEvent, hostname: str | None = None) -> str:
    """RFC 5424: ``<PRI>1 TIMESTAMP HOST ipplan - ACTION [ipplan@32473 …] message``."""
    severity = 5 if event.result == EventResult.SUCCESS else 4
    params = {
        "seq": event.seq,
        "actor": event.actor_name,
        "actor_id": event.actor_id,
        "role": event.role,
        "src": event.source_ip,
        "object": f"{event.object_type}#{event.object_id}" if event.object_type else "",
        "result": event.result,
        "mac": event.mac,
    }
    sd = " ".join(f'{key}="{_sd_value(value)}"' for key, value in params.items())
    message = json.dumps(event.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    host = (hostname or socket.gethostname() or "-").replace(" ", "_")[:255]
    timestamp = event.time.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    msgid = event.action.replace(" ", "_")[:32] or "-"
    return f"<{_FACILITY * 8 + severity}>1 {timestamp} {host} ipplan - {msgid} [{SD_ID} {sd}] {message}"


def parse_moment(text: str) -> dt.datetime | None:
    """A date (its start, local time) or an ISO datetime; None when it is neither."""
    text = (text or "").strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            return None
        moment = dt.datetime.combine(day, dt.time.min)
    return make_aware(moment, get_current_timezone()) if is_naive(moment) else moment


def lines(events: QuerySet[SecurityEvent], fmt: str) -> Iterator[str]:
    render = jsonl_line if fmt == "jsonl" else syslog_line
    for event in events.order_by("seq").iterator(chunk_size=2000):
        yield render(event)


def verify_chain(using: str = "default") -> Verification:
    """Verify the whole stored chain against the chain head (see ``chain.verify``)."""
    events = SecurityEvent.objects.using(using).order_by("seq").iterator(chunk_size=2000)
    anchors = list(SecurityEvent.objects.using(using).filter(action=ANCHOR_ACTION).order_by("seq"))
    head = SecurityChainHead.objects.using(using).filter(pk=1).first()
    return verify(events, head=head, anchors=anchors)
