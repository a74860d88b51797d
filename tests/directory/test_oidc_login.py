"""OIDC sign-in end to end: a real provider process on loopback (Authlib's server), the
authorization-code flow with state and nonce, the group mapping, the button and the logout."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from departments.models import User
from directory.models import DirectoryAccount, DirectoryGroupMapping
from directory.oidc import _client
from directory.services import group_mapping_save
from ipplan.roles import Role
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.models import SecurityEvent
from tests.conftest import World

from .conftest import OIDC_USERS, Provider

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def oidc_on(settings: Any, oidc_provider: Provider) -> Provider:
    settings.IPPLAN_OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.IPPLAN_OIDC_CLIENT_ID = oidc_provider.client_id
    settings.IPPLAN_OIDC_CLIENT_SECRET = oidc_provider.client_secret
    _client.cache_clear()
    return oidc_provider


@pytest.fixture
def mapping(world: World, oidc_on: Provider) -> DirectoryGroupMapping:
    return group_mapping_save(
        actor=world.users["security"],
        source="oidc",
        group="ipplan-kjj",
        role=Role.DEPT_STAFF,
        region=world.city,
        department=world.lead_dept,
    )


def provider_sign_in(client: Client, username: str, next_url: str = "") -> tuple[str, dict[str, list[str]]]:
    """Start at ipplan, sign in at the provider; the callback URL the provider sends back."""
    start = client.get(reverse("directory:oidc_login") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    authorize = start["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"] and query["state"][0] and query["nonce"][0]
    user = OIDC_USERS[username]
    answer = requests.post(
        authorize,
        data={"username": username, "password": user["password"]},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}", parse_qs(back.query)


def test_the_button_shows_only_when_configured(settings: Any, oidc_on: Provider) -> None:
    assert "使用统一身份认证登录" in Client().get(reverse("login")).content.decode()
    settings.IPPLAN_OIDC_DISCOVERY_URL = ""
    assert "使用统一身份认证登录" not in Client().get(reverse("login")).content.decode()


def test_authorization_code_flow_signs_in_the_mapped_user(
    world: World, mapping: DirectoryGroupMapping, oidc_on: Provider
) -> None:
    client = Client()
    callback, query = provider_sign_in(client, "zhaoliu", next_url="/plans/")
    assert query["code"][0]
    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == "/plans/"
    user = User.objects.get(username="zhaoliu")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert (user.role, user.department, user.region) == (Role.DEPT_STAFF, world.lead_dept, world.city)
    assert (user.display_name, user.email) == ("赵六", "zhaoliu@ipplan.test")
    assert not user.has_usable_password()
    account = DirectoryAccount.objects.get(user=user)
    assert (account.source, account.subject, account.mapping) == ("oidc", f"{oidc_on.issuer}|u-1001", mapping)
    assert SecurityEvent.objects.filter(action=EventAction.LOGIN, actor_id=user.pk).exists()


def test_a_forged_state_is_refused(world: World, mapping: DirectoryGroupMapping) -> None:
    client = Client()
    callback, query = provider_sign_in(client, "zhaoliu")
    forged = callback.replace(f"state={query['state'][0]}", "state=forged")
    response = client.get(forged, follow=True)
    assert "_auth_user_id" not in client.session
    assert "统一身份认证登录失败" in response.content.decode()
    assert not User.objects.filter(username="zhaoliu").exists()
    assert SecurityEvent.objects.filter(action=EventAction.LOGIN_FAILED, detail__source="oidc").exists()


def test_a_callback_from_another_browser_is_refused(world: World, mapping: DirectoryGroupMapping) -> None:
    callback, _ = provider_sign_in(Client(), "zhaoliu")
    stranger = Client()  # no state or nonce of its own in its session
    stranger.get(callback)
    assert "_auth_user_id" not in stranger.session
    assert not User.objects.filter(username="zhaoliu").exists()


def test_unmapped_groups_are_refused_with_a_clear_message(
    world: World, mapping: DirectoryGroupMapping
) -> None:
    client = Client()
    callback, _ = provider_sign_in(client, "sunqi")
    response = client.get(callback, follow=True)
    assert "_auth_user_id" not in client.session
    assert "未映射到本系统的角色" in response.content.decode()
    assert not User.objects.filter(username="sunqi").exists()
    assert SecurityEvent.objects.filter(
        action=EventAction.LOGIN_FAILED, result=EventResult.REFUSED, actor_name="sunqi"
    ).exists()


def test_the_local_form_sends_an_oidc_user_to_the_button(
    world: World, mapping: DirectoryGroupMapping
) -> None:
    client = Client()
    callback, _ = provider_sign_in(client, "zhaoliu")
    client.get(callback)
    other = Client()
    response = other.post(reverse("login"), {"username": "zhaoliu", "password": "zhaoliu-pass"}, follow=True)
    assert "_auth_user_id" not in other.session
    assert "请点击“使用统一身份认证登录”按钮" in response.content.decode()


def test_second_factor_still_applies(world: World, mapping: DirectoryGroupMapping) -> None:
    client = Client()
    callback, _ = provider_sign_in(client, "zhaoliu")
    client.get(callback)
    user = User.objects.get(username="zhaoliu")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    again = Client()
    callback, _ = provider_sign_in(again, "zhaoliu")
    response = again.get(callback)
    assert response.status_code == 302 and response["Location"] == reverse("login_verify")
    assert "_auth_user_id" not in again.session


def test_logout_ends_the_platform_session_too(
    world: World, mapping: DirectoryGroupMapping, oidc_on: Provider
) -> None:
    client = Client()
    callback, _ = provider_sign_in(client, "zhaoliu")
    client.get(callback)
    response = client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_on.issuer}/logout"
    assert parse_qs(target.query)["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]


def test_benchmark_oidc_flow(world: World, mapping: DirectoryGroupMapping) -> None:
    """Prints how long the whole authorization-code flow takes against the local provider."""
    import statistics
    import time

    times = []
    for _ in range(10):
        client = Client()
        started = time.perf_counter()
        callback, _ = provider_sign_in(client, "zhaoliu")
        client.get(callback)
        times.append((time.perf_counter() - started) * 1000)
        assert "_auth_user_id" in client.session
    times.sort()
    print(
        f"\nOIDC sign-in (ipplan → provider → callback), 10 runs: median {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms"
    )
