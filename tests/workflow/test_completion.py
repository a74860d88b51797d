"""Completion (办结): request by the lead department, head sign-off, bureau approval or return."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import User
from departments.services import user_create
from ipplan.exceptions import ConflictError, TransitionError
from ipplan.roles import Role
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.choices import RequestKind, RequestState, TaskStatus
from tasks.models import Task, TaskRequest
from tasks.services import (
    completion_approve,
    completion_request,
    completion_return,
    completion_sign_off,
    extension_request,
    task_update_progress,
    workflow,
)

from ..conftest import PASSWORD, World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)
from .helpers import ALL_USERS, message_to, recipients, unchanged

pytestmark = pytest.mark.django_db

PENDING, RESULT = NotificationKind.REQUEST_PENDING, NotificationKind.REVIEW_RESULT


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def set_status(task: Task, status: str) -> None:
    Task.objects.filter(pk=task.pk).update(status=status)


# --- completion_request -----------------------------------------------------------------------


def test_liaison_request_waits_for_the_head(world: World) -> None:
    staff, head = world.users["staff"], world.users["head"]
    request = completion_request(actor=staff, task=world.task, expected_version=1, reason=" 已全部完成 ")
    assert (request.kind, request.state) == (RequestKind.COMPLETION, RequestState.AWAITING_SIGNOFF)
    assert (request.department, request.requested_by, request.reason) == (
        world.lead_dept,
        staff,
        "已全部完成",
    )
    assert request.signed_off_by is None and request.signed_off_at is None
    task = fresh(world.task)
    assert (task.status, task.version) == (TaskStatus.COMPLETION_REQUESTED, 2)
    latest = task.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (staff, "completion_request")
    assert request.history.get().history_user == staff
    assert recipients(PENDING) == ["head"]
    assert "培育高价值专利" in message_to(head, PENDING) and "请签批" in message_to(head, PENDING)


def test_head_request_is_signed_off_at_once_and_goes_to_the_bureau(world: World) -> None:
    head = world.users["head"]
    request = completion_request(actor=head, task=world.task, expected_version=1)
    assert request.state == RequestState.AWAITING_REVIEW
    assert request.signed_off_by == head and request.signed_off_at is not None
    assert fresh(world.task).status == TaskStatus.COMPLETION_REQUESTED
    # the city bureau and the provincial bureau above it; not 珠海's bureau, not the admin
    assert recipients(PENDING) == ["bureau", "province"]
    assert "请审核" in message_to(world.users["bureau"], PENDING)


def test_request_from_blocked_and_in_progress(world: World) -> None:
    staff = world.users["staff"]
    task_update_progress(actor=staff, task=world.task, expected_version=1, status=TaskStatus.BLOCKED)
    request = completion_request(actor=staff, task=world.task, expected_version=2)
    assert request.state == RequestState.AWAITING_SIGNOFF
    assert fresh(world.task).version == 3


def test_every_active_head_of_the_department_is_asked(world: World) -> None:
    second = user_create(
        actor=None, username="head2", password=PASSWORD, role=Role.DEPT_HEAD, department=world.lead_dept
    )
    retired = user_create(
        actor=None, username="head3", password=PASSWORD, role=Role.DEPT_HEAD, department=world.lead_dept
    )
    User.objects.filter(pk=retired.pk).update(is_active=False)
    completion_request(actor=world.users["staff"], task=world.task, expected_version=1)
    assert recipients(PENDING) == ["head", second.username]


@pytest.mark.parametrize("who", [u for u in ALL_USERS if u not in ("staff", "head")])
def test_only_the_lead_department_may_request(world: World, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_request(actor=world.users[who], task=world.task, expected_version=1)


def test_responsible_department_head_may_not_request(world: World, other_head: User) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_request(actor=other_head, task=world.task, expected_version=1)


@pytest.mark.parametrize(
    "status", [TaskStatus.COMPLETION_REQUESTED, TaskStatus.COMPLETED, TaskStatus.CANCELLED]
)
def test_request_from_a_wrong_status_is_refused(world: World, status: str) -> None:
    set_status(world.task, status)
    with unchanged(), pytest.raises(TransitionError) as caught:
        completion_request(actor=world.users["staff"], task=world.task, expected_version=1)
    assert str(TaskStatus(status).label) in caught.value.messages[0]


def test_stale_version_conflicts(world: World) -> None:
    task_update_progress(actor=world.users["staff"], task=world.task, expected_version=1, progress=50)
    with unchanged(), pytest.raises(ConflictError) as caught:
        completion_request(actor=world.users["staff"], task=world.task, expected_version=1)
    assert caught.value.current["version"] == 2


def test_a_second_open_request_is_refused_by_the_database_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even past the check (a race), the constraint's IntegrityError becomes a clear message."""
    completion_request(actor=world.users["staff"], task=world.task, expected_version=1)
    set_status(world.task, TaskStatus.IN_PROGRESS)  # as if the two requests raced
    monkeypatch.setattr(workflow, "OPEN_REQUEST_STATES", ())
    with unchanged(), pytest.raises(ValidationError) as caught:
        completion_request(actor=world.users["head"], task=world.task, expected_version=2)
    assert "未处理完的办结申请" in caught.value.messages[0]


