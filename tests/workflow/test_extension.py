"""Extension (延期): the lead department asks for a later deadline; the bureau decides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ipplan.exceptions import TransitionError
from notifications.choices import NotificationKind
from tasks.choices import RequestKind, RequestState, TaskStatus
from tasks.models import Task, TaskRequest
from tasks.services import extension_decide, extension_request

from ..conftest import World
from .helpers import ALL_USERS, message_to, recipients, unchanged

pytestmark = pytest.mark.django_db


def later(task: Task, days: int = 30) -> dt.date:
    assert task.due_date is not None
    return task.due_date + dt.timedelta(days=days)


@pytest.fixture
def extension(world: World) -> TaskRequest:
    return extension_request(
        actor=world.users["staff"], task=world.task, requested_due_date=later(world.task), reason="资金未到位"
    )


# --- extension_request ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "head"])
def test_lead_department_asks_for_an_extension(world: World, who: str) -> None:
    actor, wanted = world.users[who], later(world.task)
    request = extension_request(
        actor=actor, task=world.task, requested_due_date=wanted, reason=" 资金未到位 "
    )
    assert (request.kind, request.state) == (RequestKind.EXTENSION, RequestState.AWAITING_REVIEW)
    assert (request.requested_due_date, request.previous_due_date) == (wanted, world.task.due_date)
    assert (request.requested_by, request.department, request.reason) == (
        actor,
        world.lead_dept,
        "资金未到位",
    )
    assert request.history.get().history_user == actor
    task = Task.objects.get(pk=world.task.pk)
    assert (task.due_date, task.version) == (world.task.due_date, 1)  # unchanged until approved
    assert recipients(NotificationKind.REQUEST_PENDING) == ["bureau", "province"]
    message = message_to(world.users["bureau"], NotificationKind.REQUEST_PENDING)
    assert wanted.isoformat() in message and "市科技局" in message


def test_task_without_deadline_needs_a_date_after_today(world: World) -> None:
    Task.objects.filter(pk=world.task.pk).update(due_date=None)
    today = timezone.localdate()
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_request(
            actor=world.users["staff"], task=world.task, requested_due_date=today, reason="理由"
        )
    assert "requested_due_date" in caught.value.message_dict
    request = extension_request(
        actor=world.users["staff"],
        task=world.task,
        requested_due_date=today + dt.timedelta(days=1),
        reason="理由",
    )
    assert request.previous_due_date is None


@pytest.mark.parametrize("days", [0, -1])
def test_date_must_be_later_than_the_deadline(world: World, days: int) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_request(
            actor=world.users["staff"],
            task=world.task,
            requested_due_date=later(world.task, days),
            reason="理由",
        )
    assert "requested_due_date" in caught.value.message_dict


def test_date_is_required(world: World) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_request(actor=world.users["staff"], task=world.task, requested_due_date=None, reason="理由")
    assert "requested_due_date" in caught.value.message_dict


def test_reason_is_required(world: World) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_request(
            actor=world.users["staff"], task=world.task, requested_due_date=later(world.task), reason=" "
        )
    assert "reason" in caught.value.message_dict


def test_one_open_extension_at_a_time(world: World, extension: TaskRequest) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_request(
            actor=world.users["head"],
            task=world.task,
            requested_due_date=later(world.task, 60),
            reason="再延",
        )
    assert "未处理完的延期申请" in caught.value.messages[0]


def test_a_decided_extension_allows_a_new_one(world: World, extension: TaskRequest) -> None:
    extension_decide(actor=world.users["bureau"], request=extension, approve=False, comment="理由不充分")
    again = extension_request(
        actor=world.users["staff"], task=world.task, requested_due_date=later(world.task), reason="补充理由"
    )
    assert again.state == RequestState.AWAITING_REVIEW


@pytest.mark.parametrize("status", [TaskStatus.COMPLETED, TaskStatus.CANCELLED])
def test_closed_task_cannot_be_extended(world: World, status: str) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=status)
    with unchanged(), pytest.raises(TransitionError):
        extension_request(
            actor=world.users["staff"], task=world.task, requested_due_date=later(world.task), reason="理由"
        )


@pytest.mark.parametrize("who", [u for u in ALL_USERS if u not in ("staff", "head")])
def test_only_the_lead_department_may_ask(world: World, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        extension_request(
            actor=world.users[who], task=world.task, requested_due_date=later(world.task), reason="理由"
        )


# --- extension_decide -------------------------------------------------------------------------


def test_approval_moves_the_deadline(world: World, extension: TaskRequest) -> None:
    bureau = world.users["bureau"]
    request = extension_decide(actor=bureau, request=extension, approve=True, comment="同意")
    assert (request.state, request.decided_by, request.decision_comment) == (
        RequestState.APPROVED,
        bureau,
        "同意",
    )
    task = Task.objects.get(pk=world.task.pk)
    assert (task.due_date, task.version) == (extension.requested_due_date, 2)
    latest = task.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (bureau, "extension")
    assert recipients(NotificationKind.REVIEW_RESULT) == ["head", "staff"]
    assert "已获批准" in message_to(world.users["staff"], NotificationKind.REVIEW_RESULT)


def test_refusal_needs_a_comment(world: World, extension: TaskRequest) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        extension_decide(actor=world.users["bureau"], request=extension, approve=False)
    assert "comment" in caught.value.message_dict


def test_refusal_keeps_the_deadline(world: World, extension: TaskRequest) -> None:
    request = extension_decide(
        actor=world.users["province"], request=extension, approve=False, comment="不予延期"
    )
    assert request.state == RequestState.RETURNED
    task = Task.objects.get(pk=world.task.pk)
    assert (task.due_date, task.version) == (world.task.due_date, 1)
    assert "不予延期" in message_to(world.users["head"], NotificationKind.REVIEW_RESULT)


@pytest.mark.parametrize("who", ["other_bureau", "leader", "head", "staff", "other_staff", "foreign_staff"])
def test_only_the_bureau_may_decide(world: World, extension: TaskRequest, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        extension_decide(actor=world.users[who], request=extension, approve=True)


def test_deciding_twice_is_refused(world: World, extension: TaskRequest) -> None:
    extension_decide(actor=world.users["bureau"], request=extension, approve=True)
    with unchanged(), pytest.raises(TransitionError):
        extension_decide(actor=world.users["bureau"], request=extension, approve=False, comment="撤回")


def test_approving_for_a_closed_task_is_refused(world: World, extension: TaskRequest) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=TaskStatus.COMPLETED)
    with unchanged(), pytest.raises(TransitionError):
        extension_decide(actor=world.users["bureau"], request=extension, approve=True)


def test_a_completion_request_is_not_an_extension(world: World, awaiting_review: TaskRequest) -> None:
    with unchanged(), pytest.raises(ValidationError):
        extension_decide(actor=world.users["bureau"], request=awaiting_review, approve=True)
