"""The sign-in and account services write their events into the security audit log: password
changes (own and by a manager), second-factor changes, failed second factors, sessions ended by
the policy, deactivation. One event per change, with who, whom and the result."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from departments.services import (
    recovery_codes_regenerate,
    second_factor_disable,
    second_factor_reset,
    user_set_password,
    user_update,
)
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.export import verify_chain
from ipplan.security.models import SecurityEvent

from ..conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def events(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(action=action).order_by("seq"))


def test_password_changes_are_logged_once_with_who_changed_whose(world: World, client: Client) -> None:
    staff, security = world.users["staff"], world.users["security"]
    client.force_login(staff)
    new = "a-new-long-Passphrase-7"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user_set_password(actor=security, user=staff, password="Another-long-pass-8")
    own, reset = events(EventAction.PASSWORD_CHANGE)
    assert (own.actor_name, own.object_id, own.detail["by_admin"]) == ("staff", str(staff.pk), False)
    assert (reset.actor_name, reset.object_id, reset.detail["by_admin"]) == ("security", str(staff.pk), True)


def test_second_factor_changes_and_failures_are_logged(world: World) -> None:
    staff, security = world.users["staff"], world.users["security"]
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    recovery_codes_regenerate(actor=staff)
    second_factor_reset(actor=security, user=staff)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    second_factor_disable(actor=staff, password=PASSWORD)
    changes = [e.detail["change"] for e in events(EventAction.TWO_FACTOR_CHANGE)]
    assert changes == ["recovery_codes", "reset", "disabled"]
    assert events(EventAction.TWO_FACTOR_CHANGE)[1].actor_name == "security"

    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    client.post(reverse("login_verify"), {"token": "99999999"})
    failed = [e for e in events(EventAction.LOGIN_FAILED) if e.detail.get("step") == "second_factor"]
    assert len(failed) == 1 and failed[0].actor_name == "staff" and failed[0].result == EventResult.FAILURE


def test_a_session_ended_by_a_newer_sign_in_is_logged(world: World) -> None:
    first, second = Client(), Client()
    for client in (first, second):
        assert client.post(reverse("login"), {"username": "staff", "password": PASSWORD}).status_code == 302
    (ended,) = events(EventAction.SESSION_EXPIRED)
    assert ended.actor_name == "staff" and ended.detail["reason"] == "concurrent"


def test_deactivation_is_logged_and_the_chain_still_verifies(world: World) -> None:
    user_update(actor=world.users["security"], user=world.users["leader"], is_active=False)
    (deactivated,) = events(EventAction.USER_DEACTIVATE)
    assert deactivated.object_id == str(world.users["leader"].pk) and deactivated.actor_name == "security"
    assert verify_chain().ok
