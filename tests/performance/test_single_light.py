"""A task list filtered to one light skips the light CASE in ORDER BY and the light count query;
it lists the same tasks in the same order with the same counts as the general path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tasks.filtersets import TaskFilterSet, filtered
from tasks.models import Plan, Task
from tasks.selectors import light_counts, order_by_urgency, visible_tasks
from tests.conftest import World
from tests.support.querycount import ConstantQueries, add_tasks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["overdue=true", "light=red", "light=yellow", "light=green", "light=done"])
def test_one_light_lists_like_the_general_path(client: Client, world: World, query: str) -> None:
    add_tasks(world, 30, with_reports=False)
    bureau = world.users["bureau"]
    client.force_login(bureau)
    response = client.get(f"/tasks/?{query}")
    assert response.status_code == 200
    key, value = query.split("=")
    filterset = TaskFilterSet({key: value}, queryset=visible_tasks(bureau), plans=Plan.objects.all())
    matching = filtered(filterset)
    expected = list(order_by_urgency(matching).values_list("pk", flat=True)[:50])
    assert [task.pk for task in response.context["page"].object_list] == expected
    assert response.context["counts"] == light_counts(matching)


def test_one_light_keeps_the_query_count(constant_queries: ConstantQueries, world: World) -> None:
    # one overdue task from the start: an empty list skips its page query
    Task.objects.filter(pk=world.other_task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
    constant_queries("/tasks/?overdue=true", user="province")
