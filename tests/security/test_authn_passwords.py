"""Passwords: complexity, the username rule, history, expiry, first-login change, unique accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from departments.models import PasswordHistory, User
from departments.services import user_create, user_set_password
from ipplan.roles import Role
from ipplan.services import api_token_create
from tests.conftest import PASSWORD, World


def codes(exc: ValidationError) -> set[str]:
    return {error.code for error in exc.error_list if error.code}


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("onlylowercaseletters", False),  # one class
        ("lowercase123456", False),  # two classes
        ("lowercase-123456", True),  # lower, digit, symbol
        ("Lowercase123456", True),  # upper, lower, digit
        ("UPPER-CASE-ONLY!", False),  # upper, symbol
        ("Aa1!Aa1!Aa", True),  # four classes, ten characters
    ],
)
def test_password_needs_three_of_four_character_classes(db: None, password: str, ok: bool) -> None:
    user = User(username="someone")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert "password_too_simple" in codes(caught.value)


def test_password_length_ten_stays(db: None) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("Ab1-Ab1-", User(username="someone"))
    assert "password_too_short" in codes(caught.value)


def test_password_may_not_contain_the_username(db: None) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("My-ZhangWei-2026", User(username="zhangwei"))
    assert "password_contains_username" in codes(caught.value)
    validate_password("My-Other-Name-2026", User(username="zhangwei"))


def test_the_last_five_passwords_cannot_come_back(world: World) -> None:
    staff = world.users["staff"]
    used = [PASSWORD] + [f"Rotation-{i}-passphrase" for i in range(1, 6)]
    for password in used[1:]:
        staff = user_set_password(actor=staff, user=staff, password=password)
    # the last five (used[1:]) are refused, the current one included
    for password in used[1:]:
        with pytest.raises(ValidationError) as caught:
            user_set_password(actor=staff, user=staff, password=password)
        assert "password_reused" in codes(caught.value)
    assert PasswordHistory.objects.filter(user=staff).count() == 5
    # the sixth-last is allowed again
    user_set_password(actor=staff, user=staff, password=used[0])
    staff.refresh_from_db()
    assert staff.check_password(used[0])


@override_settings(IPPLAN_PASSWORD_HISTORY=2)
def test_history_length_is_a_setting(world: World) -> None:
    staff = world.users["staff"]
    for password in ("First-new-pass-1", "Second-new-pass-2"):
        staff = user_set_password(actor=staff, user=staff, password=password)
    user_set_password(actor=staff, user=staff, password=PASSWORD)  # three back: allowed with 2


def test_usernames_are_unique_ignoring_case(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        user_create(actor=None, username="STAFF", password=PASSWORD, role=Role.LEADER, region=world.city)
    assert "username" in caught.value.message_dict
    # and the database says so too, whatever the write path
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Staff", role=Role.LEADER, region=world.city)


def login(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.9.0.1")


def test_expired_password_must_be_changed_before_anything_else(client: Client, world: World) -> None:
    staff = world.users["staff"]
    User.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    login(client, "staff")
    response = client.get(reverse("tasks:inbox"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change"))
    assert "超过 90 天" in page.content.decode()
    # a session-authenticated API call is refused too
    assert client.get("/api/v1/tasks/").status_code == 403
    new = "Fresh-passphrase-2027"
    done = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert client.get(reverse("tasks:inbox")).status_code == 200


@override_settings(IPPLAN_PASSWORD_MAX_AGE_DAYS=0)
def test_expiry_can_be_switched_off(client: Client, world: World) -> None:
    staff = world.users["staff"]
    User.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=900))
    login(client, "staff")
    assert client.get(reverse("tasks:inbox")).status_code == 200


def test_account_created_by_an_administrator_changes_its_password_at_first_login(
    client: Client, world: World
) -> None:
    created = user_create(
        actor=world.users["security"],
        username="newstaff",
        password="Initial-pass-2026",
        role=Role.DEPT_STAFF,
        department=world.lead_dept,
    )
    assert created.must_change_password
    _token, token = api_token_create(actor=created, name="sync", days=1, can_write=False)
    login(client, "newstaff", "Initial-pass-2026")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    # API token calls are not sessions: not held up
    api = Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    new = "My-own-passphrase-1"
    client.post(
        reverse("password_change"),
        {"old_password": "Initial-pass-2026", "new_password1": new, "new_password2": new},
    )
    created.refresh_from_db()
    assert not created.must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_a_password_set_by_an_administrator_must_be_changed_by_its_owner(world: World) -> None:
    staff = world.users["staff"]
    user_set_password(actor=world.users["security"], user=staff, password="Reset-by-admin-1")
    staff.refresh_from_db()
    assert staff.must_change_password
    user_set_password(actor=staff, user=staff, password="Chosen-by-me-2")
    staff.refresh_from_db()
    assert not staff.must_change_password


def test_only_user_managers_set_other_peoples_passwords(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        user_set_password(actor=world.users["bureau"], user=world.users["staff"], password="Not-allowed-99")
    world.users["staff"].refresh_from_db()
    assert world.users["staff"].check_password(PASSWORD)
