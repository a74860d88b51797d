"""Two bureau users maintaining one task at once: the row lock and the version check let exactly
one of them win; the other gets a conflict and changes nothing (PostgreSQL: real row locks)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ipplan.exceptions import ConflictError
from tasks.choices import TaskStatus
from tasks.models import Task
from tasks.services import maintenance as m
from tasks.services.maintenance import Departments
from tests.conftest import World
from tests.threads import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _outcome(call: Any) -> str:
    try:
        call()
    except ConflictError:
        return "conflict"
    return "ok"


def test_two_reassignments_of_one_version_one_wins(world: World) -> None:
    bureau, task = world.users["bureau"], world.task
    choices = iter([[world.other_dept], [world.lead_dept]])
    lock = threading.Lock()

    def reassign() -> str:
        with lock:
            lead = next(choices)
        return _outcome(
            lambda: m.task_reassign(
                actor=bureau, task=task, expected_version=1, departments=Departments(lead=lead)
            )
        )

    assert sorted(in_threads(reassign, n=2)) == ["conflict", "ok"]
    task.refresh_from_db()
    assert task.version == 2
    assert task.assignments.count() == 1


def test_cancel_racing_an_edit_one_wins(world: World) -> None:
    bureau, task = world.users["bureau"], world.task
    calls = iter(
        [
            lambda: m.task_cancel(actor=bureau, task=task, expected_version=1, reason="重复"),
            lambda: m.task_edit(actor=bureau, task=task, expected_version=1, title="新标题"),
        ]
    )
    lock = threading.Lock()

    def run() -> str:
        with lock:
            call = next(calls)
        return _outcome(call)

    assert sorted(in_threads(run, n=2)) == ["conflict", "ok"]
    task = Task.objects.get(pk=task.pk)
    assert task.version == 2
    assert (task.status == TaskStatus.CANCELLED) != (task.title == "新标题")
