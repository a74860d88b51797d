"""The query count of a page must not grow with the rows it lists: a helper for every list test.

``assert_constant_queries(client, url, grow)`` requests ``url`` once to warm the session and
the caches, counts the queries of a request at the first size, calls ``grow`` to add rows, and
counts again at the second size; the counts must be equal (the queries are shown when not).

For a new list, one line in a test that has the ``constant_queries`` fixture (tests/conftest.py):
``constant_queries("/my/list/", user="staff")`` signs the world's user in and grows the world's plan
with ``add_tasks`` (tasks with reports, assignments and a former path), or ``grow=`` what the list
shows; API lists take the token header, ``constant_queries(url, HTTP_AUTHORIZATION=...)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks.models import Section
from tasks.services import progress_report_submit, section_create, task_create
from tasks.services.maintenance import task_move

_numbers = itertools.count(100)


def count_queries(client: Client, url: str, **headers: Any) -> tuple[int, list[str], Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [q["sql"] for q in captured.captured_queries], response


def assert_constant_queries(
    client: Client, url: str, grow: Callable[[int], Any], *, sizes: tuple[int, int] = (3, 20), **headers: Any
) -> Any:
    """Equal query counts for ``url`` with ``sizes[0]`` and ``sizes[1]`` rows added by ``grow``;
    returns the response at the larger size (for checks of what the page shows)."""
    client.get(url, **headers)  # warm: session, content types, caches
    grow(sizes[0])
    few, few_sql, _ = count_queries(client, url, **headers)
    grow(sizes[1] - sizes[0])
    many, many_sql, response = count_queries(client, url, **headers)
    assert many == few, "\n".join(["--- few:", *few_sql, "--- many:", *many_sql])
    return response


class ConstantQueries(Protocol):
    def __call__(
        self,
        url: str,
        *,
        user: str | None = None,
        grow: Callable[[int], Any] | None = None,
        sizes: tuple[int, int] = (3, 20),
        **headers: Any,
    ) -> Any: ...


def constant_queries_check(client: Client, world: Any) -> ConstantQueries:
    """The ``constant_queries`` fixture's function: ``check(url, user=..., grow=..., **headers)``."""

    def check(
        url: str,
        *,
        user: str | None = None,
        grow: Callable[[int], Any] | None = None,
        sizes: tuple[int, int] = (3, 20),
        **headers: Any,
    ) -> Any:
        if user is not None:
            client.force_login(world.users[user])
        return assert_constant_queries(client, url, grow or partial(add_tasks, world), sizes=sizes, **headers)

    return check


def add_tasks(world: Any, n: int, *, with_reports: bool = True) -> None:
    """``n`` tasks in the world's plan, led by the world's lead department with a responsible one,
    each with a progress report and a former path (moved to another section), all in the lists."""
    today = timezone.localdate()
    section = world.task.section
    target = Section.objects.filter(plan=world.plan, path="三").first() or section_create(
        plan=world.plan, label="三", title="保障", order=9
    )
    for _ in range(n):
        number = next(_numbers)
        task = task_create(
            actor=None,
            plan=world.plan,
            section=section,
            path=f"二.(一).{number}",
            number=number,
            order=number,
            title=f"任务{number}",
            due_date=today + dt.timedelta(days=number % 40 - 10),
            lead=[world.lead_dept],
            responsible=[world.other_dept],
        )
        task = task_move(actor=world.users["bureau"], task=task, expected_version=None, section=target)
        if with_reports:
            progress_report_submit(
                actor=world.users["staff"], task=task, text="已推进", percent=30, period=f"{today:%Y-%m}"
            )
