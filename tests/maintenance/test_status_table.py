"""One status table, every door agrees: each (old status, new status) pair for each role is tried
through every browser action and every API operation that can change a task's status, and the
outcome must be what ``tasks.status`` says. The admin site must refuse every status change.
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from departments.models import User
from ipplan.permissions import MATRIX
from ipplan.roles import Role
from tasks import status as table
from tasks.choices import RequestState, TaskStatus
from tasks.models import Task, TaskRequest
from tests.conftest import World
from tests.factories import completion_row
from tests.support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

S = TaskStatus
#: an in-scope user of each role (the heads and staff are of the task's lead department)
USERS = {
    Role.ADMIN: "admin",
    Role.BUREAU: "bureau",
    Role.LEADER: "leader",
    Role.DEPT_HEAD: "head",
    Role.DEPT_STAFF: "staff",
    Role.SECURITY_ADMIN: "security",
    Role.AUDIT_ADMIN: "auditor",
}
PAIRS = [(old, new) for old, new in itertools.permutations(S.values, 2)]
CASES = [pytest.param(role, old, new, id=f"{role}:{old}->{new}") for role in USERS for old, new in PAIRS]


def test_the_roles_are_the_policys() -> None:
    assert set(USERS) == set(MATRIX)


def _prepare(world: World, role: str, old: str, new: str) -> TaskRequest | None:
    """Put the task in ``old`` (a fixture shortcut), with the request a completion awaits."""
    Task.objects.filter(pk=world.task.pk).update(
        status=old,
        # a restore brings back the status before the cancellation: make it the wanted one if it can be
        status_before_cancel=(new if new in table.SELF_SERVICE else S.IN_PROGRESS)
        if old == S.CANCELLED
        else "",
        version=7,
    )
    TaskRequest.objects.filter(task=world.task).delete()
    if old != S.COMPLETION_REQUESTED:
        return None
    # the head returns before sign-off; the bureau approves or returns after it
    state = RequestState.AWAITING_SIGNOFF if role == Role.DEPT_HEAD else RequestState.AWAITING_REVIEW
    return completion_row(world, state)


def _status(world: World) -> str:
    return Task.objects.values_list("status", flat=True).get(pk=world.task.pk)


def _browser_doors(
    world: World, old: str, new: str, request: TaskRequest | None
) -> list[tuple[str, dict[str, str]]]:
    pk = world.task.pk
    doors = [(reverse("tasks:task_progress", args=[pk]), {"version": "7", "status": new})]
    if new == S.COMPLETION_REQUESTED:
        doors.append((reverse("tasks:completion_request", args=[pk]), {"version": "7", "reason": "完成"}))
    if request is not None and new == S.COMPLETED:
        doors.append((reverse("tasks:request_approve", args=[request.pk]), {"comment": "同意"}))
    if request is not None and new == S.IN_PROGRESS:
        doors.append((reverse("tasks:request_return", args=[request.pk]), {"comment": "材料不全"}))
    if new == S.CANCELLED:
        doors.append((reverse("tasks:task_cancel", args=[pk]), {"version": "7", "reason": "重复"}))
    if old == S.CANCELLED:
        doors.append((reverse("tasks:task_restore", args=[pk]), {"version": "7"}))
    return doors


def _api_doors(
    world: World, old: str, new: str, request: TaskRequest | None
) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/api/v1/tasks/{world.task.pk}/"
    doors: list[tuple[str, str, dict[str, Any]]] = [("patch", base, {"status": new})]
    if new == S.COMPLETION_REQUESTED:
        doors.append(("post", base + "completion/", {"reason": "完成"}))
    if request is not None and new == S.COMPLETED:
        doors.append(("post", f"/api/v1/requests/{request.pk}/decision/", {"approve": True}))
    if request is not None and new == S.IN_PROGRESS:
        doors.append(
            ("post", f"/api/v1/requests/{request.pk}/decision/", {"approve": False, "comment": "退回"})
        )
    if new == S.CANCELLED:
        doors.append(("post", base + "cancel/", {"reason": "重复"}))
    if old == S.CANCELLED:
        doors.append(("post", base + "restore/", {}))
    return doors


@pytest.mark.parametrize(("role", "old", "new"), CASES)
def test_browser_and_api_follow_the_status_table(world: World, role: str, old: str, new: str) -> None:
    user: User = world.users[USERS[role]]
    expected = table.allows(role, old, new)

    browser = Client()
    browser.force_login(user)
    reached_in_browser = False
    # each door starts from ``old`` afresh (with a fresh request: a door may have decided it)
    for index in range(len(_browser_doors(world, old, new, _prepare(world, role, old, new)))):
        url, data = _browser_doors(world, old, new, _prepare(world, role, old, new))[index]
        response = browser.post(url, data)
        assert response.status_code in (302, 400, 403, 404, 409), (url, response.status_code)
        if response.status_code == 302:
            reached_in_browser = reached_in_browser or _status(world) == new
        else:
            assert _status(world) == old, (url, response.status_code)

    api = APIClient()
    api.force_authenticate(user)
    reached_in_api = False
    for index in range(len(_api_doors(world, old, new, _prepare(world, role, old, new)))):
        method, url, body = _api_doors(world, old, new, _prepare(world, role, old, new))[index]
        response = getattr(api, method)(url, body, format="json", HTTP_IF_MATCH=f'"task-{world.task.pk}-7"')
        assert response.status_code < 500, (url, response.content)
        if response.status_code < 300:
            reached_in_api = reached_in_api or _status(world) == new
        else:
            assert _status(world) == old, (url, response.status_code)
    assert (reached_in_browser, reached_in_api) == (expected, expected), (
        f"{role} {old} -> {new}: the table says {expected}, the browser {reached_in_browser}, "
        f"the API {reached_in_api}"
    )


def test_the_table_in_words() -> None:
    """A few rows of the table, stated by hand (the enumeration above checks the doors agree)."""
    assert table.allows(Role.DEPT_STAFF, S.NOT_STARTED, S.IN_PROGRESS)
    assert not table.allows(Role.DEPT_STAFF, S.IN_PROGRESS, S.COMPLETED)  # only through approval
    assert table.allows(Role.BUREAU, S.COMPLETION_REQUESTED, S.COMPLETED)
    assert not table.allows(Role.BUREAU, S.NOT_STARTED, S.IN_PROGRESS)  # the lead department's
    assert table.allows(Role.BUREAU, S.IN_PROGRESS, S.CANCELLED)
    assert not table.allows(Role.BUREAU, S.COMPLETED, S.CANCELLED)
    assert table.allows(Role.DEPT_HEAD, S.COMPLETION_REQUESTED, S.IN_PROGRESS)  # return before sign-off
    assert not any(table.allows(Role.LEADER, old, new) for old, new in PAIRS)
    assert table.door_allows(table.Door.REIMPORT, S.IN_PROGRESS, S.CANCELLED)
    assert not table.door_allows(table.Door.REIMPORT, S.COMPLETED, S.CANCELLED)


# --- the admin site ---------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The fields of the admin's change form, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "checkbox", "file"):
            self.data[name] = a.get("value", "")
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.data[name] = a.get("value", "on")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


ADMIN_CASES = [
    pytest.param(username, old, new, id=f"{username}:{old}->{new}")
    for username in ("bureau", "admin")
    for old, new in PAIRS
]


@pytest.mark.parametrize(("username", "old", "new"), ADMIN_CASES)
def test_the_admin_refuses_every_status_change(world: World, username: str, old: str, new: str) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=old)
    client = Client()
    client.force_login(world.users[username])
    url = reverse("admin:tasks_task_change", args=[world.task.pk])
    page = client.get(url)
    assert page.status_code == 200
    reader = _FormReader()
    reader.feed(page.content.decode())
    form = reader.data
    form["status"] = new  # forged when the form has no status field at all
    form["_save"] = "Save"
    client.post(url, form)
    task = Task.objects.get(pk=world.task.pk)
    assert task.status == old, f"the admin changed {old} to {task.status}"
