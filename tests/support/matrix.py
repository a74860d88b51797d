"""The API permission matrix, reusable: the policy as the design states it, how one operation is
governed (``Op``), the status each caller must get, and the run of one case.

``tests/api/test_matrix.py`` holds the table of every operation of the API (``EXPECTED``) and
checks it against the OpenAPI schema. A test elsewhere checks a new endpoint with one line::

    test_my_endpoint = matrix_case("GET", "/api/v1/things/{id}/", Op("task", read=Action.VIEW_TASK))

which runs the operation for every caller (anonymous and each user of ``make_world()``) on each
target (own / other department, other region) and asserts the status, the problem details of a
refusal, that a refused write changed nothing, that a successful one changed something and that
a list shows exactly what the caller may see. The expected status is derived here by hand from the
policy as DESIGN §1-2 state it (``PEOPLE``, ``GRANTS``, ``TARGETS``), never by asking
``ipplan.permissions``; the objects are built through the services (``matrix_objects.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from departments.models import Department, User
from ipplan.models import ApiToken, Tombstone
from ipplan.permissions import Action
from notifications.models import Notification
from tasks import models
from tasks.choices import TaskStatus
from webhooks.models import Delivery, Subscription

from ..factories import World, client_for, make_world
from .matrix_objects import EVIDENCE, OWNED, Objects, owner_of

A = Action
REGION, LEAD, ASSIGNED, OWN = "region", "lead", "assigned", "own"

# --- the policy as the design states it (written out by hand, not read from the code) ------------

_READ = {
    A.VIEW_PLAN: REGION,
    A.VIEW_TASK: REGION,
    A.VIEW_DASHBOARD: REGION,
    A.VIEW_DEPARTMENT: REGION,
    A.VIEW_OWN_NOTIFICATIONS: OWN,
}
_BUREAU = {
    **_READ,
    A.IMPORT_PLAN: REGION,
    A.REVIEW_REPORT: REGION,
    A.DECIDE_COMPLETION: REGION,
    A.DECIDE_EXTENSION: REGION,
    A.URGE_TASK: REGION,
    A.EDIT_DEADLINE: REGION,
    A.ENTER_READING: REGION,
    A.MANAGE_WEBHOOKS: REGION,
    A.MAINTAIN_PLAN: REGION,
    A.VIEW_ASSESSMENT: REGION,
}
_LIAISON = {
    **_READ,
    A.UPDATE_PROGRESS: LEAD,
    A.SUBMIT_REPORT: ASSIGNED,
    A.REQUEST_COMPLETION: LEAD,
    A.REQUEST_EXTENSION: LEAD,
    A.ENTER_READING: ASSIGNED,
}
#: role -> the actions the API exposes -> where the role may perform them
GRANTS: dict[str, dict[Action, str]] = {
    "admin": _BUREAU,
    "bureau": _BUREAU,
    "leader": {**_READ, A.VIEW_ASSESSMENT: REGION},
    "dept_head": {**_LIAISON, A.SIGN_OFF_COMPLETION: LEAD},
    "dept_staff": _LIAISON,
    # 三员分立: the security administrator sees the department registry (for accounts), the
    # audit administrator nothing of the API but their own notifications
    "security_admin": {A.VIEW_DEPARTMENT: REGION, A.VIEW_OWN_NOTIFICATIONS: OWN},
    "audit_admin": {A.VIEW_OWN_NOTIFICATIONS: OWN},
}

#: region -> the region above it
REGION_PARENT: dict[str, str | None] = {"东莞市": "广东省", "珠海市": "广东省", "广东省": None}


@dataclass(frozen=True)
class Person:
    role: str
    region: str | None  # None: an administrator without a region, who sees every region
    department: str | None = None


#: the users of ``make_world()``
PEOPLE = {
    "admin": Person("admin", None),
    "security": Person("security_admin", None),
    "auditor": Person("audit_admin", None),
    "bureau": Person("bureau", "东莞市", "市知识产权局"),
    "province": Person("bureau", "广东省"),
    "other_bureau": Person("bureau", "珠海市"),
    "leader": Person("leader", "东莞市"),
    "head": Person("dept_head", "东莞市", "市科技局"),
    "staff": Person("dept_staff", "东莞市", "市科技局"),
    "other_staff": Person("dept_staff", "东莞市", "市财政局"),
    "foreign_staff": Person("dept_staff", "珠海市", "市科技创新局"),
}
CALLERS: list[str | None] = [None, *PEOPLE]


@dataclass(frozen=True)
class Target:
    region: str
    lead: frozenset[str]
    assigned: frozenset[str]  # lead or responsible


#: where each target lives and which departments its task has (see matrix_objects.py)
TARGETS = {
    "own": Target("东莞市", frozenset({"市科技局"}), frozenset({"市科技局", "市财政局"})),
    "other": Target("东莞市", frozenset({"市财政局"}), frozenset({"市财政局"})),
    "foreign": Target("珠海市", frozenset({"市科技创新局"}), frozenset({"市科技创新局"})),
}
#: resources that belong to a region but to no department: a plan, its parts, a deletion
REGIONAL = frozenset({"plan", "section", "phase", "tombstone", "subscription", "subscription_off"})


def targets_of(resource: str | None) -> tuple[str | None, ...]:
    if resource is None:
        return (None,)
    return ("own", "foreign") if resource in REGIONAL else ("own", "other", "foreign")


def covers(person: Person, region: str | None) -> bool:
    """Is ``region`` the person's region or one below it?"""
    if person.region is None:
        return person.role in ("admin", "security_admin", "audit_admin")
    while region is not None:
        if region == person.region:
            return True
        region = REGION_PARENT[region]
    return False


