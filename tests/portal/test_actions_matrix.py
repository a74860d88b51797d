"""Every task action for anonymous, each role, and other departments: allowed, refused or unseen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ..conftest import World

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
