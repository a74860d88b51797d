"""The task page's change list copes with a task whose history holds no row (tasks loaded in bulk,
outside the services, e.g. by a migration or COPY)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tasks.selectors import task_changes

from ..conftest import World

pytestmark = pytest.mark.django_db


def test_a_task_without_history_rows_shows_no_changes(world: World) -> None:
    world.task.history.all().delete()
    assert task_changes(world.task) == []
    client = Client()
    client.force_login(world.users["bureau"])
    assert client.get(reverse("tasks:task_detail", args=[world.task.pk])).status_code == 200


def test_changes_are_listed_newest_first(world: World) -> None:
    changes = task_changes(world.task)
    assert changes and changes == sorted(changes, key=lambda e: e["at"], reverse=True)