def may(caller: str, action: Action, resource: str | None = None, target: str | None = None) -> bool:
    """May ``caller`` perform ``action`` (on the ``target`` object of ``resource``)?"""
    person = PEOPLE[caller]
    scope = GRANTS[person.role].get(action)
    if scope is None:
        return False
    if target is None:
        return True
    assert resource is not None
    if scope == OWN:
        return resource in OWNED and owner_of(resource, target, caller) == caller
    facts = TARGETS[target]
    if not covers(person, facts.region):
        return False
    if scope == LEAD:
        return person.department in facts.lead
    if scope == ASSIGNED:
        return person.department in facts.assigned
    return True


# --- the operations ------------------------------------------------------------------------------

Body = dict[str, Any] | Callable[[World, str | None], dict[str, Any]] | None


@dataclass(frozen=True)
class Op:
    """How one operation is governed and how to call it successfully."""

    resource: str | None = None  # what ``{id}`` names (for a list: what it lists)
    read: Action | None = None  # decides whether the object is visible at all (404)
    act: Action | None = None  # the caller must be allowed this on the object (403)
    gate: Action | None = None  # checked on the role before any object is looked up (403)
    ok: int = 200
    body: Body = None
    if_match: bool = False  # needs the object's ETag
    lists: bool = False  # a list: the targets appear exactly when they are visible
    #: when ``act`` is refused but this action is allowed: the business status the API answers
    otherwise: tuple[Action, int] | None = None
    variant: str = ""
    writes: bool = True  # a successful unsafe call changes stored data
    #: a body that depends on the target object (built, like the target, before the snapshot)
    body_for: Callable[[World, Any], dict[str, Any]] | None = None


def visible(caller: str, op: Op, target: str) -> bool:
    """Does the caller see the ``target`` object at all (or get 404 as if it did not exist)?"""
    if op.resource in OWNED:
        owner = owner_of(op.resource, target, caller)
        if op.resource == "import" and owner != caller:
            # an import is shared with the other coordinators of its region (issue 13: a second
            # bureau user sees the corrections); its region is its owner's (东莞 when none)
            person = PEOPLE[caller]
            region = PEOPLE[owner].region or "东莞市"
            return person.region == region and may(caller, A.IMPORT_PLAN)
        return owner == caller
    assert op.read is not None
    return may(caller, op.read, op.resource, target)


def expected_status(op: Op, caller: str | None, target: str | None) -> int:
    if caller is None:
        return 401
    if op.gate is not None and not may(caller, op.gate):
        return 403
    if target is not None and not visible(caller, op, target):
        return 404
    if op.act is not None and not may(caller, op.act, op.resource, target):
        if op.otherwise is not None and may(caller, op.otherwise[0], op.resource, target):
            return op.otherwise[1]
        return 403
    return op.ok


