"""The API permission matrix: every operation x role x own/other department and other region.

How it is built:

* ``EXPECTED`` has a row for each operation of the OpenAPI schema, keyed ``(method, path
  template)``: what the ``{id}`` names, the Action that decides whether the caller sees it, the
  Action the caller must be allowed on it, a minimal valid body and the status of success.
  ``test_every_operation_is_in_the_matrix`` fails when the schema and the table disagree, so a new
  endpoint cannot escape the matrix.
* The expected status is derived here by hand from the policy as DESIGN §1-2 state it (``PEOPLE``,
  ``GRANTS``, ``TARGETS``), never by asking ``ipplan.permissions``: anonymous → 401; a role
  refused outright by a role check (``gate``) → 403; an object out of the caller's reach → 404;
  visible but the action not allowed on it → 403; allowed → the success status (or the documented
  business refusal, e.g. 409).
* Lists are checked too: each target appears in the list exactly when the caller may see it.
  Refused writes must change nothing; successful ones must change something.
* Every case runs on a fresh ``world`` (tests/conftest.py's ``make_world()``, built once per module
  and restored by rolling each case back to a savepoint) with a read-write token of the caller;
  the targets (``matrix_objects.py``) are built through the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from departments.models import Department
from departments.services import department_create
from ipplan.models import ApiToken, Tombstone
from ipplan.permissions import Action
from tasks.choices import AssignmentRole, TaskStatus
from tasks.models import (
    Assignment,
    IndicatorReading,
    Notification,
    Plan,
    PlanImport,
    ProgressReport,
    Section,
    Task,
    TaskRequest,
    Urge,
)
from tasks.services import section_create, task_create
from webhooks.models import Delivery, Subscription

from ..conftest import World, make_world
from .conftest import client_for
from .matrix_objects import EVIDENCE, LATER, OWNED, PLAN_TEXT, Objects, owner_of

pytestmark = pytest.mark.django_db

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


def _region_code(world: World, caller: str | None) -> str:
    """The caller's region (东莞 for an administrator without one)."""
    user = world.users[caller] if caller else None
    return ((user.region if user else None) or world.city).code


def _import_body(world: World, caller: str | None) -> dict[str, Any]:
    return {"text": PLAN_TEXT, "region": _region_code(world, caller)}


def _subscription_body(world: World, caller: str | None) -> dict[str, Any]:
    return {
        "url": "https://oa.example.gov.cn/ipplan/hook",
        "events": ["task.status_changed", "completion.approved"],
        "region": _region_code(world, caller),
        "description": "督办系统",
    }


REVIEW = {"approve": True, "comment": "同意"}


# --- bodies of the plan maintenance operations (they need objects of the target's plan) ---------


def _spare_department(task: Task) -> Department:
    """A department of the task's region that the task does not have yet."""
    spare = Department.objects.filter(region=task.plan.region).exclude(assignments__task=task).first()
    return spare or department_create(actor=None, region=task.plan.region, name="矩阵配合单位")


def _reassign_body(world: World, task: Task) -> dict[str, Any]:
    leads = list(task.assignments.filter(role=AssignmentRole.LEAD).values_list("department_id", flat=True))
    return {"lead": leads, "cooperating": [_spare_department(task).pk], "reason": "机构改革"}


def _merge_body(world: World, task: Task) -> dict[str, Any]:
    lead = task.assignments.filter(role=AssignmentRole.LEAD).first()
    assert lead is not None
    other = task_create(
        actor=None, plan=task.plan, path=f"{task.path}.m", title="待合并任务", lead=[lead.department]
    )
    return {"other": other.pk, "other_version": other.version}


def _move_body(world: World, task: Task) -> dict[str, Any]:
    return {"section": section_create(plan=task.plan, label="(九)", title="矩阵目标章节").pk}


def _restore_body(world: World, task: Task) -> dict[str, Any]:
    # the target is cancelled first (a fixture shortcut: the cancel service has its own row)
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.CANCELLED, status_before_cancel=TaskStatus.IN_PROGRESS, cancel_reason="测试"
    )
    return {"reason": "误取消"}


def _add_task_body(world: World, plan: Plan) -> dict[str, Any]:
    section = Section.objects.filter(plan=plan).order_by("pk").first() or section_create(
        plan=plan, label="一", title="主要任务"
    )
    lead = Department.objects.filter(region=plan.region).order_by("pk").first()
    assert lead is not None
    return {"section": section.pk, "title": "领导交办的新任务", "lead": [lead.pk]}


