"""Plan maintenance services: each one writes the audit trail, bumps the version, notifies the
departments that gained or lost the task and records its webhook event; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments.services import department_create
from ipplan.exceptions import ConflictError, TransitionError
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.choices import RequestState, TaskStatus
from tasks.dashboards import plan_figures
from tasks.filtersets import TaskFilterSet
from tasks.models import Plan, ProgressReport, Section, Task, TaskPathAlias
from tasks.selectors import department_inbox, task_changes
from tasks.services import maintenance as m
from tasks.services.maintenance import Departments
from tasks.services.plans import section_create
from tasks.services.progress import progress_report_submit, task_update_progress
from tasks.services.workflow import completion_request
from tests.conftest import World
from webhooks.events import EventKind
from webhooks.models import Event
from webhooks.services import subscription_create


@pytest.fixture
def hooked(world: World) -> World:
    """The world with a subscription to every task event of the city."""
    subscription_create(
        actor=world.users["bureau"],
        url="https://receiver.example.org/hook",
        events=[
            EventKind.TASK_UPDATED,
            EventKind.TASK_REASSIGNED,
            EventKind.TASK_CANCELLED,
            EventKind.TASK_STATUS_CHANGED,
        ],
    )
    return world


def _events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("created_at", "payload__data__version"))


def _notified(world: World, username: str, task: Task) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=world.users[username], task=task, kind=NotificationKind.TASK_CHANGED
        ).values_list("message", flat=True)
    )


def test_edit_changes_title_and_text_with_history_event_and_version(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    before = w.task.version
    task = m.task_edit(
        actor=bureau, task=w.task, expected_version=before, title=" 新标题 ", full_text="新全文"
    )
    task.refresh_from_db()
    assert (task.title, task.full_text, task.version) == ("新标题", "新全文", before + 1)
    latest = task.history.latest()
    assert latest.history_user == bureau and latest.history_change_reason == "edit"
    (event,) = _events(EventKind.TASK_UPDATED)
    assert event.payload["data"]["changes"]["title"] == {"old": "培育高价值专利", "new": "新标题"}
    assert event.payload["data"]["version"] == before + 1
    assert _notified(w, "staff", task) and _notified(w, "other_staff", task)


def test_edit_refuses_a_stale_version_and_an_empty_title_changing_nothing(world: World) -> None:
    bureau = world.users["bureau"]
    with pytest.raises(ConflictError) as conflict:
        m.task_edit(actor=bureau, task=world.task, expected_version=world.task.version + 5, title="x")
    assert conflict.value.current["version"] == world.task.version
    with pytest.raises(ValidationError):
        m.task_edit(actor=bureau, task=world.task, expected_version=world.task.version, title="  ")
    world.task.refresh_from_db()
    assert world.task.title == "培育高价值专利" and world.task.version == 1


@pytest.mark.parametrize("username", ["staff", "head", "leader", "other_bureau"])
def test_only_the_bureau_of_the_region_maintains(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        m.task_edit(actor=world.users[username], task=world.task, expected_version=None, title="x")
    with pytest.raises(PermissionDenied):
        m.task_cancel(actor=world.users[username], task=world.task, expected_version=None, reason="r")


def test_reassign_moves_the_task_between_departments(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    assert department_inbox(w.users["staff"]).filter(pk=w.task.pk).exists()
    before = w.task.version
    task = m.task_reassign(
        actor=bureau,
        task=w.task,
        expected_version=before,
        departments=Departments(lead=[w.other_dept]),
        reason="机构改革",
    )
    assert task.version == before + 1
    assert [(a.department_id, a.role) for a in task.assignments.all()] == [(w.other_dept.pk, "lead")]
    # the old lead department's inbox no longer holds it; the new one was told its role changed
    assert not department_inbox(w.users["staff"]).filter(pk=task.pk).exists()
    assert department_inbox(w.users["other_staff"]).filter(pk=task.pk, my_role="lead").exists()
    assert any("已不再由贵单位承办" in msg for msg in _notified(w, "staff", task))
    assert any("牵头单位" in msg for msg in _notified(w, "other_staff", task))
    (event,) = _events(EventKind.TASK_REASSIGNED)
    assert event.payload["data"]["removed"] == [w.lead_dept.pk]
    assert event.payload["data"]["added"] == []
    assert {"department_id": w.other_dept.pk, "department_name": "市财政局", "role": "lead"} in event.payload[
        "data"
    ]["new_assignments"]
    # the audit trail shows who lost and gained which role
    entry = task_changes(task)[0]
    assert entry["actor"] == bureau and entry["reason"] == "reassign: 机构改革"
    assert {"field": "departments", "old": "市科技局(牵头单位)", "new": None} in entry["changes"]


def test_reassign_refuses_no_lead_a_double_role_and_a_foreign_department(world: World) -> None:
    bureau, v = world.users["bureau"], world.task.version
    for departments in (
        Departments(responsible=[world.other_dept]),
        Departments(lead=[world.lead_dept], responsible=[world.lead_dept]),
        Departments(lead=[world.foreign_dept]),
    ):
        with pytest.raises(ValidationError):
            m.task_reassign(actor=bureau, task=world.task, expected_version=v, departments=departments)
    world.task.refresh_from_db()
    assert world.task.version == v and world.task.assignments.count() == 2


def test_add_takes_the_next_number_of_the_section(hooked: World) -> None:
    w = hooked
    section = w.task.section
    assert section is not None
    task = m.task_add(
        actor=w.users["bureau"],
        section=section,
        title="新增任务",
        departments=Departments(lead=[w.lead_dept]),
    )
    assert (task.path, task.number, task.status) == ("二.(一).3", 3, TaskStatus.NOT_STARTED)
    assert _notified(w, "staff", task)
    assert _events(EventKind.TASK_UPDATED)[0].payload["data"]["changes"] == {
        "path": {"old": None, "new": "二.(一).3"}
    }


def test_split_leaves_reports_and_history_with_the_original(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    progress_report_submit(actor=w.users["staff"], task=w.task, text="进展", percent=30, period="2026-11")
    task_update_progress(actor=w.users["staff"], task=w.task, expected_version=1, progress=30)
    w.task.refresh_from_db()
    new = m.task_split(
        actor=bureau,
        task=w.task,
        expected_version=w.task.version,
        title="拆出的任务",
        remaining_title="保留的任务",
    )
    w.task.refresh_from_db()
    assert new.split_from == w.task and new.path == "二.(一).3"
    assert (new.status, new.progress, new.version) == (TaskStatus.NOT_STARTED, 0, 1)
    assert sorted(a.department_id for a in new.assignments.all()) == sorted([w.lead_dept.pk, w.other_dept.pk])
    assert ProgressReport.objects.filter(task=w.task).count() == 1
    assert not ProgressReport.objects.filter(task=new).exists()
    assert w.task.title == "保留的任务" and w.task.progress == 30
    assert len(_events(EventKind.TASK_UPDATED)) == 2


def test_merge_cancels_the_second_with_a_pointer_and_keeps_its_reports(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    report = progress_report_submit(
        actor=w.users["other_staff"], task=w.other_task, text="进展", percent=10, period="2026-11"
    )
    kept = m.task_merge(
        actor=bureau,
        task=w.task,
        expected_version=w.task.version,
        other=w.other_task,
        other_version=w.other_task.version,
    )
    w.other_task.refresh_from_db()
    assert w.other_task.status == TaskStatus.CANCELLED and w.other_task.merged_into == kept
    assert list(kept.merged_from.all()) == [w.other_task]
    assert ProgressReport.objects.get(pk=report.pk).task == w.other_task
    (cancelled,) = _events(EventKind.TASK_CANCELLED)
    assert cancelled.payload["data"]["merged_into_id"] == kept.pk


def test_merge_refuses_itself_and_another_plan(world: World) -> None:
    bureau = world.users["province"]
    with pytest.raises(ValidationError):
        m.task_merge(
            actor=bureau, task=world.task, expected_version=None, other=world.task, other_version=None
        )
    with pytest.raises(ValidationError):
        m.task_merge(
            actor=bureau, task=world.task, expected_version=None, other=world.foreign_task, other_version=None
        )
    assert Task.objects.filter(status=TaskStatus.CANCELLED).count() == 0


def test_move_renumbers_and_the_old_path_stays_findable(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    top = Section.objects.get(plan=w.plan, path="二")
    other = section_create(plan=w.plan, label="(二)", title="运用", parent=top)
    task = m.task_move(actor=bureau, task=w.task, expected_version=w.task.version, section=other)
    assert (task.path, task.section) == ("二.(二).1", other)
    assert TaskPathAlias.objects.filter(task=task, path="二.(一).1").exists()
    tasks = Task.objects.filter(plan=w.plan)
    assert list(TaskFilterSet({"path": "二.(一).1"}, queryset=tasks).qs) == [task]
    assert list(TaskFilterSet({"q": "二.(一).1"}, queryset=tasks).qs) == [task]
    assert task_changes(task)[0]["changes"] == [{"field": "path", "old": "二.(一).1", "new": "二.(二).1"}]
    with pytest.raises(ValidationError):
        m.task_move(actor=bureau, task=task, expected_version=task.version, section=other)


def test_cancel_and_restore_keep_the_previous_status(hooked: World) -> None:
    w, bureau = hooked, hooked.users["bureau"]
    task_update_progress(actor=w.users["staff"], task=w.task, expected_version=1, status=TaskStatus.BLOCKED)
    w.task.refresh_from_db()
    with pytest.raises(ValidationError):
        m.task_cancel(actor=bureau, task=w.task, expected_version=w.task.version, reason=" ")
    task = m.task_cancel(
        actor=bureau, task=w.task, expected_version=w.task.version, reason="已由其他方案覆盖"
    )
    assert (task.status, task.cancel_reason, task.status_before_cancel) == (
        TaskStatus.CANCELLED,
        "已由其他方案覆盖",
        TaskStatus.BLOCKED,
    )
    assert Task.objects.filter(pk=task.pk).open().count() == 0  # out of the figures
    (figures,) = plan_figures(Plan.objects.filter(pk=w.plan.pk))
    assert (figures.cancelled, figures.total) == (1, 2)
    assert department_inbox(w.users["staff"]).filter(pk=task.pk).exists()  # still visible
    with pytest.raises(TransitionError):
        m.task_cancel(actor=bureau, task=task, expected_version=task.version, reason="again")
    restored = m.task_restore(actor=bureau, task=task, expected_version=task.version)
    assert (restored.status, restored.cancel_reason) == (TaskStatus.BLOCKED, "")
    kinds = [e.payload["data"].get("new_status") for e in _events(EventKind.TASK_STATUS_CHANGED)]
    assert kinds[-2:] == [TaskStatus.CANCELLED, TaskStatus.BLOCKED]
    assert len(_events(EventKind.TASK_CANCELLED)) == 1
    assert len(_notified(w, "staff", task)) == 2


def test_cancel_withdraws_a_pending_completion_request_and_restores_in_progress(world: World) -> None:
    bureau = world.users["bureau"]
    request = completion_request(actor=world.users["staff"], task=world.task, expected_version=1)
    world.task.refresh_from_db()
    task = m.task_cancel(actor=bureau, task=world.task, expected_version=world.task.version, reason="撤销")
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    restored = m.task_restore(actor=bureau, task=task, expected_version=task.version)
    assert restored.status == TaskStatus.IN_PROGRESS


def test_a_completed_task_cannot_be_cancelled(world: World) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=TaskStatus.COMPLETED)
    with pytest.raises(TransitionError):
        m.task_cancel(actor=world.users["bureau"], task=world.task, expected_version=None, reason="r")


def test_section_and_plan_edits_bump_their_versions(world: World) -> None:
    bureau = world.users["bureau"]
    section = world.task.section
    assert section is not None
    edited = m.section_edit(
        actor=bureau, section=section, expected_version=section.version, title="创造(修订)"
    )
    assert (edited.title, edited.version) == ("创造(修订)", section.version + 1)
    assert edited.history.latest().history_user == bureau
    with pytest.raises(ConflictError):
        m.section_edit(actor=bureau, section=section, expected_version=section.version, title="again")
    from ipplan.versioning import version_of

    plan = world.plan
    before = version_of(plan)
    edited_plan = m.plan_edit(
        actor=bureau, plan=plan, expected_version=before, doc_number="东府办〔2026〕1号", period=(2026, 2028)
    )
    assert edited_plan.doc_number == "东府办〔2026〕1号" and edited_plan.period_end == 2028
    assert version_of(edited_plan) != before
    with pytest.raises(ValidationError):
        m.plan_edit(actor=bureau, plan=edited_plan, expected_version=None, period=(2028, 2026))
    with pytest.raises(ConflictError):
        m.plan_edit(actor=bureau, plan=plan, expected_version=before, title="x")


def test_a_foreign_department_in_the_province_is_refused_for_a_city_plan(world: World) -> None:
    provincial = department_create(actor=None, region=world.province, name="省知识产权局")
    # a department of a region above the plan's is allowed (a provincial bureau leads city tasks)
    task = m.task_reassign(
        actor=world.users["bureau"],
        task=world.task,
        expected_version=None,
        departments=Departments(lead=[provincial]),
    )
    assert [a.department for a in task.assignments.all()] == [provincial]