def label(key: tuple[str, str], op: Op) -> str:
    method, path = key
    return f"{method} {path} [{op.variant}]" if op.variant else f"{method} {path}"


def matrix_params(table: dict[tuple[str, str], tuple[Op, ...]]) -> list[Any]:
    """The cases of ``table``: each operation for each caller on each of its targets."""
    return [
        pytest.param(
            key,
            op,
            caller,
            target,
            id=" ".join(filter(None, [label(key, op), caller or "anonymous", target])),
        )
        for key, ops in table.items()
        for op in ops
        for target in (targets_of(op.resource) if "{id}" in key[1] else (None,))
        for caller in CALLERS
    ]


def matrix_case(method: str, path: str, *ops: Op) -> Callable[..., None]:
    """A parametrized test of one operation (``path`` with ``{id}`` for an object), every caller
    and target; assign it to a ``test_…`` name in a test module."""

    @pytest.mark.django_db
    @pytest.mark.parametrize(("key", "op", "caller", "target"), matrix_params({(method, path): ops}))
    def test_matrix_case(
        matrix_world: World, key: tuple[str, str], op: Op, caller: str | None, target: str | None
    ) -> None:
        check_case(matrix_world, key, op, caller, target)

    return test_matrix_case


# --- the world, and running one request ---------------------------------------------------------


def _fresh(obj: Any) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)


def _read_again(world: World) -> World:
    """The world's objects as stored (a service may hand back an object older than its row)."""
    values: dict[str, Any] = {}
    for field in fields(World):
        value = getattr(world, field.name)
        values[field.name] = (
            {k: _fresh(u) for k, u in value.items()} if field.name == "users" else _fresh(value)
        )
    return World(**values)


@pytest.fixture(scope="module")
def _world_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """make_world() once for the module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _read_again(make_world())
        transaction.set_rollback(True)


@pytest.fixture
def matrix_world(_world_once: World, db: None, _fresh_state: None) -> World:
    """A fresh world for each case: ``db`` runs the case in a savepoint of the module's transaction
    (rolled back after it), and each case gets its own copy of the objects as stored after
    make_world() (what ``setUpTestData`` does), so that no case sees another's changes to them."""
    return copy.deepcopy(_world_once)


def _rows() -> tuple[Any, ...]:
    """What a case could leave behind for the next: the tasks, what hangs on them, the people."""
    return (
        list(models.Task.objects.order_by("pk").values_list("pk", "version", "status", "progress")),
        models.TaskRequest.objects.count(),
        models.ProgressReport.objects.count(),
        User.objects.count(),
        Department.objects.count(),
    )


@pytest.fixture(scope="module")
def _world_rows(_world_once: World) -> tuple[Any, ...]:
    return _rows()


@pytest.fixture(name="world")
def world_once(matrix_world: World, _world_rows: tuple[Any, ...]) -> World:
    """``world`` for a module of table-style cases, built once for the module: each case runs in a
    savepoint of it, on its own copy of the objects. A module takes it with
    ``from ..support.matrix import world_once`` (pytest finds the fixture by its name, ``world``);
    its tests must not need ``transaction=True``, and one that does not ask for ``world`` may still
    run inside it (and see its rows)."""
    assert _rows() == _world_rows, "the case starts with what an earlier one wrote"
    return matrix_world


@pytest.fixture(scope="module")
def _media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture
def _fresh_state(settings: Any, _media: Path) -> None:
    # Throttle budgets live in the cache, and token ids repeat across rolled-back cases.
    cache.clear()
    settings.MEDIA_ROOT = _media


def assert_pristine() -> None:
    """Guards the savepoint strategy: no case starts with what an earlier one wrote."""
    assert set(models.Task.objects.values_list("version", "status")) == {(1, TaskStatus.NOT_STARTED)}
    assert not (
        models.TaskRequest.objects.exists()
        or models.ProgressReport.objects.exists()
        or models.PlanImport.objects.exists()
        or Tombstone.objects.exists()
        or ApiToken.objects.exists()
        or Subscription.objects.exists()
    )


