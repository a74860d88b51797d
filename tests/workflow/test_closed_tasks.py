"""A completed or cancelled task takes no more progress: the services refuse what the page no
longer offers, with a clear error, and write nothing."""

from __future__ import annotations

import pytest

from ipplan.exceptions import TransitionError
from tasks.choices import TaskStatus
from tasks.models import ProgressReport, Task
from tasks.services import progress_report_submit, task_update_progress

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [TaskStatus.COMPLETED, TaskStatus.CANCELLED])
def test_no_report_on_a_closed_task(world: World, status: str) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=status)
    world.task.refresh_from_db()
    with pytest.raises(TransitionError) as refused:
        progress_report_submit(
            actor=world.users["staff"], task=world.task, text="补报", percent=100, period="2026-11"
        )
    assert "不能填报进展" in str(refused.value)
    assert not ProgressReport.objects.filter(task=world.task).exists()


@pytest.mark.parametrize("status", [TaskStatus.COMPLETED, TaskStatus.CANCELLED])
def test_no_progress_change_on_a_closed_task(world: World, status: str) -> None:
    Task.objects.filter(pk=world.task.pk).update(status=status, progress=60)
    world.task.refresh_from_db()
    version = world.task.version
    with pytest.raises(TransitionError):
        task_update_progress(
            actor=world.users["staff"], task=world.task, expected_version=version, progress=90
        )
    world.task.refresh_from_db()
    assert (world.task.progress, world.task.version, world.task.status) == (60, version, status)


def test_an_open_task_still_takes_both(world: World) -> None:
    report = progress_report_submit(
        actor=world.users["staff"], task=world.task, text="按计划推进", percent=30, period="2026-11"
    )
    task = task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=world.task.version, progress=40
    )
    assert report.pk and task.progress == 40
