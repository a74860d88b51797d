"""The dashboard's figures come from the cache until a write commits, then are computed again;
viewers of different scopes never share an entry; lists a user acts on are never cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from departments.models import Department
from tasks.figures_cache import figures_changed, scope_key, version
from tasks.models import Task
from tasks.services import task_create
from tests.conftest import World
from tests.support.querycount import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_figures(settings: Any) -> Iterator[None]:
    settings.IPPLAN_FIGURES_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def _total(client: Client, url: str = "/dashboard/") -> tuple[int, int, Any]:
    queries, _sql, response = count_queries(client, url)
    return response.context["total"], queries, response


def new_task(world: World, number: int, *, lead: Department | None = None, days_late: int = 0) -> Task:
    """A task of the world's plan, due today (or ``days_late`` days ago), led by ``lead``."""
    return task_create(
        actor=None,
        plan=world.plan,
        path=f"二.(一).{number}",
        number=number,
        title=f"缓存任务{number}",
        due_date=timezone.localdate() - dt.timedelta(days=days_late),
        lead=[lead or world.lead_dept],
    )


def test_a_committed_write_is_visible_at_once(
    client: Client, world: World, cached_figures: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client.force_login(world.users["bureau"])
    before, cold, _ = _total(client)
    again, warm, _ = _total(client)
    assert again == before and warm < cold  # the figures came from the cache
    # a write through a service is seen as soon as its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        new_task(world, 901)
    after, recomputed, response = _total(client)
    assert after == before + 1
    assert recomputed == cold
    # and the upcoming deadlines (a list the user acts on) were read live all along
    assert any(task.title == "缓存任务901" for task in response.context["upcoming"])


def test_an_uncommitted_write_keeps_the_entry_until_commit(
    client: Client, world: World, cached_figures: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client.force_login(world.users["bureau"])
    first = version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        figures_changed()
    assert version() == first and callbacks  # nothing dropped before the commit
    for callback in callbacks:
        callback()
    assert version() == first + 1


def test_viewers_of_different_scopes_never_share_figures(
    client: Client, world: World, cached_figures: None
) -> None:
    bureau, staff, province = (world.users[name] for name in ("bureau", "staff", "province"))
    assert len({scope_key(bureau), scope_key(staff), scope_key(province)}) == 3
    client.force_login(staff)
    mine, _, _ = _total(client)
    client.force_login(bureau)
    region, _, _ = _total(client)
    client.force_login(staff)
    assert _total(client)[0] == mine
    assert Task.objects.filter(plan=world.plan).count() == region  # the bureau sees the region's


def test_the_cache_can_be_turned_off(client: Client, world: World, settings: Any) -> None:
    settings.IPPLAN_FIGURES_CACHE_SECONDS = 0
    cache.clear()
    client.force_login(world.users["bureau"])
    _, cold, _ = _total(client)
    _, warm, _ = _total(client)
    assert warm == cold
