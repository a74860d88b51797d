"""Sessions: idle and absolute timeouts, one session per account, with both session backends."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from departments.models import SessionEndReason, UserSession
from departments.services import user_set_password
from departments.sessions import SEEN, STARTED
from tests.conftest import PASSWORD, World

BACKENDS = ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cache"]


def login(client: Client, username: str = "staff") -> None:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def shift(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = session[key] - seconds
    session.save()


@pytest.fixture(params=BACKENDS, ids=["db", "cache"])
def backend(request: pytest.FixtureRequest) -> object:
    with override_settings(SESSION_ENGINE=request.param):
        yield request.param


def test_idle_session_ends_and_says_why(backend: str, world: World) -> None:
    client = Client()
    login(client)
    inbox = reverse("tasks:inbox")
    assert client.get(inbox).status_code == 200
    shift(client, SEEN, 29 * 60)  # 29 minutes: still fine, and the clock restarts
    assert client.get(inbox).status_code == 200
    shift(client, SEEN, 31 * 60)
    response = client.get(inbox)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    page = client.get(response["Location"])
    assert "长时间未操作" in page.content.decode()
    assert client.get(inbox).status_code == 302
    assert UserSession.objects.get(user=world.users["staff"]).end_reason == SessionEndReason.IDLE


@override_settings(IPPLAN_SESSION_IDLE_MINUTES=5)
def test_idle_limit_is_a_setting(world: World) -> None:
    client = Client()
    login(client)
    shift(client, SEEN, 6 * 60)
    assert client.get(reverse("tasks:inbox")).status_code == 302


def test_absolute_timeout_ends_an_active_session(backend: str, world: World) -> None:
    client = Client()
    login(client)
    shift(client, STARTED, 12 * 3600 + 60)  # active all along (seen now), but started 12 h ago
    response = client.get(reverse("tasks:inbox"))
    assert response.status_code == 302
    assert "最长时间" in client.get(response["Location"]).content.decode()


def test_api_session_call_after_idle_is_unauthenticated(world: World) -> None:
    client = Client()
    login(client)
    assert client.get("/api/v1/tasks/").status_code == 200
    shift(client, SEEN, 31 * 60)
    assert client.get("/api/v1/tasks/").status_code == 401


def test_a_new_sign_in_ends_the_older_session_and_it_is_told_why(backend: str, world: World) -> None:
    first, second = Client(), Client()
    login(first)
    assert first.get(reverse("tasks:inbox")).status_code == 200
    login(second)
    assert second.get(reverse("tasks:inbox")).status_code == 200
    response = first.get(reverse("tasks:inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    page = first.get(response["Location"])
    assert "已在其他地方登录" in page.content.decode()
    # told once
    assert "已在其他地方登录" not in first.get(reverse("login")).content.decode()
    assert second.get(reverse("tasks:inbox")).status_code == 200
    rows = UserSession.objects.filter(user=world.users["staff"]).order_by("created_at")
    assert [r.end_reason for r in rows] == [SessionEndReason.CONCURRENT, ""]


@override_settings(IPPLAN_MAX_SESSIONS_PER_USER=2)
def test_concurrent_session_limit_is_a_setting(world: World) -> None:
    clients = [Client(), Client(), Client()]
    for client in clients:
        login(client)
    assert [c.get(reverse("tasks:inbox")).status_code for c in clients] == [302, 200, 200]


def test_other_users_sessions_are_not_touched(world: World) -> None:
    staff, head = Client(), Client()
    login(staff, "staff")
    login(head, "head")
    assert staff.get(reverse("tasks:inbox")).status_code == 200


def test_logout_and_a_password_reset_end_sessions(world: World) -> None:
    client = Client()
    login(client)
    client.post(reverse("logout"))
    assert UserSession.objects.get().end_reason == SessionEndReason.LOGOUT
    login(client)
    user_set_password(actor=world.users["security"], user=world.users["staff"], password="Admin-reset-2026")
    response = client.get(reverse("tasks:inbox"))
    assert response.status_code == 302
    assert "管理员已结束" in client.get(reverse("login")).content.decode()


def test_session_times_are_kept_server_side(world: World) -> None:
    client = Client()
    before = time.time()
    login(client)
    session = client.session
    assert before <= session[STARTED] <= time.time()
    # nothing about the timeouts travels in a cookie the browser could edit
    assert set(client.cookies) <= {"sessionid", "csrftoken", "messages"}


def test_old_session_rows_are_pruned_at_sign_in(world: World) -> None:
    import datetime as dt

    from django.utils import timezone

    client = Client()
    login(client)
    UserSession.objects.update(created_at=timezone.now() - dt.timedelta(days=31))
    login(Client(), "head")  # another user's sign-in leaves staff's rows alone
    assert UserSession.objects.filter(user=world.users["staff"]).count() == 1
    login(Client())
    assert UserSession.objects.filter(user=world.users["staff"]).count() == 1  # the new one only


def test_the_one_session_rule_holds_after_a_password_change(world: World) -> None:
    first = Client()
    login(first)
    new = "Changed-pass-2027"
    first.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert first.get(reverse("tasks:inbox")).status_code == 200  # still signed in, under a new key
    second = Client()
    assert second.post(reverse("login"), {"username": "staff", "password": new}).status_code == 302
    assert first.get(reverse("tasks:inbox")).status_code == 302
