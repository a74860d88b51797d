"""The audit administrator's page: only they read and export the log; search; bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ipplan.security.choices import EventAction, EventResult
from ipplan.security.models import SecurityEvent
from ipplan.security.services import security_event

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(world: World) -> World:
    security_event(action=EventAction.LOGIN, actor=world.users["staff"], source_ip="10.0.0.1")
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.FAILURE,
        actor_name="mallory",
        source_ip="192.0.2.9",
    )
    security_event(action=EventAction.EXPORT, actor=world.users["bureau"], object_type="ledger")
    return world


@pytest.mark.parametrize(
    ("username", "status"),
    [("auditor", 200), ("admin", 403), ("security", 403), ("bureau", 403), ("staff", 403), ("leader", 403)],
)
def test_only_the_audit_administrator_reads_and_exports_the_log(
    client: Client, logged: World, username: str, status: int
) -> None:
    client.force_login(logged.users[username])
    assert client.get(reverse("security:events")).status_code == status
    assert client.get(reverse("security:export")).status_code == status


def test_anonymous_is_sent_to_login(client: Client, logged: World) -> None:
    response = client.get(reverse("security:events"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_search_by_actor_action_result_and_address(client: Client, logged: World) -> None:
    client.force_login(logged.users["auditor"])
    page = client.get(reverse("security:events"), {"result": "failure"})
    rows = list(page.context["page"])
    assert [e.actor_name for e in rows] == ["mallory"]
    assert "mallory" in page.content.decode()
    rows = list(client.get(reverse("security:events"), {"actor": "staff"}).context["page"])
    assert [e.action for e in rows] == [EventAction.LOGIN]
    rows = list(client.get(reverse("security:events"), {"action": EventAction.EXPORT}).context["page"])
    assert [e.object_type for e in rows] == ["ledger"]
    rows = list(client.get(reverse("security:events"), {"source_ip": "192.0.2"}).context["page"])
    assert [e.actor_name for e in rows] == ["mallory"]
    # the search's days are local days (Asia/Shanghai), as the auditor reads them
    today = timezone.localtime(rows[0].time).date().isoformat()
    rows = list(client.get(reverse("security:events"), {"start": today, "end": today}).context["page"])
    assert len(rows) >= 3
    assert list(client.get(reverse("security:events"), {"end": "2000-01-01"}).context["page"]) == []


def test_bad_search_input_is_a_clear_400(client: Client, logged: World) -> None:
    client.force_login(logged.users["auditor"])
    before = SecurityEvent.objects.count()
    for bad in ({"start": "2026-13-45"}, {"result": "nonsense"}, {"action": "x\x00y"}):
        response = client.get(reverse("security:events"), bad)
        assert response.status_code == 400
        assert 'id="search-errors"' in response.content.decode()
    assert client.get(reverse("security:export"), {"start": "nope"}).status_code == 400
    assert SecurityEvent.objects.count() == before


def test_export_is_jsonl_or_syslog_and_is_itself_logged(client: Client, logged: World) -> None:
    client.force_login(logged.users["auditor"])
    response = client.get(reverse("security:export"), {"result": "failure"})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    records = [json.loads(line) for line in lines]
    assert [r["actor"] for r in records] == ["mallory"] and records[0]["mac"]
    response = client.get(reverse("security:export"), {"format": "syslog", "actor": "staff"})
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert text.startswith("<109>1 ") and " ipplan - auth.login [ipplan@32473 " in text
    exports = SecurityEvent.objects.filter(action=EventAction.LOG_EXPORT, actor_name="auditor")
    assert exports.count() == 2


def test_the_audit_administrator_sees_the_log_link_and_others_do_not(client: Client, logged: World) -> None:
    client.force_login(logged.users["auditor"])
    assert reverse("security:events") in client.get(reverse("home")).content.decode()
    client.force_login(logged.users["admin"])
    assert reverse("security:events") not in client.get(reverse("home")).content.decode()
