"""Hole 6: password-reset requests are throttled per address and per account
(IPPLAN_PASSWORD_RESET_PER_HOUR, default 5): 21 requests send at most 5 mails, and every request
gets the same neutral answer, whether the address is known, unknown or over its limit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from departments.services import user_update

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(world: World) -> None:
    cache.clear()
    for name in ("staff", "head"):  # through the service: the address is stored encrypted, with its index
        user_update(actor=world.users["security"], user=world.users[name], email=f"{name}@example.gov.cn")
        world.users[name].refresh_from_db()


def _ask(client: Client, email: str) -> Any:
    return client.post("/accounts/password_reset/", {"email": email})


def test_21_requests_send_at_most_5_mails_with_the_same_answer(world: World) -> None:
    email = world.users["staff"].email
    assert email and Client().get("/accounts/password_reset/").status_code == 200
    answers = set()
    for _ in range(21):
        response = _ask(Client(), email)
        answers.add((response.status_code, response.get("Location")))
    assert len(mail.outbox) == 5
    assert answers == {(302, "/accounts/password_reset/done/")}
    unknown = _ask(Client(), "nobody@example.gov.cn")
    assert (unknown.status_code, unknown.get("Location")) == (302, "/accounts/password_reset/done/")
    assert len(mail.outbox) == 5


def test_the_account_is_limited_whatever_the_spelling_of_its_address(world: World, settings: Any) -> None:
    settings.IPPLAN_PASSWORD_RESET_PER_HOUR = 3
    email = world.users["head"].email
    spellings = [email, email.upper(), email.capitalize(), " " + email, email.swapcase(), email]
    for spelling in spellings:
        _ask(Client(), spelling)
    assert len(mail.outbox) == 3 and {m.to[0].lower() for m in mail.outbox} == {email.lower()}
    # another account is not affected
    _ask(Client(), world.users["staff"].email)
    assert len(mail.outbox) == 4


def test_the_limit_counts_in_a_window(world: World, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counters expire with their window (an hour; one second here, on any cache backend)."""
    from departments.accounts import password_reset

    assert password_reset.WINDOW == 3600
    monkeypatch.setattr(password_reset, "WINDOW", 1)
    settings.IPPLAN_PASSWORD_RESET_PER_HOUR = 1
    email = world.users["staff"].email
    _ask(Client(), email)
    _ask(Client(), email)
    assert len(mail.outbox) == 1
    time.sleep(1.5)
    _ask(Client(), email)
    assert len(mail.outbox) == 2
