"""Deadlines set in bulk: for chosen tasks, a section (with its subsections) or a whole plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tasks.choices import TaskStatus
from tasks.models import Section, Task
from tasks.services import deadline_set_for_plan, deadline_set_for_section, deadlines_bulk_set, task_create

from ..conftest import World
from .helpers import unchanged

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 6, 30)


def due_dates(*tasks: Task) -> list[dt.date | None]:
    return [Task.objects.get(pk=t.pk).due_date for t in tasks]


def test_bulk_set_changes_each_open_task_once(world: World) -> None:
    bureau = world.users["bureau"]
    changed = deadlines_bulk_set(
        actor=bureau, tasks=[world.task, world.other_task], due_date=DUE, reason="统一调整"
    )
    assert changed == 2
    for task in (world.task, world.other_task):
        task = Task.objects.get(pk=task.pk)
        assert (task.due_date, task.version) == (DUE, 2)
        latest = task.history.latest()
        assert (latest.history_user, latest.history_change_reason) == (bureau, "统一调整")


def test_closed_and_unchanged_tasks_are_skipped(world: World) -> None:
    Task.objects.filter(pk=world.other_task.pk).update(status=TaskStatus.COMPLETED)
    first = deadlines_bulk_set(
        actor=world.users["bureau"], tasks=[world.task, world.other_task], due_date=DUE
    )
    again = deadlines_bulk_set(
        actor=world.users["bureau"], tasks=[world.task, world.other_task], due_date=DUE
    )
    assert (first, again) == (1, 0)
    assert due_dates(world.task, world.other_task) == [DUE, world.other_task.due_date]
    assert Task.objects.get(pk=world.task.pk).version == 2
    assert Task.objects.get(pk=world.task.pk).history.latest().history_change_reason == "deadline"


def test_one_forbidden_task_changes_nothing(world: World) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        deadlines_bulk_set(actor=world.users["bureau"], tasks=[world.task, world.foreign_task], due_date=DUE)


@pytest.mark.parametrize("who", ["other_bureau", "leader", "head", "staff", "other_staff", "foreign_staff"])
def test_only_the_bureau_sets_deadlines(world: World, who: str) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        deadlines_bulk_set(actor=world.users[who], tasks=[world.task], due_date=DUE)


def test_a_deadline_before_a_start_date_names_the_task(world: World) -> None:
    Task.objects.filter(pk=world.other_task.pk).update(
        start_date=dt.date(2027, 9, 1), due_date=dt.date(2027, 12, 31)
    )
    with unchanged(), pytest.raises(ValidationError) as caught:
        deadlines_bulk_set(actor=world.users["bureau"], tasks=[world.task, world.other_task], due_date=DUE)
    assert "二.(一).2" in caught.value.message_dict["due_date"][0]


def test_section_includes_its_subsections(world: World) -> None:
    sub = world.task.section
    assert sub is not None and sub.parent is not None
    top = sub.parent
    other = Section.objects.create(plan=world.plan, label="三", title="保障", path="三")
    outside = task_create(
        actor=None, plan=world.plan, section=other, path="三.1", title="外部任务", lead=[world.lead_dept]
    )
    changed = deadline_set_for_section(actor=world.users["bureau"], section=top, due_date=DUE)
    assert changed == 2
    assert due_dates(world.task, world.other_task, outside) == [DUE, DUE, None]
    assert deadline_set_for_section(actor=world.users["province"], section=other, due_date=DUE) == 1


def test_plan_sets_every_open_task(world: World) -> None:
    assert deadline_set_for_plan(actor=world.users["admin"], plan=world.plan, due_date=DUE) == 2
    assert due_dates(world.task, world.other_task, world.foreign_task) == [DUE, DUE, None]


def test_plan_of_another_region_is_refused(world: World) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        deadline_set_for_plan(actor=world.users["other_bureau"], plan=world.plan, due_date=DUE)
    with unchanged(), pytest.raises(PermissionDenied):
        deadline_set_for_section(actor=world.users["staff"], section=world.task.section, due_date=DUE)  # type: ignore[arg-type]
