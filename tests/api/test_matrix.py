"""The API permission matrix: every operation x role x own/other department and other region.

How it is built (the machinery is tests/support/matrix.py, reusable for any endpoint):

* ``EXPECTED`` has a row for each operation of the OpenAPI schema, keyed ``(method, path
  template)``: what the ``{id}`` names, the Action that decides whether the caller sees it, the
  Action the caller must be allowed on it, a minimal valid body and the status of success.
  ``test_every_operation_is_in_the_matrix`` fails when the schema and the table disagree, so a new
  endpoint cannot escape the matrix.
* The expected status is derived by hand from the policy as DESIGN §1-2 state it (``PEOPLE``,
  ``GRANTS``, ``TARGETS`` in the support module), never by asking ``ipplan.permissions``:
  anonymous → 401; a role refused outright by a role check (``gate``) → 403; an object out of
  the caller's reach → 404; visible but the action not allowed on it → 403; allowed → the success
  status (or the documented business refusal, e.g. 409).
* Lists are checked too: each target appears in the list exactly when the caller may see it.
  Refused writes must change nothing; successful ones must change something.
* Every case runs on a fresh ``world`` (tests/conftest.py's ``make_world()``, built once per module
  and restored by rolling each case back to a savepoint) with a read-write token of the caller;
  the targets (``tests/support/matrix_objects.py``) are built through the services.
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from departments.models import Department
from departments.services import department_create
from tasks.choices import AssignmentRole, TaskStatus
from tasks.models import Assignment, Plan, Section, Task
from tasks.services import section_create, task_create

from ..conftest import World
from ..factories import client_for
from ..support.matrix import (
    GRANTS,
    PEOPLE,
    TARGETS,
    A,
    Op,
    assert_problem,
    check_case,
    describe,
    matrix_case,
    matrix_params,
    request_body,
    send,
    snapshot,
)
from ..support.matrix_objects import LATER, PLAN_TEXT, Objects

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def world(matrix_world: World) -> World:
    """The module's world, fresh for each case (a savepoint of one ``make_world()``)."""
    return matrix_world


@pytest.mark.parametrize(("key", "op", "caller", "target"), matrix_params(EXPECTED))
def test_matrix(world: World, key: tuple[str, str], op: Op, caller: str | None, target: str | None) -> None:
    check_case(world, key, op, caller, target)


# --- the table itself ----------------------------------------------------------------------------

#: the one-line form a test module uses for a new endpoint (here a row of the table, run again so
#: that the form itself is tested)
test_matrix_case_one_line = matrix_case(
    "GET", "/api/v1/departments/{id}/", *EXPECTED[("GET", "/api/v1/departments/{id}/")]
)

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

    assert response.status_code == 200, describe(response)
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
    body = request_body(op, world, "bureau", obj)
    before = snapshot()
    client = client_for(world.users["bureau"], write=False)

    response = send(client, method, url, op, world, "bureau", obj, body)

    assert response.status_code == 403, describe(response)
    assert assert_problem(response)["code"] == "token_read_only"
    assert snapshot() == before
