"""API tokens: how they are stored, how they authenticate and are refused, session CSRF, rate
limits, the "API 令牌" page and the ``create_api_token`` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ipplan.api.throttling import ClientRateThrottle
from ipplan.models import ApiToken
from ipplan.services import TOKEN_MAX_DAYS, api_token_create, api_token_revoke
from notifications.models import Notification
from notifications.services.notifications import notification_create
from tasks.models import Task

from ..conftest import PASSWORD, World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
MARK_READ = "/api/v1/notifications/mark-read/"
PROBLEM = "application/problem+json"
TOKEN_LINE = re.compile(r"^ipp_[0-9a-f]{8}_[A-Za-z0-9_-]+$")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


def bearer(secret: str, **extra: Any) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def new_token(user: Any, **kwargs: Any) -> tuple[ApiToken, str]:
    kwargs.setdefault("name", "省平台")
    return api_token_create(actor=user, **kwargs)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:ipplan:error:{code}" and body["detail"]
    return body


# --- storage ------------------------------------------------------------------------------------


def test_only_the_digest_of_the_secret_is_stored(world: World) -> None:
    token, secret = new_token(world.users["staff"])
    assert TOKEN_LINE.match(secret) and secret.startswith(f"ipp_{token.prefix}_")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    random_part = secret.removeprefix(f"ipp_{token.prefix}_")
    for value in row.values():
        assert secret not in str(value) and random_part not in str(value)


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("can_write", [False, True])
def test_a_token_authenticates_as_its_user(world: World, can_write: bool) -> None:
    user = world.users["staff"]
    token, secret = new_token(user, can_write=can_write)
    response = bearer(secret).get(ME, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "staff" and body["id"] == user.pk
    assert body["token"]["name"] == "省平台" and body["token"]["can_write"] is can_write
    token.refresh_from_db()
    assert token.last_used_ip == "10.9.8.7" and token.last_used_at is not None


def test_token_scheme_is_accepted_too(world: World) -> None:
    _token, secret = new_token(world.users["bureau"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(ME).json()["username"] == "bureau"


def test_expired_token_is_refused(world: World) -> None:
    token, secret = new_token(world.users["staff"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_problem(bearer(secret).get(ME), 401, "token_expired")


def test_revoked_token_is_refused(world: World) -> None:
    user = world.users["staff"]
    token, secret = new_token(user)
    assert bearer(secret).get(ME).status_code == 200
    api_token_revoke(actor=user, token=token)
    assert_problem(bearer(secret).get(ME), 401, "token_revoked")


def test_wrong_secret_with_a_valid_prefix_is_refused(world: World) -> None:
    token, secret = new_token(world.users["staff"])
    forged = f"ipp_{token.prefix}_" + "A" * 43
    assert forged != secret
    assert_problem(bearer(forged).get(ME), 401, "token_invalid")
    token.refresh_from_db()
    assert token.last_used_at is None  # a failed attempt is not a use


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer ipp_",
        "Bearer ipp_zzzzzzzz_abc",
        "Bearer",
        "Token not-a-token",
        "Bearer {secret}x",
        "Bearer {truncated}",
        "Bearer {other_prefix}",
    ],
)
def test_tampered_or_garbage_header_is_refused(world: World, header: str) -> None:
    token, secret = new_token(world.users["staff"])
    other, _ = new_token(world.users["bureau"])
    value = header.format(
        secret=secret,
        truncated=secret[:-1],
        other_prefix=secret.replace(token.prefix, other.prefix, 1),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    assert_problem(client.get(ME), 401, "token_invalid")


def test_no_credentials_answers_401_with_the_bearer_challenge(world: World) -> None:
    response = APIClient().get(ME)
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_ip_restriction(world: World) -> None:
    token, secret = new_token(world.users["staff"], allowed_ips="10.1.0.0/16\n192.168.5.7, 2001:db8::/32")
    assert token.allowed_ips.split() == ["10.1.0.0/16", "192.168.5.7/32", "2001:db8::/32"]
    client = bearer(secret)
    assert client.get(ME, REMOTE_ADDR="10.1.200.3").status_code == 200
    assert client.get(ME, REMOTE_ADDR="192.168.5.7").status_code == 200
    assert client.get(ME, REMOTE_ADDR="2001:db8::1").status_code == 200
    body = assert_problem(client.get(ME, REMOTE_ADDR="10.2.0.1"), 401, "token_ip_not_allowed")
    assert "10.2.0.1" in body["detail"]
    assert_problem(client.get(ME, REMOTE_ADDR="192.168.5.8"), 401, "token_ip_not_allowed")


# --- read-only tokens ---------------------------------------------------------------------------


def test_read_only_token_reads_but_cannot_write(world: World) -> None:
    staff = world.users["staff"]
    notification_create(recipient=staff, kind="urge", message="请填报", dedup_key="test-read-only")
    _token, secret = new_token(staff, can_write=False)
    client = bearer(secret)
    assert client.get(ME).status_code == 200
    assert client.get("/api/v1/notifications/").status_code == 200
    task_url = f"/api/v1/tasks/{world.task.pk}/"
    etag = client.get(task_url)["ETag"]
    assert_problem(
        client.patch(task_url, {"progress": 50}, format="json", HTTP_IF_MATCH=etag), 403, "token_read_only"
    )
    assert_problem(client.post(MARK_READ, {}, format="json"), 403, "token_read_only")
    assert Task.objects.get(pk=world.task.pk).progress == 0
    assert Notification.objects.filter(recipient=staff, read_at__isnull=True).count() == 1
    # the same call with a read-write token goes through: the refusal was the token's
    _token, writer = new_token(staff, can_write=True)
    assert bearer(writer).post(MARK_READ, {}, format="json").json() == {"marked": 1}


# --- session authentication ---------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    # axes wants the request among the credentials
    assert client.login(request=HttpRequest(), username="staff", password=PASSWORD)
    assert client.get(ME).json()["token"] is None  # a session, not a token
    body = assert_problem(client.post(MARK_READ, {}, format="json"), 403, "permission_denied")
    assert "CSRF" in body["detail"]
    client.get(reverse("account_tokens"))  # any page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(MARK_READ, {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200 and response.json() == {"marked": 0}


# --- throttling ---------------------------------------------------------------------------------


def test_each_token_has_its_own_rate_limit(world: World, settings: Any, monkeypatch: Any) -> None:
    rates = {"client": "3/min", "anonymous": "60/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF binds SimpleRateThrottle.THROTTLE_RATES once, at import: reloading settings does not reach it.
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    user = world.users["staff"]
    _first, first_secret = new_token(user)
    _second, second_secret = new_token(user)
    first = bearer(first_secret)
    assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    response = first.get(ME)
    body = assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60 and body["detail"]
    second = bearer(second_secret)
    assert [second.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    assert second.get(ME).status_code == 429
    assert first.get(ME).status_code == 429  # still spent


# --- the "API 令牌" page ------------------------------------------------------------------------


def signed_in(client: Client, world: World, username: str = "staff") -> Client:
    client.force_login(world.users[username])
    return client


def test_tokens_page_lists_only_own_tokens(client: Client, world: World) -> None:
    mine, _ = new_token(world.users["staff"], name="我的系统", allowed_ips="10.0.0.0/8")
    theirs, _ = new_token(world.users["other_staff"], name="别人的系统")
    expired, _ = new_token(world.users["staff"], name="旧系统")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    response = signed_in(client, world).get(reverse("account_tokens"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "我的系统" in body and f"ipp_{mine.prefix}…" in body and "10.0.0.0/8" in body
    assert "别人的系统" not in body and theirs.prefix not in body
    assert "已过期" in body and "text-danger" in body
    assert "<script>" not in body
    assert set(response.context["tokens"]) == {mine, expired}


def test_create_shows_the_secret_once(client: Client, world: World) -> None:
    signed_in(client, world)
    response = client.post(
        reverse("account_tokens"),
        {"name": "省平台对接", "can_write": "on", "days": "30", "allowed_ips": "10.0.0.0/8\n192.168.1.20"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=world.users["staff"])
    secret = response.context["secret"]
    body = response.content.decode()
    assert re.search(rf'<input[^>]*id="token-secret"[^>]*value="{re.escape(secret)}"[^>]*readonly', body)
    assert body.count(secret) == 1 and "只显示这一次" in body
    assert token.name == "省平台对接" and token.can_write
    assert token.allowed_ips.split() == ["10.0.0.0/8", "192.168.1.20/32"]
    assert dt.timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(dict(client.session))
    # the secret works, and is never shown again
    assert bearer(secret).get(ME, REMOTE_ADDR="10.2.3.4").json()["token"]["can_write"] is True
    again = client.get(reverse("account_tokens")).content.decode()
    assert secret not in again and secret.removeprefix(f"ipp_{token.prefix}_") not in again
    assert f"ipp_{token.prefix}…" in again


def test_create_defaults_to_read_only_for_90_days(client: Client, world: World) -> None:
    signed_in(client, world)
    page = client.get(reverse("account_tokens")).content.decode()
    assert 'name="days" value="90"' in page and f'max="{TOKEN_MAX_DAYS}"' in page
    client.post(reverse("account_tokens"), {"name": "报表", "days": "90"})
    token = ApiToken.objects.get(user=world.users["staff"])
    assert not token.can_write and token.allowed_ips == ""
    assert token.expires_at - timezone.now() > dt.timedelta(days=89)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "days": "90"}, "name"),
        ({"name": "   ", "days": "90"}, "name"),
        ({"name": "x", "days": "0"}, "days"),
        ({"name": "x", "days": str(TOKEN_MAX_DAYS + 1)}, "days"),
        ({"name": "x", "days": "abc"}, "days"),
        ({"name": "x", "days": "90", "allowed_ips": "10.0.0.0/8\n300.1.1.1"}, "allowed_ips"),
    ],
)
def test_bad_input_shows_on_the_field_and_creates_nothing(
    client: Client, world: World, data: dict[str, str], field: str
) -> None:
    response = signed_in(client, world).post(reverse("account_tokens"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    assert list(form.errors) == [field]
    body = response.content.decode()
    assert 'class="text-danger small field-error"' in body and "secret" not in response.context
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client: Client, world: World) -> None:
    token, secret = new_token(world.users["staff"], name="旧对接")
    signed_in(client, world)
    page = client.get(reverse("account_tokens")).content.decode()
    assert f'action="{reverse("account_token_revoke", args=[token.pk])}"' in page
    response = client.post(reverse("account_token_revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("account_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_problem(bearer(secret).get(ME), 401, "token_revoked")
    after = client.get(reverse("account_tokens")).content.decode()
    assert "已吊销" in after and f'id="revoke-{token.pk}"' not in after


def test_revoke_is_post_only(client: Client, world: World) -> None:
    token, _ = new_token(world.users["staff"])
    response = signed_in(client, world).get(reverse("account_token_revoke", args=[token.pk]))
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("username", ["other_staff", "bureau", "admin"])
def test_cannot_revoke_another_users_token(client: Client, world: World, username: str) -> None:
    token, secret = new_token(world.users["staff"])
    response = signed_in(client, world, username).post(reverse("account_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(secret).get(ME).status_code == 200


def test_revoke_needs_csrf(world: World) -> None:
    token, _ = new_token(world.users["staff"])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["staff"])
    assert strict.post(reverse("account_token_revoke", args=[token.pk])).status_code == 403
    assert strict.post(reverse("account_tokens"), {"name": "x", "days": "1"}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_anonymous_is_sent_to_the_login_page(client: Client, world: World) -> None:
    token, _ = new_token(world.users["staff"])
    for response in (
        client.get(reverse("account_tokens")),
        client.post(reverse("account_tokens"), {"name": "x", "days": "1"}),
        client.post(reverse("account_token_revoke", args=[token.pk])),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_account_menu_links_to_tokens_and_api_docs(client: Client, world: World) -> None:
    body = signed_in(client, world).get(reverse("home")).content.decode()
    assert f'href="{reverse("account_tokens")}"' in body and f'href="{reverse("api-docs")}"' in body


# --- the create_api_token command ---------------------------------------------------------------


def run_command(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def test_command_prints_only_a_working_read_only_token(world: World) -> None:
    output = run_command("staff")
    lines = output.splitlines()
    assert len(lines) == 1 and output == lines[0] + "\n"
    assert TOKEN_LINE.match(lines[0])
    response = bearer(lines[0]).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "staff" and response.json()["token"]["can_write"] is False
    token = ApiToken.objects.get(user=world.users["staff"])
    assert token.expires_at - timezone.now() > dt.timedelta(days=89)
    assert_problem(bearer(lines[0]).post(MARK_READ, {}, format="json"), 403, "token_read_only")


def test_command_options(world: World) -> None:
    secret = run_command(
        "bureau", "--write", "--days", "7", "--name", "省平台", "--allow-ip", "10.0.0.0/8", "192.168.1.20"
    ).strip()
    token = ApiToken.objects.get(user=world.users["bureau"])
    assert token.can_write and token.name == "省平台"
    assert token.allowed_ips.split() == ["10.0.0.0/8", "192.168.1.20/32"]
    assert token.expires_at - timezone.now() <= dt.timedelta(days=7)
    client = bearer(secret)
    assert client.get(ME, REMOTE_ADDR="10.3.3.3").json()["token"]["can_write"] is True
    assert client.post(MARK_READ, {}, format="json", REMOTE_ADDR="10.3.3.3").status_code == 200
    assert_problem(client.get(ME, REMOTE_ADDR="172.16.0.1"), 401, "token_ip_not_allowed")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "unknown user"),
        (["staff", "--days", "0"], "--days"),
        (["staff", "--days", str(TOKEN_MAX_DAYS + 1)], "--days"),
        (["staff", "--allow-ip", "10.0.0.300"], "--allow-ip"),
        (["staff", "--name", "  "], "--name"),
    ],
)
def test_command_errors(world: World, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        run_command(*args)
    assert not ApiToken.objects.exists()


def test_command_refuses_an_inactive_user(world: World) -> None:
    type(world.users["staff"]).objects.filter(username="staff").update(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run_command("staff")
    assert not ApiToken.objects.exists()
