"""Each role's start page is its work, and listed tasks carry their marks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Task, TaskRequest, local_today
from tasks.services import workflow

from ..conftest import World

pytestmark = pytest.mark.django_db


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_leader_lands_on_the_dashboard(client: Client, world: World) -> None:
    client.force_login(world.users["leader"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("tasks:dashboard")


def test_the_liaison_lands_on_the_department_tasks_not_the_city_figures(client: Client, world: World) -> None:
    client.force_login(world.users["staff"])
    body = page(client, reverse("home"))
    assert 'id="my-work"' in body and world.task.title in body
    assert world.other_task.title not in body  # another department's task
    assert "任务总数" not in body and "可见工作方案" not in body  # no city-wide figures
    assert 'id="signoff-queue"' not in body  # a liaison signs nothing off


def test_the_head_sees_the_sign_off_queue_first(client: Client, world: World) -> None:
    workflow.completion_request(
        actor=world.users["staff"], task=world.task, expected_version=world.task.version, reason="完成"
    )
    client.force_login(world.users["head"])
    for url in (reverse("home"), reverse("tasks:inbox")):
        body = page(client, url)
        queue = body.index('id="signoff-queue"')
        assert queue < body.index(world.task.title) and world.task.title in body[queue : queue + 2000]
        assert "等待我签批" in body


def test_the_bureau_lands_on_the_review_queue_and_the_overdue_list(client: Client, world: World) -> None:
    workflow.completion_request(
        actor=world.users["head"], task=world.task, expected_version=world.task.version, reason="完成"
    )
    Task.objects.filter(pk=world.other_task.pk).update(due_date=local_today() - dt.timedelta(days=4))
    client.force_login(world.users["bureau"])
    body = page(client, reverse("home"))
    summary = body[body.index('id="review-summary"') : body.index('id="overdue-list"')]
    assert "待审核办结申请" in summary and '<div class="fs-3 fw-semibold">1</div>' in summary
    overdue = body[body.index('id="overdue-list"') :]
    assert world.other_task.title in overdue and "逾期 4 天" in overdue
    assert world.task.title not in overdue  # not overdue
    assert world.plan.title in body  # the plans stay below


def test_marks_on_the_department_list(client: Client, world: World) -> None:
    Task.objects.filter(pk=world.task.pk).update(due_date=local_today() - dt.timedelta(days=3))
    client.force_login(world.users["staff"])
    body = page(client, reverse("tasks:inbox"))
    assert "逾期 3 天" in body and "本期待填报" in body and "已催办" not in body

    world.task.refresh_from_db()
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="请加快")
    workflow.completion_request(
        actor=world.users["staff"], task=world.task, expected_version=world.task.version, reason="完成"
    )
    body = page(client, reverse("tasks:inbox"))
    assert "已催办" in body and "办结申请等待单位负责人签批" in body
    assert "等待知识产权局审核" not in body

    workflow.completion_sign_off(actor=world.users["head"], request=TaskRequest.objects.get(task=world.task))
    body = page(client, reverse("tasks:inbox"))
    assert "办结申请等待知识产权局审核" in body and "等待单位负责人签批" not in body


def test_marks_on_the_bureau_task_list(client: Client, world: World) -> None:
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="请加快")
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="再催")
    client.force_login(world.users["bureau"])
    body = page(client, reverse("tasks:task_list"))
    assert "已催办 2 次" in body


@pytest.mark.parametrize("username", ["staff", "head", "bureau"])
def test_home_query_count_does_not_grow_with_tasks_and_marks(
    client: Client, world: World, username: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .test_pages import add_tasks

    client.force_login(world.users[username])
    url = reverse("home")
    add_tasks(world, 5, 100)
    # one overdue, urged task of the department from the start: lists and marks are not empty
    Task.objects.filter(pk=world.task.pk).update(due_date=local_today() - dt.timedelta(days=2))
    workflow.task_urge(actor=world.users["bureau"], task=Task.objects.get(pk=world.task.pk), message="快")
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_tasks(world, 30, 200)
    late = list(Task.objects.filter(title__startswith="任务2").order_by("id")[:10])
    Task.objects.filter(pk__in=[t.pk for t in late]).update(due_date=local_today() - dt.timedelta(days=5))
    for task in Task.objects.filter(pk__in=[t.pk for t in late]):
        workflow.task_urge(actor=world.users["bureau"], task=task, message="请加快")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200 and "已催办" in response.content.decode()
    print(f"\nhome as {username}: {len(many)} queries")  # the figure, for the report
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
