"""Every list answers in a number of queries that does not depend on how many tasks it lists
(measured at two sizes with the ``constant_queries`` fixture, tests/support/querycount.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from ipplan.services import api_token_create
from tests.conftest import World
from tests.support.querycount import ConstantQueries, add_tasks


@pytest.fixture
def bearer(world: World) -> dict[str, str]:
    _token, secret = api_token_create(actor=world.users["bureau"], name="query count")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tasks/?page_size=100",
        "/api/v1/tasks/?page_size=100&cursor=",
        "/api/v1/tasks/?page_size=100&overdue=true",
        "/api/v1/plans/",
        "/api/v1/reports/",
    ],
)
def test_api_lists(constant_queries: ConstantQueries, bearer: dict[str, str], url: str) -> None:
    constant_queries(url, **bearer)


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("staff", "/my/"),
        ("staff", "/my/?sort=plan"),
        ("bureau", "/tasks/"),
        ("bureau", "/tasks/?overdue=true"),
        ("province", "/tasks/"),
        ("bureau", "/review/"),
        ("bureau", "/plans/{plan}/"),
        ("bureau", "/dashboard/"),
        ("province", "/dashboard/"),
        ("staff", "/dashboard/"),
    ],
)
def test_pages(constant_queries: ConstantQueries, world: World, user: str, url: str) -> None:
    constant_queries(url.format(plan=world.plan.pk), user=user)


def test_task_serializer_fast_path_equals_drf(world: World) -> None:
    """The hand-built task dictionary is exactly what DRF's field-by-field path gives."""
    from django.utils import timezone

    from tasks.api.serializers import TaskSerializer
    from tasks.models import Task
    from tasks.selectors import task_assignments_prefetch

    add_tasks(world, 3)
    Task.objects.filter(pk=world.task.pk).update(
        status="completed", progress=100, completed_at=timezone.now(), merged_into=world.other_task
    )
    tasks = Task.objects.with_light().prefetch_related(task_assignments_prefetch(), "path_aliases")
    serializer = TaskSerializer()
    for task in tasks:
        assert serializer.to_representation(task) == serializer.stock_representation(task)


def test_task_list_rows_equal_the_serializer(client: Client, world: World, bearer: dict[str, str]) -> None:
    """The API list, built from rows, gives each task exactly as TaskSerializer does (page and
    cursor), in the policy's order."""
    from django.utils import timezone

    from tasks.api.serializers import TaskSerializer
    from tasks.models import Task
    from tasks.selectors import task_assignments_prefetch

    add_tasks(world, 4)
    Task.objects.filter(pk=world.task.pk).update(completed_at=timezone.now(), split_from=world.other_task)
    expected = [
        TaskSerializer().stock_representation(task)
        for task in Task.objects.filter(plan__region=world.city)
        .with_light()
        .prefetch_related(task_assignments_prefetch(), "path_aliases")
        .order_by("plan_id", "order", "id")
    ]
    page = client.get("/api/v1/tasks/?page_size=100", **bearer).json()
    assert page["count"] == len(expected) and page["results"] == expected
    walked, url = [], "/api/v1/tasks/?page_size=2&cursor="
    while url:
        answer = client.get(url, **bearer).json()
        walked += answer["results"]
        url = answer["next"]
    assert sorted(walked, key=lambda t: t["id"]) == sorted(expected, key=lambda t: t["id"])


def test_allowed_actions_in_one_query_answers_as_can(world: World) -> None:
    """``allowed_actions`` asks once for all actions and agrees with ``can`` for each, for every
    role on objects in and out of reach."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ipplan.permissions import Action, allowed_actions, can

    actions = list(Action)
    objects = [world.task, world.other_task, world.foreign_task, world.plan, world.foreign_plan]
    for user in world.users.values():
        for obj in objects:
            try:
                expected = {action for action in actions if can(user, action, obj)}
            except LookupError:
                continue
            with CaptureQueriesContext(connection) as queries:
                got = allowed_actions(user, obj, actions)
            assert got == expected, (user.username, obj, got ^ expected)
            assert len(queries) <= 1