_MAINTAIN = {"read": A.VIEW_TASK, "act": A.MAINTAIN_PLAN, "if_match": True}

#: webhook subscriptions: the role check comes first (403), then the region (404)
_HOOK = {"gate": A.MANAGE_WEBHOOKS, "read": A.MANAGE_WEBHOOKS}

EXPECTED: dict[tuple[str, str], tuple[Op, ...]] = {
    ("GET", "/api/v1/me/"): (Op(),),
    ("GET", "/api/v1/dashboard/"): (Op(gate=A.VIEW_DASHBOARD),),
    ("GET", "/api/v1/assessment/snapshots/"): (Op(gate=A.VIEW_ASSESSMENT),),
    ("GET", "/api/v1/deleted/"): (Op("tombstone", read=A.VIEW_TASK, lists=True),),
    ("GET", "/api/v1/deleted/{id}/"): (Op("tombstone", read=A.VIEW_TASK),),
    ("GET", "/api/v1/departments/"): (Op("department", read=A.VIEW_DEPARTMENT, lists=True),),
    ("GET", "/api/v1/departments/{id}/"): (Op("department", read=A.VIEW_DEPARTMENT),),
    ("POST", "/api/v1/imports/"): (Op(gate=A.IMPORT_PLAN, ok=201, body=_import_body),),
    ("GET", "/api/v1/imports/{id}/"): (Op("import", gate=A.IMPORT_PLAN),),
    ("PATCH", "/api/v1/imports/{id}/"): (
        Op(
            "import",
            gate=A.IMPORT_PLAN,
            body={"edits": [{"op": "plan", "title": "改正的标题"}]},
            if_match=True,
        ),
    ),
    ("POST", "/api/v1/imports/{id}/commit/"): (
        Op("import", gate=A.IMPORT_PLAN, ok=201, body={"create_missing": True}),
    ),
    ("GET", "/api/v1/indicators/"): (Op("indicator", read=A.VIEW_PLAN, lists=True),),
    ("GET", "/api/v1/indicators/{id}/"): (Op("indicator", read=A.VIEW_PLAN),),
    ("GET", "/api/v1/indicators/{id}/readings/"): (Op("indicator", read=A.VIEW_PLAN),),
    ("POST", "/api/v1/indicators/{id}/readings/"): (
        Op(
            "indicator",
            read=A.VIEW_PLAN,
            act=A.ENTER_READING,
            ok=201,
            body={"value": "12.5", "observed_on": "2026-06-30", "note": "统计局数据"},
        ),
    ),
    ("GET", "/api/v1/notifications/"): (Op("notification", read=A.VIEW_OWN_NOTIFICATIONS, lists=True),),
    ("GET", "/api/v1/notifications/{id}/"): (Op("notification", read=A.VIEW_OWN_NOTIFICATIONS),),
    # (with nothing unread, marking everything read changes nothing)
    ("POST", "/api/v1/notifications/mark-read/"): (Op(gate=A.VIEW_OWN_NOTIFICATIONS, body={}, writes=False),),
    ("GET", "/api/v1/phases/"): (Op("phase", read=A.VIEW_PLAN, lists=True),),
    ("GET", "/api/v1/phases/{id}/"): (Op("phase", read=A.VIEW_PLAN),),
    ("GET", "/api/v1/plans/"): (Op("plan", read=A.VIEW_PLAN, lists=True),),
    ("GET", "/api/v1/plans/{id}/"): (Op("plan", read=A.VIEW_PLAN),),
    ("PATCH", "/api/v1/plans/{id}/"): (
        Op("plan", read=A.VIEW_PLAN, act=A.MAINTAIN_PLAN, body={"title": "修订后的方案"}, if_match=True),
    ),
    ("POST", "/api/v1/plans/{id}/tasks/"): (
        Op("plan", read=A.VIEW_PLAN, act=A.MAINTAIN_PLAN, ok=201, body_for=_add_task_body),
    ),
    ("GET", "/api/v1/reports/"): (Op("report", read=A.VIEW_TASK, lists=True),),
    ("GET", "/api/v1/reports/{id}/"): (Op("report", read=A.VIEW_TASK),),
    ("POST", "/api/v1/reports/{id}/review/"): (
        Op("report", read=A.VIEW_TASK, act=A.REVIEW_REPORT, body={"accept": True, "comment": "属实"}),
    ),
    ("GET", "/api/v1/requests/"): (Op("request_signoff", read=A.VIEW_TASK, lists=True),),
    ("GET", "/api/v1/requests/{id}/"): (Op("request_signoff", read=A.VIEW_TASK),),
    ("POST", "/api/v1/requests/{id}/decision/"): (
        Op(
            "request_review",
            read=A.VIEW_TASK,
            act=A.DECIDE_COMPLETION,
            body=REVIEW,
            variant="approve completion",
        ),
        Op(
            "request_extension",
            read=A.VIEW_TASK,
            act=A.DECIDE_EXTENSION,
            body=REVIEW,
            variant="approve extension",
        ),
        # Before sign-off only the lead department's head may return a completion request; the
        # bureau may return it too, but only after sign-off: at this stage it gets 409.
        Op(
            "request_signoff",
            read=A.VIEW_TASK,
            act=A.SIGN_OFF_COMPLETION,
            otherwise=(A.DECIDE_COMPLETION, 409),
            body={"approve": False, "comment": "材料不全"},
            variant="return before sign-off",
        ),
    ),
    ("POST", "/api/v1/requests/{id}/sign-off/"): (
        Op("request_signoff", read=A.VIEW_TASK, act=A.SIGN_OFF_COMPLETION),
    ),
    ("GET", "/api/v1/sections/"): (Op("section", read=A.VIEW_PLAN, lists=True),),
    ("GET", "/api/v1/sections/{id}/"): (Op("section", read=A.VIEW_PLAN),),
    ("PATCH", "/api/v1/sections/{id}/"): (
        Op("section", read=A.VIEW_PLAN, act=A.MAINTAIN_PLAN, body={"title": "修订后的章节"}, if_match=True),
    ),
    ("GET", "/api/v1/tasks/"): (Op("task", read=A.VIEW_TASK, lists=True),),
    ("GET", "/api/v1/tasks/{id}/"): (Op("task", read=A.VIEW_TASK),),
    ("PATCH", "/api/v1/tasks/{id}/"): (
        Op(
            "task",
            read=A.VIEW_TASK,
            act=A.UPDATE_PROGRESS,
            body={"progress": 30, "reason": "按计划推进"},
            if_match=True,
            variant="progress",
        ),
        Op(
            "task",
            read=A.VIEW_TASK,
            act=A.EDIT_DEADLINE,
            body={"due_date": LATER.isoformat()},
            if_match=True,
            variant="due_date",
        ),
        Op("task", body={"title": "修订后的任务", "full_text": "修订后的全文"}, variant="title", **_MAINTAIN),
    ),
    ("PUT", "/api/v1/tasks/{id}/assignments/"): (Op("task", body_for=_reassign_body, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/split/"): (Op("task", ok=201, body={"title": "拆出的任务"}, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/merge/"): (Op("task", body_for=_merge_body, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/move/"): (Op("task", body_for=_move_body, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/cancel/"): (Op("task", body={"reason": "已由新方案覆盖"}, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/restore/"): (Op("task", body_for=_restore_body, **_MAINTAIN),),
    ("POST", "/api/v1/tasks/{id}/completion/"): (
        Op(
            "task",
            read=A.VIEW_TASK,
            act=A.REQUEST_COMPLETION,
            ok=201,
            body={"reason": "已完成"},
            if_match=True,
        ),
    ),
    ("POST", "/api/v1/tasks/{id}/extension/"): (
        Op(
            "task",
            read=A.VIEW_TASK,
            act=A.REQUEST_EXTENSION,
            ok=201,
            body={"requested_due_date": LATER.isoformat(), "reason": "需要更多时间"},
        ),
    ),
    ("GET", "/api/v1/tasks/{id}/history/"): (Op("task", read=A.VIEW_TASK),),
    ("POST", "/api/v1/tasks/{id}/reports/"): (
        Op(
            "task",
            read=A.VIEW_TASK,
            act=A.SUBMIT_REPORT,
            ok=201,
            body={"text": "完成专利导航", "percent": 40, "period": "2026-Q2"},
        ),
    ),
    ("POST", "/api/v1/tasks/{id}/urge/"): (
        Op("task", read=A.VIEW_TASK, act=A.URGE_TASK, ok=201, body={"message": "请加快进度"}),
    ),
    ("GET", "/api/v1/attachments/{id}/download/"): (Op("attachment", read=A.VIEW_TASK),),
    ("GET", "/api/v1/webhooks/"): (Op("subscription", lists=True, **_HOOK),),
    ("POST", "/api/v1/webhooks/"): (Op(gate=A.MANAGE_WEBHOOKS, ok=201, body=_subscription_body),),
    ("GET", "/api/v1/webhooks/event-types/"): (Op(gate=A.MANAGE_WEBHOOKS),),
    ("GET", "/api/v1/webhooks/{id}/"): (Op("subscription", **_HOOK),),
    ("PATCH", "/api/v1/webhooks/{id}/"): (
        Op("subscription", act=A.MANAGE_WEBHOOKS, body={"description": "新督办系统"}, if_match=True, **_HOOK),
    ),
    ("DELETE", "/api/v1/webhooks/{id}/"): (
        Op("subscription", act=A.MANAGE_WEBHOOKS, ok=204, if_match=True, **_HOOK),
    ),
    ("GET", "/api/v1/webhooks/{id}/deliveries/"): (Op("subscription", **_HOOK),),
    ("POST", "/api/v1/webhooks/{id}/enable/"): (
        Op("subscription_off", act=A.MANAGE_WEBHOOKS, if_match=True, **_HOOK),
    ),
    ("POST", "/api/v1/webhooks/{id}/rotate-secret/"): (
        Op("subscription", act=A.MANAGE_WEBHOOKS, if_match=True, **_HOOK),
    ),
    ("POST", "/api/v1/webhooks/{id}/test/"): (Op("subscription", act=A.MANAGE_WEBHOOKS, ok=201, **_HOOK),),
}


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


def _label(key: tuple[str, str], op: Op) -> str:
    method, path = key
    return f"{method} {path} [{op.variant}]" if op.variant else f"{method} {path}"


CASES = [
    pytest.param(
        key, op, caller, target, id=" ".join(filter(None, [_label(key, op), caller or "anonymous", target]))
    )
    for key, ops in EXPECTED.items()
    for op in ops
    for target in (targets_of(op.resource) if "{id}" in key[1] else (None,))
    for caller in CALLERS
]


# --- the world, and running one request ---------------------------------------------------------


@pytest.fixture(scope="module")
def _world_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """make_world() once for the module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield make_world()
        transaction.set_rollback(True)


def _fresh(obj: Any) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)


@pytest.fixture
def world(_world_once: World, db: None) -> World:
    """A fresh world for each case: ``db`` runs the case in a savepoint of the module's transaction
    (rolled back after it), and the objects are read again so that no case sees another's."""
    values: dict[str, Any] = {}
    for field in fields(World):
        value = getattr(_world_once, field.name)
        values[field.name] = (
            {k: _fresh(u) for k, u in value.items()} if field.name == "users" else _fresh(value)
        )
    return World(**values)


@pytest.fixture(scope="module")
def _media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def _fresh_state(settings: Any, _media: Path) -> None:
    # Throttle budgets live in the cache, and token ids repeat across rolled-back cases.
    cache.clear()
    settings.MEDIA_ROOT = _media


def _assert_pristine() -> None:
    """Guards the savepoint strategy: no case starts with what an earlier one wrote."""
    assert set(Task.objects.values_list("version", "status")) == {(1, TaskStatus.NOT_STARTED)}
    assert not (
        TaskRequest.objects.exists()
        or ProgressReport.objects.exists()
        or PlanImport.objects.exists()
        or Tombstone.objects.exists()
        or ApiToken.objects.exists()
        or Subscription.objects.exists()
    )


def _snapshot() -> list[Any]:
    """What a write of the API could change."""
    return [
        list(Task.objects.order_by("pk").values_list("pk", "version", "status", "progress", "due_date")),
        list(TaskRequest.objects.order_by("pk").values_list("pk", "state")),
        list(ProgressReport.objects.order_by("pk").values_list("pk", "review_status")),
        list(IndicatorReading.objects.order_by("pk").values_list("pk", "value")),
        list(PlanImport.objects.order_by("pk").values_list("pk", "state", "version")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        Urge.objects.count(),
        list(Plan.objects.order_by("pk").values_list("pk", "version", "title")),
        list(Section.objects.order_by("pk").values_list("pk", "version", "title")),
        list(Assignment.objects.order_by("pk").values_list("pk", "task_id", "department_id", "role")),
        list(Subscription.objects.order_by("pk").values_list("pk", "version", "is_active")),
        Delivery.objects.count(),
    ]


def _body(op: Op, world: World, caller: str | None, obj: Any) -> dict[str, Any] | None:
    """The request body; built before the snapshot, since some bodies need objects of their own."""
    if op.body_for is not None:
        return op.body_for(world, obj)
    return op.body(world, caller) if callable(op.body) else op.body


def _send(
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


def _describe(response: Any) -> str:
    if getattr(response, "streaming", False):
        return f"{response.status_code} (file)"
    return f"{response.status_code} {response.content.decode(errors='replace')[:600]}"


def assert_problem(response: Any) -> dict[str, Any]:
    """An error is RFC 9457 problem details whose ``status`` is the HTTP status."""
    assert response["Content-Type"].startswith("application/problem+json"), _describe(response)
    problem = response.json()
    assert problem["status"] == response.status_code, problem
    assert {"type", "title", "detail", "code"} <= problem.keys(), problem
    return problem


@pytest.mark.parametrize(("key", "op", "caller", "target"), CASES)
def test_matrix(world: World, key: tuple[str, str], op: Op, caller: str | None, target: str | None) -> None:
    method, path = key
    _assert_pristine()
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
    body = _body(op, world, caller, obj)
    before = _snapshot() if method != "GET" else None

    response = _send(client, method, url, op, world, caller, obj, body)

    want = expected_status(op, caller, target)
    assert response.status_code == want, f"expected {want}, got {_describe(response)}"
    if want >= 400:
        problem = assert_problem(response)
        if want == 401:
            assert response.has_header("WWW-Authenticate"), problem
        if before is not None:
            assert _snapshot() == before, "a refused write changed data"
    elif before is not None and op.writes:
        assert _snapshot() != before, f"a successful write changed nothing: {_describe(response)}"
    elif op.lists:
        assert caller is not None
        shown = {row["id"] for row in response.json()["results"]}
        seen = {t: pk in shown for t, pk in listed.items()}
        assert seen == {t: visible(caller, op, t) for t in listed}, seen
    if getattr(response, "streaming", False):
        # Reading the file to its end closes it the way the test client expects; response.close()
        # here would fire request_finished and close the database connection under the test.
        assert b"".join(response.streaming_content) == EVIDENCE


# --- the table itself ----------------------------------------------------------------------------

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_every_operation_is_in_the_matrix() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    missing = sorted(operations - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - operations)
    assert not missing, f"operations of the API without a row in EXPECTED (add them): {missing}"
    assert not stale, f"rows of EXPECTED that the API no longer has (remove them): {stale}"


def test_the_tables_describe_the_world(world: World) -> None:
    """PEOPLE and TARGETS are hand-written facts about make_world(); keep them true."""
    for name, person in PEOPLE.items():
        user = world.users[name]
        assert user.role == person.role, name
        assert (user.region.name if user.region else None) == person.region, name
        if person.department is not None:
            assert user.department is not None and user.department.name == person.department, name
    tasks = {"own": world.task, "other": world.other_task, "foreign": world.foreign_task}
    for target, facts in TARGETS.items():
        task = tasks[target]
        assert task.plan.region.name == facts.region, target
        rows = Assignment.objects.filter(task=task).values_list("department__name", "role")
        assert {name for name, role in rows if role == AssignmentRole.LEAD} == facts.lead, target
        assert {name for name, _role in rows} == facts.assigned, target
    assert set(GRANTS) == {p.role for p in PEOPLE.values()}


@pytest.mark.parametrize("target", ["own", "other", "foreign"])
def test_mark_read_marks_only_the_callers_notifications(world: World, target: str) -> None:
    """mark-read takes ids: another user's notification among them is left alone (and unseen)."""
    notification = Objects(world).notification(target, "staff")
    client = client_for(world.users["staff"])

    response = client.post("/api/v1/notifications/mark-read/", {"ids": [notification.pk]}, format="json")

    assert response.status_code == 200, _describe(response)
    assert response.json() == {"marked": 1 if target == "own" else 0}
    notification.refresh_from_db()
    assert (notification.read_at is not None) == (target == "own")


# --- read-only tokens ----------------------------------------------------------------------------

UNSAFE = [
    pytest.param(key, ops[0], id=f"{key[0]} {key[1]}") for key, ops in EXPECTED.items() if key[0] != "GET"
]


@pytest.mark.parametrize(("key", "op"), UNSAFE)
def test_read_only_token_cannot_write(world: World, key: tuple[str, str], op: Op) -> None:
    method, path = key
    url, obj = path, None
    if "{id}" in path:
        assert op.resource is not None
        obj = Objects(world).build(op.resource, "own", "bureau")
        url = path.replace("{id}", str(obj.pk))
    body = _body(op, world, "bureau", obj)
    before = _snapshot()
    client = client_for(world.users["bureau"], write=False)

    response = _send(client, method, url, op, world, "bureau", obj, body)

    assert response.status_code == 403, _describe(response)
    assert assert_problem(response)["code"] == "token_read_only"
    assert _snapshot() == before
