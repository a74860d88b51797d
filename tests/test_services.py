"""Services: each write records who changed what; bad input changes nothing; stale versions conflict."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from departments.services import department_alias_add, department_create, department_update
from ipplan.exceptions import ConflictError, TransitionError
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.choices import TaskStatus
from tasks.models import Assignment, IndicatorReading, ProgressReport, Task
from tasks.services import (
    assignment_set,
    indicator_create,
    indicator_reading_record,
    notification_create,
    progress_report_submit,
    task_set_due_date,
    task_update_progress,
)

from .conftest import World

pytestmark = pytest.mark.django_db


def test_progress_update_is_audited_with_actor(world: World) -> None:
    staff = world.users["staff"]
    task = task_update_progress(actor=staff, task=world.task, expected_version=1, progress=40)
    assert (task.progress, task.status, task.version) == (40, TaskStatus.IN_PROGRESS, 2)
    latest = task.history.latest()
    assert latest.history_user == staff
    assert latest.progress == 40
    assert latest.history_type == "~"
    diff = latest.diff_against(latest.prev_record)
    assert {c.field for c in diff.changes} == {"progress", "status", "version"}


def test_stale_version_conflicts_and_changes_nothing(world: World) -> None:
    staff = world.users["staff"]
    task_update_progress(actor=staff, task=world.task, expected_version=1, progress=40)
    with pytest.raises(ConflictError) as caught:
        task_update_progress(actor=staff, task=world.task, expected_version=1, progress=90)
    assert caught.value.current["progress"] == 40
    assert caught.value.current["version"] == 2
    assert Task.objects.get(pk=world.task.pk).progress == 40
    assert world.task.history.count() == 2


def test_progress_out_of_range_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        task_update_progress(actor=world.users["staff"], task=world.task, expected_version=1, progress=120)
    assert "progress" in caught.value.message_dict
    assert Task.objects.get(pk=world.task.pk).version == 1


def test_status_from_the_review_workflow_cannot_be_set_directly(world: World) -> None:
    with pytest.raises(TransitionError):
        task_update_progress(
            actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.COMPLETED
        )


def test_other_department_cannot_update(world: World) -> None:
    with pytest.raises(PermissionDenied):
        task_update_progress(
            actor=world.users["other_staff"], task=world.task, expected_version=1, progress=10
        )
    assert world.task.history.count() == 1


def test_deadline_change_by_bureau_is_audited(world: World) -> None:
    bureau = world.users["bureau"]
    new_due = dt.date(2027, 6, 30)
    task = task_set_due_date(actor=bureau, task=world.task, due_date=new_due, reason="调整")
    assert task.due_date == new_due
    latest = task.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (bureau, "调整")
    with pytest.raises(PermissionDenied):
        task_set_due_date(actor=world.users["staff"], task=world.task, due_date=None)


def test_report_submit_is_audited_and_validated(world: World) -> None:
    staff = world.users["other_staff"]  # responsible department
    report = progress_report_submit(
        actor=staff, task=world.task, text="已召开协调会", percent=30, period="2026-11"
    )
    assert report.department == world.other_dept
    assert report.history.latest().history_user == staff
    with pytest.raises(ValidationError):
        progress_report_submit(actor=staff, task=world.task, text="   ", percent=30, period="2026-11")
    with pytest.raises(PermissionDenied):
        progress_report_submit(
            actor=world.users["foreign_staff"], task=world.task, text="x", percent=1, period="2026-11"
        )
    assert ProgressReport.objects.count() == 1


def test_assignment_set_keeps_unchanged_rows_and_audits_changes(world: World) -> None:
    bureau = world.users["bureau"]
    before = Assignment.objects.get(task=world.task, department=world.lead_dept)
    assignment_set(
        actor=bureau, task=world.task, lead=[world.lead_dept], responsible=[], cooperating=[world.other_dept]
    )
    after = Assignment.objects.get(task=world.task, department=world.lead_dept)
    assert before.pk == after.pk
    assert set(world.task.assignments.values_list("department__name", "role")) == {
        ("市科技局", "lead"),
        ("市财政局", "cooperating"),
    }
    deleted = Assignment.history.filter(history_type="-").get()
    assert (deleted.history_user, deleted.role) == (bureau, "responsible")


def test_changing_a_tasks_departments_gives_it_a_new_version(world: World) -> None:
    task = Task.objects.get(pk=world.task.pk)
    version, updated = task.version, task.updated_at
    same = dict(lead=[world.lead_dept], responsible=[world.other_dept], cooperating=[])
    assignment_set(actor=world.users["bureau"], task=task, **same)
    assert Task.objects.get(pk=task.pk).version == version  # nothing changed, nothing bumped
    assignment_set(
        actor=world.users["bureau"], task=task, lead=[world.lead_dept], responsible=[], cooperating=[]
    )
    changed = Task.objects.get(pk=task.pk)
    assert changed.version == version + 1 and changed.updated_at > updated


def test_assignment_rejects_department_of_another_city(world: World) -> None:
    with pytest.raises(ValidationError):
        assignment_set(
            actor=world.users["bureau"],
            task=world.task,
            lead=[world.foreign_dept],
            responsible=[],
            cooperating=[],
        )
    assert world.task.assignments.count() == 2


def test_department_writes_are_audited(world: World) -> None:
    bureau = world.users["bureau"]
    department = department_create(actor=bureau, region=world.city, name="市商务局", aliases=["商务局"])
    department_update(actor=bureau, department=department, short_name="商务")
    records = list(department.history.order_by("history_id"))
    assert [(r.history_type, r.history_user) for r in records] == [("+", bureau), ("~", bureau)]
    with pytest.raises(PermissionDenied):
        department_create(actor=world.users["other_bureau"], region=world.city, name="市外事局")
    with pytest.raises(ValidationError):
        department_alias_add(actor=bureau, department=world.other_dept, name="商务局")


def test_indicator_reading_is_audited(world: World) -> None:
    indicator = indicator_create(
        actor=world.users["bureau"], plan=world.plan, name="发明专利", target_value=75, unit="件"
    )
    reading = indicator_reading_record(
        actor=world.users["bureau"], indicator=indicator, value=40, observed_on=dt.date(2026, 6, 30)
    )
    assert reading.history.latest().history_user == world.users["bureau"]
    # a second reading the same day replaces the first, audited as a change
    indicator_reading_record(
        actor=world.users["bureau"], indicator=indicator, value=42, observed_on=dt.date(2026, 6, 30)
    )
    assert IndicatorReading.objects.get().value == 42
    assert reading.history.count() == 2


def test_notification_created_once_per_dedup_key(world: World) -> None:
    staff = world.users["staff"]
    first, created = notification_create(
        recipient=staff, kind=NotificationKind.URGE, message="请尽快", dedup_key="u:1"
    )
    again, created_again = notification_create(
        recipient=staff, kind=NotificationKind.URGE, message="请尽快", dedup_key="u:1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Notification.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_with_same_version_one_wins(world: World) -> None:
    staff = world.users["staff"]
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(progress: int) -> None:
        try:
            barrier.wait()
            task_update_progress(actor=staff, task=world.task, expected_version=1, progress=progress)
            results.append("ok")
        except ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(10 + i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    task = Task.objects.get(pk=world.task.pk)
    assert task.version == 2
    assert task.history.count() == 2