def test_pending_notification_is_created_once(world: World, awaiting_signoff: TaskRequest) -> None:
    workflow._notify_pending(awaiting_signoff, actor=world.users["staff"])
    assert recipients(PENDING) == ["head"]


# --- completion_sign_off ----------------------------------------------------------------------


def test_head_signs_off(world: World, awaiting_signoff: TaskRequest) -> None:
    head = world.users["head"]
    request = completion_sign_off(actor=head, request=awaiting_signoff)
    assert request.state == RequestState.AWAITING_REVIEW
    assert request.signed_off_by == head and request.signed_off_at is not None
    assert request.history.latest().history_user == head
    assert fresh(world.task).version == 2  # the task itself did not change
    assert recipients(PENDING) == ["bureau", "head", "province"]
    assert "请审核" in message_to(world.users["province"], PENDING)


@pytest.mark.parametrize("who", [u for u in ALL_USERS if u != "head"])
def test_only_the_lead_head_may_sign_off(world: World, awaiting_signoff: TaskRequest, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_sign_off(actor=world.users[who], request=awaiting_signoff)


def test_responsible_head_may_not_sign_off(
    world: World, awaiting_signoff: TaskRequest, other_head: User
) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_sign_off(actor=other_head, request=awaiting_signoff)


def test_sign_off_twice_is_refused(world: World, awaiting_review: TaskRequest) -> None:
    with unchanged(), pytest.raises(TransitionError) as caught:
        completion_sign_off(actor=world.users["head"], request=awaiting_review)
    assert "待知识产权局审核" in caught.value.messages[0]


def test_sign_off_of_a_returned_request_is_refused(world: World, awaiting_signoff: TaskRequest) -> None:
    completion_return(actor=world.users["head"], request=awaiting_signoff, comment="材料不全")
    with unchanged(), pytest.raises(TransitionError):
        completion_sign_off(actor=world.users["head"], request=awaiting_signoff)


def test_sign_off_of_an_extension_request_is_refused(world: World) -> None:
    extension = extension_request(
        actor=world.users["staff"],
        task=world.task,
        requested_due_date=world.task.due_date.replace(year=world.task.due_date.year + 1),  # type: ignore[union-attr]
        reason="资金未到位",
    )
    with unchanged(), pytest.raises(ValidationError):
        completion_sign_off(actor=world.users["head"], request=extension)


# --- completion_approve -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bureau", "province", "admin"])
def test_bureau_approves(world: World, awaiting_review: TaskRequest, who: str) -> None:
    actor = world.users[who]
    request = completion_approve(actor=actor, request=awaiting_review, comment="同意办结")
    assert request.state == RequestState.APPROVED
    assert (request.decided_by, request.decision_comment) == (actor, "同意办结")
    assert request.decided_at is not None
    task = fresh(world.task)
    assert (task.status, task.progress, task.version) == (TaskStatus.COMPLETED, 100, 3)
    assert task.completed_at is not None
    latest = task.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (actor, "completion_approved")
    assert request.history.latest().history_user == actor
    # the members of the lead department; not 市财政局, which is only responsible
    assert recipients(RESULT) == ["head", "staff"]
    assert "已获批准" in message_to(world.users["staff"], RESULT)


@pytest.mark.parametrize("who", ["other_bureau", "leader", "head", "staff", "other_staff", "foreign_staff"])
def test_only_the_bureau_of_the_region_may_approve(
    world: World, awaiting_review: TaskRequest, who: str
) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_approve(actor=world.users[who], request=awaiting_review)


def test_approve_before_sign_off_is_refused(world: World, awaiting_signoff: TaskRequest) -> None:
    with unchanged(), pytest.raises(TransitionError) as caught:
        completion_approve(actor=world.users["bureau"], request=awaiting_signoff)
    assert "待单位负责人签批" in caught.value.messages[0]


def test_approve_twice_is_refused(world: World, awaiting_review: TaskRequest) -> None:
    completion_approve(actor=world.users["bureau"], request=awaiting_review)
    with unchanged(), pytest.raises(TransitionError):
        completion_approve(actor=world.users["province"], request=awaiting_review)


def test_approve_of_a_task_no_longer_awaiting_completion_is_refused(
    world: World, awaiting_review: TaskRequest
) -> None:
    set_status(world.task, TaskStatus.CANCELLED)
    with unchanged(), pytest.raises(TransitionError) as caught:
        completion_approve(actor=world.users["bureau"], request=awaiting_review)
    assert "已取消" in caught.value.messages[0]


# --- completion_return ------------------------------------------------------------------------


def test_bureau_returns_with_a_comment(world: World, awaiting_review: TaskRequest) -> None:
    bureau = world.users["bureau"]
    request = completion_return(actor=bureau, request=awaiting_review, comment=" 请补充佐证材料 ")
    assert (request.state, request.decided_by, request.decision_comment) == (
        RequestState.RETURNED,
        bureau,
        "请补充佐证材料",
    )
    task = fresh(world.task)
    assert (task.status, task.version) == (TaskStatus.IN_PROGRESS, 3)
    latest = task.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (bureau, "completion_returned")
    assert recipients(RESULT) == ["head", "staff"]
    assert "请补充佐证材料" in message_to(world.users["staff"], RESULT)


def test_head_returns_before_sign_off(world: World, awaiting_signoff: TaskRequest) -> None:
    head = world.users["head"]
    request = completion_return(actor=head, request=awaiting_signoff, comment="数据需核实")
    assert (request.state, request.decided_by) == (RequestState.RETURNED, head)
    assert fresh(world.task).status == TaskStatus.IN_PROGRESS
    assert recipients(RESULT) == ["staff"]  # never the actor himself
    assert "数据需核实" in message_to(world.users["staff"], RESULT)


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_needs_a_comment(world: World, awaiting_review: TaskRequest, comment: str) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        completion_return(actor=world.users["bureau"], request=awaiting_review, comment=comment)
    assert "comment" in caught.value.message_dict


def test_bureau_may_not_return_before_sign_off(world: World, awaiting_signoff: TaskRequest) -> None:
    with unchanged(), pytest.raises(TransitionError):
        completion_return(actor=world.users["bureau"], request=awaiting_signoff, comment="退回")


def test_head_may_not_return_after_sign_off(world: World, awaiting_review: TaskRequest) -> None:
    with unchanged(), pytest.raises(TransitionError):
        completion_return(actor=world.users["head"], request=awaiting_review, comment="退回")


@pytest.mark.parametrize("who", ["other_bureau", "leader", "staff", "other_staff", "foreign_staff"])
def test_others_may_not_return(world: World, awaiting_review: TaskRequest, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_return(actor=world.users[who], request=awaiting_review, comment="退回")


def test_responsible_head_may_not_return(
    world: World, awaiting_signoff: TaskRequest, other_head: User
) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        completion_return(actor=other_head, request=awaiting_signoff, comment="退回")


def test_return_of_an_approved_request_is_refused(world: World, awaiting_review: TaskRequest) -> None:
    completion_approve(actor=world.users["bureau"], request=awaiting_review)
    with unchanged(), pytest.raises(TransitionError):
        completion_return(actor=world.users["bureau"], request=awaiting_review, comment="撤销")


# --- the whole story --------------------------------------------------------------------------


def test_request_sign_off_return_request_again_and_approve(world: World) -> None:
    staff, head, bureau = world.users["staff"], world.users["head"], world.users["bureau"]

    first = completion_request(actor=staff, task=world.task, expected_version=1, reason="已完成")
    first = completion_sign_off(actor=head, request=first)
    first = completion_return(actor=bureau, request=first, comment="请补充专利清单")
    task = fresh(world.task)
    assert (task.status, task.version) == (TaskStatus.IN_PROGRESS, 3)

    second = completion_request(actor=staff, task=task, expected_version=3, reason="已补充专利清单")
    second = completion_sign_off(actor=head, request=second)
    second = completion_approve(actor=bureau, request=second, comment="同意")

    task = fresh(world.task)
    assert (task.status, task.progress, task.version) == (TaskStatus.COMPLETED, 100, 5)
    states = list(TaskRequest.objects.filter(task=task).values_list("state", flat=True))
    assert states == [RequestState.RETURNED, RequestState.APPROVED]
    trail = [
        (h.history_user.username if h.history_user else None, h.status)
        for h in task.history.order_by("history_id")
    ]
    assert trail == [
        (None, TaskStatus.NOT_STARTED),
        ("staff", TaskStatus.COMPLETION_REQUESTED),
        ("bureau", TaskStatus.IN_PROGRESS),
        ("staff", TaskStatus.COMPLETION_REQUESTED),
        ("bureau", TaskStatus.COMPLETED),
    ]
    assert [h.history_user.username for h in second.history.order_by("history_id")] == [
        "staff",
        "head",
        "bureau",
    ]
    # each step told its people once: the head per request, the two bureaus per sign-off
    assert recipients(PENDING) == ["bureau", "bureau", "head", "head", "province", "province"]
    assert recipients(RESULT) == ["head", "head", "staff", "staff"]
    keys = list(Notification.objects.values_list("dedup_key", flat=True))
    assert len(keys) == len(set(keys))
