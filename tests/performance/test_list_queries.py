"""Every list answers in a number of queries that does not depend on how many tasks it lists
(measured at two sizes with ``assert_constant_queries``)."""

from __future__ import annotations

from functools import partial

import pytest
from django.test import Client

from ipplan.services import api_token_create
from tests.conftest import World

from .querycount import add_tasks, assert_constant_queries


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
def test_api_lists(client: Client, world: World, bearer: dict[str, str], url: str) -> None:
    assert_constant_queries(client, url, partial(add_tasks, world), **bearer)


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
    ],
)
def test_pages(client: Client, world: World, user: str, url: str) -> None:
    client.force_login(world.users[user])
    assert_constant_queries(client, url.format(plan=world.plan.pk), partial(add_tasks, world))