def snapshot() -> list[Any]:
    """What a write of the API could change."""
    return [
        list(
            models.Task.objects.order_by("pk").values_list("pk", "version", "status", "progress", "due_date")
        ),
        list(models.TaskRequest.objects.order_by("pk").values_list("pk", "state")),
        list(models.ProgressReport.objects.order_by("pk").values_list("pk", "review_status")),
        list(models.IndicatorReading.objects.order_by("pk").values_list("pk", "value")),
        list(models.PlanImport.objects.order_by("pk").values_list("pk", "state", "version")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        models.Urge.objects.count(),
        list(models.Plan.objects.order_by("pk").values_list("pk", "version", "title")),
        list(models.Section.objects.order_by("pk").values_list("pk", "version", "title")),
        list(models.Assignment.objects.order_by("pk").values_list("pk", "task_id", "department_id", "role")),
        list(Subscription.objects.order_by("pk").values_list("pk", "version", "is_active")),
        Delivery.objects.count(),
    ]


def request_body(op: Op, world: World, caller: str | None, obj: Any) -> dict[str, Any] | None:
    """The request body; built before the snapshot, since some bodies need objects of their own."""
    if op.body_for is not None:
        return op.body_for(world, obj)
    return op.body(world, caller) if callable(op.body) else op.body


def send(
    client: APIClient,
    method: str,
    url: str,
    op: Op,
    world: World,
    caller: str | None,
    obj: Any,
    body: dict[str, Any] | None,
) -> Any:
    headers: dict[str, str] = {}
    if op.if_match:
        # the current ETag: "<model>-<id>-<version>", the version read afresh
        version = type(obj)._default_manager.values_list("version", flat=True).get(pk=obj.pk)
        headers["HTTP_IF_MATCH"] = f'"{obj._meta.model_name}-{obj.pk}-{version}"'
    if method == "GET":
        return client.get(url, **headers)
    send = getattr(client, method.lower())
    return send(url, body, format="json", **headers)


def describe(response: Any) -> str:
    if getattr(response, "streaming", False):
        return f"{response.status_code} (file)"
    return f"{response.status_code} {response.content.decode(errors='replace')[:600]}"


def assert_problem(response: Any) -> dict[str, Any]:
    """An error is RFC 9457 problem details whose ``status`` is the HTTP status."""
    assert response["Content-Type"].startswith("application/problem+json"), describe(response)
    problem = response.json()
    assert problem["status"] == response.status_code, problem
    assert {"type", "title", "detail", "code"} <= problem.keys(), problem
    return problem


def check_case(world: World, key: tuple[str, str], op: Op, caller: str | None, target: str | None) -> None:
    """Run one case of the matrix: ``caller`` calls the operation ``key`` on the ``target`` object."""
    method, path = key
    assert_pristine()
    objects = Objects(world)
    url, obj = path, None
    if target is not None:
        assert op.resource is not None
        obj = objects.build(op.resource, target, caller)
        url = path.replace("{id}", str(obj.pk))
    listed: dict[str, int] = {}
    if op.lists:
        assert op.resource is not None
        listed = {t: objects.build(op.resource, t, caller).pk for t in targets_of(op.resource) if t}
    client = client_for(world.users[caller]) if caller else APIClient()
    body = request_body(op, world, caller, obj)
    before = snapshot() if method != "GET" else None

    response = send(client, method, url, op, world, caller, obj, body)

    want = expected_status(op, caller, target)
    assert response.status_code == want, f"expected {want}, got {describe(response)}"
    if want >= 400:
        problem = assert_problem(response)
        if want == 401:
            assert response.has_header("WWW-Authenticate"), problem
        if before is not None:
            assert snapshot() == before, "a refused write changed data"
    elif before is not None and op.writes:
        assert snapshot() != before, f"a successful write changed nothing: {describe(response)}"
    elif op.lists:
        assert caller is not None
        shown = {row["id"] for row in response.json()["results"]}
        seen = {t: pk in shown for t, pk in listed.items()}
        assert seen == {t: visible(caller, op, t) for t in listed}, seen
    if getattr(response, "streaming", False):
        # Reading the file to its end closes it the way the test client expects; response.close()
        # here would fire request_finished and close the database connection under the test.
        assert b"".join(response.streaming_content) == EVIDENCE
