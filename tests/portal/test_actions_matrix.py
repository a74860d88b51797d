"""Every task action for anonymous, each role, and other departments: allowed, refused or unseen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ..conftest import World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

LATER = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
ACTIONS = {
    "progress": ("tasks:task_progress", {"version": "1", "progress": "20"}),
    "report": ("tasks:report_submit", {"text": "进展", "percent": "20", "period": "2026-11"}),
    "completion": ("tasks:completion_request", {"version": "1", "reason": "完成"}),
    "extension": ("tasks:extension_request", {"requested_due_date": LATER, "reason": "需要更多时间"}),
    "urge": ("tasks:task_urge", {"message": "请加快进度"}),
    "deadline": ("tasks:task_deadline", {"version": "1", "due_date": LATER}),
}
OK, LOGIN, DENIED, UNSEEN = "ok", "login", 403, 404
EXPECTED = {
    #                progress report completion extension urge deadline
    None:            (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "staff":         (OK, OK, OK, OK, DENIED, DENIED),
    "head":          (OK, OK, OK, OK, DENIED, DENIED),
    "other_staff":   (DENIED, OK, DENIED, DENIED, DENIED, DENIED),
    "leader":        (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    "bureau":        (DENIED, DENIED, DENIED, DENIED, OK, OK),
    "admin":         (DENIED, DENIED, DENIED, DENIED, OK, OK),
    "province":      (DENIED, DENIED, DENIED, DENIED, OK, OK),
    "other_bureau":  (UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN),
    "foreign_staff": (UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN),
    # 三员分立: the security and the audit administrator see no task at all
    "security":      (UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN),
    "auditor":       (UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN),
}  # fmt: skip
CASES = [
    (user, action, expected)
    for user, row in EXPECTED.items()
    for action, expected in zip(ACTIONS, row, strict=True)
]


@pytest.mark.parametrize(("username", "action", "expected"), CASES)
def test_task_action(
    client: Client, world: World, username: str | None, action: str, expected: object
) -> None:
    if username:
        client.force_login(world.users[username])
    route, data = ACTIONS[action]
    url = reverse(route, args=[world.task.pk])
    version = world.task.version
    response = client.post(url, data)
    world.task.refresh_from_db()
    if expected == OK:
        assert response.status_code == 302 and response["Location"] == reverse(
            "tasks:task_detail", args=[world.task.pk]
        )
        changed = (
            world.task.version > version
            or world.task.reports.exists()
            or world.task.urges.exists()
            or world.task.requests.exists()
        )
        assert changed
    else:
        if expected == LOGIN:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == expected
        assert world.task.version == version
        assert not (world.task.reports.exists() or world.task.urges.exists() or world.task.requests.exists())


def test_get_on_an_action_is_not_allowed(client: Client, world: World) -> None:
    client.force_login(world.users["staff"])
    assert client.get(reverse("tasks:task_progress", args=[world.task.pk])).status_code == 405


REQUEST_EXPECTED = {
    #                sign_off approve report_review extension_decide
    None:            (LOGIN, LOGIN, LOGIN, LOGIN),
    "staff":         (DENIED, DENIED, DENIED, DENIED),
    "head":          (OK, DENIED, DENIED, DENIED),
    "other_staff":   (DENIED, DENIED, DENIED, DENIED),
    "leader":        (DENIED, DENIED, DENIED, DENIED),
    "bureau":        (DENIED, OK, OK, OK),
    "admin":         (DENIED, OK, OK, OK),
    "province":      (DENIED, OK, OK, OK),
    "other_bureau":  (UNSEEN, UNSEEN, UNSEEN, UNSEEN),
    "foreign_staff": (UNSEEN, UNSEEN, UNSEEN, UNSEEN),
}  # fmt: skip
REQUEST_ACTIONS = ("sign_off", "approve", "report_review", "extension_decide")
REQUEST_CASES = [
    (user, action, expected)
    for user, row in REQUEST_EXPECTED.items()
    for action, expected in zip(REQUEST_ACTIONS, row, strict=True)
]


def _target(world: World, action: str) -> tuple[str, dict[str, str], object]:
    """Put the task in the state the action needs; return (url, data, object to check)."""
    from tasks.services import workflow
    from tasks.services.progress import progress_report_submit

    staff, head = world.users["staff"], world.users["head"]
    if action == "report_review":
        report = progress_report_submit(
            actor=staff, task=world.task, text="进展", percent=10, period="2026-11"
        )
        return reverse("tasks:report_review", args=[report.pk]), {"accept": "1"}, report
    if action == "extension_decide":
        item = workflow.extension_request(
            actor=staff, task=world.task, requested_due_date=dt.date.fromisoformat(LATER), reason="需要时间"
        )
        return reverse("tasks:extension_decide", args=[item.pk]), {"approve": "1"}, item
    item = workflow.completion_request(actor=staff, task=world.task, expected_version=world.task.version)
    if action == "approve":
        item = workflow.completion_sign_off(actor=head, request=item)
        return reverse("tasks:request_approve", args=[item.pk]), {}, item
    return reverse("tasks:request_sign_off", args=[item.pk]), {}, item


@pytest.mark.parametrize(("username", "action", "expected"), REQUEST_CASES)
def test_request_action(
    client: Client, world: World, username: str | None, action: str, expected: object
) -> None:
    url, data, item = _target(world, action)
    before = type(item).objects.values().get(pk=item.pk)  # type: ignore[attr-defined]
    if username:
        client.force_login(world.users[username])
    response = client.post(url, data)
    after = type(item).objects.values().get(pk=item.pk)  # type: ignore[attr-defined]
    if expected == OK:
        assert response.status_code == 302 and after != before
    else:
        if expected == LOGIN:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == expected
        assert after == before
