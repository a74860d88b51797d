"""Urges (催办) and the review of progress reports."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import User
from ipplan.exceptions import TransitionError
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.choices import ReviewStatus, TaskStatus
from tasks.models import ProgressReport, Task, Urge
from tasks.services import progress_report_submit, report_review, task_urge

from ..conftest import World
from .helpers import message_to, recipients, unchanged

pytestmark = pytest.mark.django_db

URGE, RESULT = NotificationKind.URGE, NotificationKind.REVIEW_RESULT


# --- task_urge --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bureau", "province", "admin"])
def test_urge_notifies_every_assigned_department(world: World, who: str) -> None:
    actor = world.users[who]
    urge = task_urge(actor=actor, task=world.task, message=" 请于本周内报送进展 ")
    assert (urge.task, urge.author, urge.message) == (world.task, actor, "请于本周内报送进展")
    # lead 市科技局 (head, staff) and responsible 市财政局 (other_staff); nobody else
    assert recipients(URGE) == ["head", "other_staff", "staff"]
    message = message_to(world.users["other_staff"], URGE)
    assert "二.(一).1" in message and "培育高价值专利" in message and "请于本周内报送进展" in message
    keys = set(Notification.objects.filter(kind=URGE).values_list("dedup_key", flat=True))
    assert keys == {f"urge:{urge.pk}:{world.users[u].pk}" for u in ("head", "other_staff", "staff")}
    assert Task.objects.get(pk=world.task.pk).version == 1


def test_each_urge_is_notified_and_inactive_users_are_skipped(world: World) -> None:
    User.objects.filter(pk=world.users["head"].pk).update(is_active=False)
    task_urge(actor=world.users["bureau"], task=world.task, message="第一次催办")
    task_urge(actor=world.users["bureau"], task=world.task, message="第二次催办")
    assert Urge.objects.count() == 2
    assert recipients(URGE) == ["other_staff", "other_staff", "staff", "staff"]


def test_urge_needs_a_message(world: World) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        task_urge(actor=world.users["bureau"], task=world.task, message="  ")
    assert "message" in caught.value.message_dict


@pytest.mark.parametrize("who", ["other_bureau", "leader", "head", "staff", "other_staff", "foreign_staff"])
def test_only_the_bureau_may_urge(world: World, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        task_urge(actor=world.users[who], task=world.task, message="催办")


@pytest.mark.parametrize("status", [TaskStatus.COMPLETED, TaskStatus.CANCELLED])
def test_closed_task_is_not_urged(world: World, status: str) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=status)
    with unchanged(), pytest.raises(TransitionError):
        task_urge(actor=world.users["bureau"], task=world.task, message="催办")


# --- report_review ----------------------------------------------------------------------------


@pytest.fixture
def report(world: World) -> ProgressReport:
    return progress_report_submit(
        actor=world.users["other_staff"], task=world.task, text="已拨付资金", percent=60, period="2026-05"
    )


@pytest.mark.parametrize("who", ["bureau", "province", "admin"])
def test_accepting_a_report(world: World, report: ProgressReport, who: str) -> None:
    actor = world.users[who]
    reviewed = report_review(actor=actor, report=report, accept=True)
    assert (reviewed.review_status, reviewed.reviewer, reviewed.review_comment) == (
        ReviewStatus.ACCEPTED,
        actor,
        "",
    )
    assert reviewed.reviewed_at is not None
    latest = reviewed.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (actor, "review")
    assert recipients(RESULT) == ["other_staff"]  # the author only
    assert "2026-05" in message_to(world.users["other_staff"], RESULT)


def test_returning_a_report_with_a_comment(world: World, report: ProgressReport) -> None:
    reviewed = report_review(actor=world.users["bureau"], report=report, accept=False, comment="缺少佐证材料")
    assert (reviewed.review_status, reviewed.review_comment) == (ReviewStatus.RETURNED, "缺少佐证材料")
    assert "缺少佐证材料" in message_to(world.users["other_staff"], RESULT)


def test_returning_needs_a_comment(world: World, report: ProgressReport) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        report_review(actor=world.users["bureau"], report=report, accept=False)
    assert "comment" in caught.value.message_dict


@pytest.mark.parametrize("accept", [True, False])
def test_only_pending_reports_are_reviewed(world: World, report: ProgressReport, accept: bool) -> None:
    report_review(actor=world.users["bureau"], report=report, accept=True)
    with unchanged(), pytest.raises(TransitionError):
        report_review(actor=world.users["bureau"], report=report, accept=accept, comment="再审")


@pytest.mark.parametrize("who", ["other_bureau", "leader", "head", "staff", "other_staff", "foreign_staff"])
def test_only_the_bureau_may_review(world: World, report: ProgressReport, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        report_review(actor=world.users[who], report=report, accept=True)
