"""``audit_export`` for a SIEM (JSON lines, RFC 5424 syslog) and its options."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ipplan.security.chain import compute_mac
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.models import SecurityEvent
from ipplan.security.services import security_event

pytestmark = pytest.mark.django_db

SYSLOG = re.compile(
    r"^<(?P<pri>\d+)>1 (?P<ts>\S+Z) (?P<host>\S+) ipplan - (?P<msgid>\S+) \[ipplan@32473 (?P<sd>[^\]]*(?:\\\][^\]]*)*)\] (?P<msg>.*)$"
)


def _export(*args: str) -> list[str]:
    out = StringIO()
    call_command("audit_export", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def logged() -> None:
    last_week = timezone.now() - dt.timedelta(days=7)
    with mock.patch("django.utils.timezone.now", return_value=last_week):
        security_event(action=EventAction.LOGIN, actor_name="old", source_ip="10.0.0.1")
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.FAILURE,
        actor_name='mal"lory]',
        source_ip="2001:db8::1",
        detail={"reason": "密码错误"},
    )


def test_jsonl_holds_every_field_and_the_mac_recomputes(logged: None) -> None:
    records = [json.loads(line) for line in _export("--format", "jsonl")]
    assert [r["seq"] for r in records] == [1, 2]
    last = records[1]
    assert (last["actor"], last["result"], last["source_ip"], last["detail"]) == (
        'mal"lory]',
        "failure",
        "2001:db8::1",
        {"reason": "密码错误"},
    )
    stored = SecurityEvent.objects.get(seq=2)
    assert last["mac"] == stored.mac == compute_mac({**_fields(stored)})


def _fields(event: SecurityEvent) -> dict[str, object]:
    from ipplan.security.chain import fields_of

    return fields_of(event)


def test_since_until_and_after_seq(logged: None) -> None:
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert [json.loads(x)["actor"] for x in _export("--since", yesterday)] == ['mal"lory]']
    assert [json.loads(x)["actor"] for x in _export("--until", yesterday)] == ["old"]
    # (the two exports above are logged too, as events 3 and 4)
    assert [json.loads(x)["seq"] for x in _export("--after-seq", "1")] == [2, 3, 4]


def test_syslog_lines_follow_rfc_5424(logged: None) -> None:
    lines = _export("--format", "syslog")
    assert len(lines) == 2
    first, second = (SYSLOG.match(line) for line in lines)
    assert first is not None and second is not None, lines
    assert first["pri"] == str(13 * 8 + 5) and second["pri"] == str(13 * 8 + 4)
    assert second["msgid"] == "auth.login_failed"
    assert 'actor="mal\\"lory\\]"' in second["sd"] and 'src="2001:db8::1"' in second["sd"]
    assert json.loads(second["msg"]) == {"reason": "密码错误"}


def test_export_to_a_file_is_logged(logged: None, tmp_path: Path) -> None:
    target = tmp_path / "audit.jsonl"
    call_command("audit_export", "--out", str(target), stderr=StringIO())
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2
    exported = SecurityEvent.objects.get(action=EventAction.LOG_EXPORT)
    assert exported.detail["count"] == 2 and exported.actor_name == "manage.py audit_export"


def test_a_bad_since_is_refused_clearly(logged: None) -> None:
    with pytest.raises(CommandError, match="--since"):
        call_command("audit_export", "--since", "last tuesday", stdout=StringIO())
    assert not SecurityEvent.objects.filter(action=EventAction.LOG_EXPORT).exists()
