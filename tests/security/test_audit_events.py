"""What goes into the security audit log: logins, failures, lockouts, logouts, refusals, tokens,
exports, downloads, admin changes and role changes, each with who, when, from where and result."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from departments.services import user_set_role
from ipplan.models import ApiToken
from ipplan.roles import Role
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.export import verify_chain
from ipplan.security.models import SecurityEvent
from ipplan.services import api_token_create, api_token_revoke
from tasks.services import progress_report_submit

from ..conftest import PASSWORD, World
from ..workflow.helpers import PDF, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # throttles and axes counters from other tests


def events(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(action=action).order_by("seq"))


def login(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_success_failure_and_logout_are_logged_with_address(world: World) -> None:
    client = Client()
    response = login(client, "bureau", "wrong-password-1")
    assert response.status_code == 200
    assert login(client, "bureau", PASSWORD).status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR="203.0.113.7")
    (failed,) = events(EventAction.LOGIN_FAILED)
    assert (failed.actor_name, failed.actor_id, failed.result, failed.source_ip) == (
        "bureau",
        None,
        EventResult.FAILURE,
        "203.0.113.7",
    )
    (ok,) = events(EventAction.LOGIN)
    bureau = world.users["bureau"]
    assert (ok.actor_id, ok.actor_name, ok.role, ok.result, ok.source_ip) == (
        bureau.pk,
        "bureau",
        Role.BUREAU,
        EventResult.SUCCESS,
        "203.0.113.7",
    )
    assert ok.region_path == world.city.path
    (out,) = events(EventAction.LOGOUT)
    assert out.actor_id == bureau.pk
    assert verify_chain().ok


def test_a_lockout_is_logged(world: World, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(4):
        login(client, "staff", "wrong-password-1", ip="198.51.100.9")
    locked = events(EventAction.LOCKOUT)
    assert locked and locked[0].actor_name == "staff" and locked[0].result == EventResult.REFUSED
    assert locked[0].source_ip == "198.51.100.9"


def test_a_refused_portal_action_is_logged_and_changes_nothing(client: Client, world: World) -> None:
    client.force_login(world.users["leader"])
    response = client.post(reverse("tasks:task_urge", args=[world.task.pk]), {"message": "快"})
    assert response.status_code == 403
    (refused,) = events(EventAction.ACCESS_REFUSED)
    assert refused.result == EventResult.REFUSED and refused.actor_name == "leader"
    assert refused.detail["status"] == 403 and refused.detail["method"] == "POST"
    assert refused.detail["action"] == "urge_task"
    assert (refused.object_type, refused.object_id) == ("tasks.task", str(world.task.pk))
    assert not world.task.urges.exists()


def test_an_object_out_of_reach_answers_404_and_is_logged_as_refused(client: Client, world: World) -> None:
    client.force_login(world.users["other_bureau"])
    response = client.get(reverse("tasks:task_detail", args=[world.task.pk]))
    assert response.status_code == 404
    (refused,) = events(EventAction.ACCESS_REFUSED)
    assert (refused.object_type, refused.object_id, refused.detail["status"]) == (
        "tasks.task",
        str(world.task.pk),
        404,
    )


def test_a_missing_object_is_not_a_refusal(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    assert client.get(reverse("tasks:task_detail", args=[999999])).status_code == 404
    assert events(EventAction.ACCESS_REFUSED) == []


def test_api_refusals_are_logged(world: World) -> None:
    _token, secret = api_token_create(actor=world.users["leader"], name="bi", can_write=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # a read-only token writing: DRF's permission class answers 403
    response = api.post(f"/api/v1/tasks/{world.task.pk}/urge/", {"message": "快"}, format="json")
    assert response.status_code == 403
    # an object of another city: 404 for the caller, a refusal in the log
    assert api.get(f"/api/v1/tasks/{world.foreign_task.pk}/").status_code == 404
    refused = events(EventAction.ACCESS_REFUSED)
    assert [e.detail["status"] for e in refused] == [403, 404]
    assert refused[1].object_id == str(world.foreign_task.pk)
    assert all(e.actor_name == "leader" for e in refused)


def test_token_creation_revocation_and_first_use_per_day(world: World) -> None:
    bureau = world.users["bureau"]
    token, secret = api_token_create(actor=bureau, name="省平台", can_write=True, allowed_ips="10.0.0.0/8")
    (created,) = events(EventAction.TOKEN_CREATE)
    assert created.object_id == str(token.pk) and created.detail["allowed_ips"] == ["10.0.0.0/8"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for _ in range(3):
        assert api.get("/api/v1/me/", REMOTE_ADDR="10.1.2.3").status_code == 200
    # an earlier use of the same local day (five minutes ago, or midnight when the test runs just after it)
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=max(now - dt.timedelta(minutes=5), midnight))
    assert api.get("/api/v1/me/", REMOTE_ADDR="10.1.2.4").status_code == 200
    used = events(EventAction.TOKEN_USE)
    assert len(used) == 1 and used[0].source_ip == "10.1.2.3" and used[0].actor_id == bureau.pk
    # the next day it is logged once more
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        assert api.get("/api/v1/me/", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert api.get("/api/v1/me/", REMOTE_ADDR="10.1.2.5").status_code == 200
    assert len(events(EventAction.TOKEN_USE)) == 2
    # a refused token (wrong address) is a failed authentication
    assert api.get("/api/v1/me/", REMOTE_ADDR="192.0.2.1").status_code == 401
    (failed,) = events(EventAction.LOGIN_FAILED)
    assert failed.detail == {"via": "api_token", "code": "token_ip_not_allowed"}
    assert failed.source_ip == "192.0.2.1"
    api_token_revoke(actor=bureau, token=token)
    assert len(events(EventAction.TOKEN_REVOKE)) == 1


def test_exports_and_downloads_are_logged(client: Client, world: World) -> None:
    report = progress_report_submit(
        actor=world.users["staff"],
        task=world.task,
        text="证明材料",
        percent=20,
        period="2026-11",
        attachments=[upload("证明.pdf", PDF)],
    )
    attachment = report.attachments.get()
    client.force_login(world.users["bureau"])
    assert client.get(reverse("tasks:ledger_export"), {"plan": world.plan.pk}).status_code == 200
    assert client.get(reverse("tasks:briefing_export")).status_code == 200
    assert client.get(reverse("tasks:assessment_export")).status_code == 200
    response = client.get(reverse("tasks:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    exported = events(EventAction.EXPORT)
    assert [e.object_type for e in exported] == ["ledger", "briefing", "assessment"]
    assert exported[0].detail["query"] == f"plan={world.plan.pk}" and exported[0].actor_name == "bureau"
    (downloaded,) = events(EventAction.FILE_DOWNLOAD)
    assert downloaded.object_id == str(attachment.pk)
    # through the API as well
    _token, secret = api_token_create(actor=world.users["staff"], name="x")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 200
    assert len(events(EventAction.FILE_DOWNLOAD)) == 2


def test_admin_changes_are_logged_from_the_log_entry(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    url = reverse("admin:departments_department_change", args=[world.lead_dept.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "name": "市科学技术局",
            "region": world.city.pk,
            "kind": world.lead_dept.kind,
            "active": "on",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = client.post(url, data, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["adminform"].form.errors
    )
    (changed,) = events(EventAction.ADMIN_CHANGE)
    assert (changed.actor_name, changed.object_type, changed.object_id, changed.source_ip) == (
        "bureau",
        "departments.department",
        str(world.lead_dept.pk),
        "192.0.2.44",
    )
    assert changed.object_label == "市科学技术局" and changed.detail["change"]


def test_role_changes_are_logged_by_the_service(world: World) -> None:
    security = world.users["security"]
    user_set_role(actor=security, user=world.users["leader"], role=Role.BUREAU, region=world.city)
    (changed,) = events(EventAction.ROLE_CHANGE)
    assert changed.actor_name == "security" and changed.role == Role.SECURITY_ADMIN
    assert changed.detail["old"]["role"] == Role.LEADER and changed.detail["new"]["role"] == Role.BUREAU
    assert changed.object_id == str(world.users["leader"].pk)


def test_password_change_is_logged(client: Client, world: World) -> None:
    client.force_login(world.users["staff"])
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-7",
            "new_password2": "a-new-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    (changed,) = events(EventAction.PASSWORD_CHANGE)
    assert changed.actor_name == "staff" and changed.result == EventResult.SUCCESS


def test_account_creation_by_the_security_administrator_is_logged(world: World) -> None:
    from departments.services import user_create

    made = user_create(
        actor=world.users["security"],
        username="newbie",
        password=PASSWORD,
        role=Role.LEADER,
        region=world.city,
    )
    (created,) = events(EventAction.USER_CREATE)
    assert (created.actor_name, created.object_id, created.detail["role"]) == (
        "security",
        str(made.pk),
        "leader",
    )


def test_a_job_that_rolled_back_still_leaves_its_refusals(world: World) -> None:
    from celery.signals import task_postrun
    from django.db import transaction

    from ipplan.security.services import security_event

    with pytest.raises(RuntimeError), transaction.atomic():
        security_event(action=EventAction.ACCESS_REFUSED, result=EventResult.REFUSED, actor_name="job")
        raise RuntimeError
    assert events(EventAction.ACCESS_REFUSED) == []
    task_postrun.send(sender=None, task_id="x", task=None)
    assert [e.actor_name for e in events(EventAction.ACCESS_REFUSED)] == ["job"]


@pytest.mark.parametrize(("who", "sees_plans"), [("security", False), ("auditor", False), ("bureau", True)])
def test_the_security_and_audit_administrators_get_no_plan_links(
    client: Client, world: World, who: str, sees_plans: bool
) -> None:
    client.force_login(world.users[who])
    page = client.get(reverse("home")).content.decode()
    assert (reverse("tasks:dashboard") in page) is sees_plans
