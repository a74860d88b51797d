"""Two-factor sign-in: enrolment with a local QR code, the login step, recovery codes, disabling,
the reset by a user manager, and the requirement for the configured roles."""

from __future__ import annotations

import re
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from departments.models import User
from departments.services import second_factor_reset
from ipplan.services import api_token_create
from tests.conftest import PASSWORD, World


def code(device: TOTPDevice, offset: int = 0) -> str:
    """The device's current code (``offset`` steps away), as the phone app would show it."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    return str(value).zfill(device.digits)


def password_step(client: Client, username: str = "staff", password: str = PASSWORD) -> object:
    return client.post(reverse("login"), {"username": username, "password": password})


def enrol(client: Client, user: User) -> list[str]:
    page = client.get(reverse("account_2fa"))
    body = page.content.decode()
    assert "<svg" in body and "<path" in body  # the QR code is drawn here, no image service
    assert "http://" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("account_2fa"), {"token": "000000" if code(device) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    done = client.post(reverse("account_2fa"), {"token": code(device)})
    assert done.status_code == 200
    codes = re.findall(r'<li class="col">([a-z2-7]+)</li>', done.content.decode())
    assert len(codes) == 10
    return codes


def test_enrolment_then_login_needs_the_code(world: World) -> None:
    staff = world.users["staff"]
    client = Client()
    password_step(client)
    enrol(client, staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    client.post(reverse("logout"))

    fresh = Client()
    step = password_step(fresh)
    assert step["Location"] == reverse("login_verify")
    # not signed in between the two steps
    assert fresh.get(reverse("tasks:inbox")).status_code == 302
    assert fresh.get("/api/v1/tasks/").status_code == 401
    bad = fresh.post(reverse("login_verify"), {"token": "12345"})
    assert bad.status_code == 200 and "验证码不正确" in bad.content.decode()
    # the code used at enrolment cannot be replayed; the next one works, once django-otp's
    # throttle after a wrong code (1 s, doubling with each failure) has passed
    refused = fresh.post(reverse("login_verify"), {"token": code(device, offset=1)})
    assert refused.status_code == 200
    time.sleep(1.1)
    ok = fresh.post(reverse("login_verify"), {"token": code(device, offset=1)})
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    assert fresh.get(reverse("tasks:inbox")).status_code == 200


def test_wrong_codes_end_the_attempt(world: World) -> None:
    staff = world.users["staff"]
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    password_step(client)
    for _ in range(5):
        client.post(reverse("login_verify"), {"token": "99999999"})
    response = client.get(reverse("login_verify"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_a_recovery_code_signs_in_once(world: World) -> None:
    staff = world.users["staff"]
    client = Client()
    password_step(client)
    codes = enrol(client, staff)
    client.post(reverse("logout"))
    for attempt in range(2):
        other = Client()
        password_step(other)
        response = other.post(reverse("login_verify"), {"token": codes[0]})
        if attempt == 0:
            assert response.status_code == 302
            assert "还剩 9 个" in other.get(reverse("home"), follow=True).content.decode()
            other.post(reverse("logout"))
        else:
            assert response.status_code == 200  # used up
    assert StaticToken.objects.filter(device__user=staff).count() == 9


def test_user_disables_with_password(world: World) -> None:
    staff = world.users["staff"]
    client = Client()
    password_step(client)
    enrol(client, staff)
    client.post(reverse("account_2fa_disable"), {"password": "not-my-password"})
    assert TOTPDevice.objects.filter(user=staff).exists()
    client.post(reverse("account_2fa_disable"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert password_step(Client())["Location"] == reverse("home")  # password alone again


def test_reset_by_a_user_manager(world: World) -> None:
    staff = world.users["staff"]
    client = Client()
    password_step(client)
    enrol(client, staff)
    with pytest.raises(PermissionDenied):
        second_factor_reset(actor=world.users["bureau"], user=staff)
    assert TOTPDevice.objects.filter(user=staff).exists()
    admin = Client()
    admin.force_login(world.users["security"])
    response = admin.post(
        "/admin/departments/user/",
        {"action": "reset_second_factor", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    # the staff member's session ended with it
    assert client.get(reverse("tasks:inbox")).status_code == 302


@override_settings(IPPLAN_2FA_REQUIRED_ROLES=["bureau", "admin"])
def test_required_roles_must_enrol_before_anything_else(world: World) -> None:
    bureau = world.users["bureau"]
    _token, secret = api_token_create(actor=bureau, name="bi", days=1)
    client = Client()
    password_step(client, "bureau")
    for path in (reverse("home"), reverse("tasks:inbox"), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == reverse("account_2fa"), path
    assert client.get("/api/v1/tasks/").status_code == 403  # session API calls too
    # a token call is not a session sign-in: unaffected
    assert Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    enrol(client, bureau)
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/admin/").status_code == 200
    # optional for the others: staff signs in with a password alone
    assert password_step(Client())["Location"] == reverse("home")


@override_settings(IPPLAN_2FA_REQUIRED_ROLES=["bureau"])
def test_a_session_without_the_second_step_is_sent_back_to_sign_in(world: World) -> None:
    bureau = world.users["bureau"]
    TOTPDevice.objects.create(user=bureau, name="phone", confirmed=True)
    client = Client()
    client.force_login(bureau)  # skipping the second step
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def production_value(expression: str, **env: str) -> str:
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("IPPLAN_2FA", "DJANGO_DEBUG"))}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
            f"from django.conf import settings; print({expression})",
        ],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_production_default_requires_2fa_for_admin_and_bureau() -> None:
    from django.conf import settings

    roles = production_value("','.join(settings.IPPLAN_2FA_REQUIRED_ROLES)", DJANGO_DEBUG="0")
    assert {"admin", "bureau"} <= set(roles.split(","))
    assert (
        production_value("settings.IPPLAN_2FA_REQUIRED_ROLES", DJANGO_DEBUG="0", IPPLAN_2FA_REQUIRED_ROLES="")
        == "[]"
    )
    assert settings.IPPLAN_2FA_REQUIRED_ROLES == []  # switched off for the other tests (conftest)


def test_device_secrets_are_not_on_the_admin_site(world: World) -> None:
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice) and not admin.site.is_registered(StaticDevice)
    client = Client()
    client.force_login(world.users["security"])
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
