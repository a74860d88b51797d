"""Every portal page for anonymous users, each role and another department; forged POSTs;
list pages whose query count does not grow with the number of tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Task
from tasks.services import task_create

from ..conftest import World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

# username -> expected status, per page; "login" means a redirect to the login page.
PAGES = {
    "inbox": ("tasks:inbox", None),
    "plan": ("tasks:plan_detail", "plan"),
    "foreign_plan": ("tasks:plan_detail", "foreign_plan"),
    "task": ("tasks:task_detail", "task"),
    "foreign_task": ("tasks:task_detail", "foreign_task"),
    "review": ("tasks:review", None),
    "notifications": ("notifications:list", None),
    "import": ("tasks:import_start", None),
    "tokens": ("account_tokens", None),
}
EXPECTED = {
    #                 inbox plan foreign_plan task foreign_task review notif import tokens
    None:            ("login", "login", "login", "login", "login", "login", "login", "login", "login"),
    "admin":         (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "bureau":        (200, 200, 404, 200, 404, 200, 200, 200, 200),
    "province":      (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "other_bureau":  (200, 404, 200, 404, 200, 200, 200, 200, 200),
    "leader":        (200, 200, 404, 200, 404, 403, 200, 403, 200),
    "head":          (200, 200, 404, 200, 404, 403, 200, 403, 200),
    "staff":         (200, 200, 404, 200, 404, 403, 200, 403, 200),
    "other_staff":   (200, 200, 404, 200, 404, 403, 200, 403, 200),
    "foreign_staff": (200, 404, 200, 404, 200, 403, 200, 403, 200),
}  # fmt: skip


def url_for(world: World, page: str) -> str:
    name, attr = PAGES[page]
    return reverse(name, args=[getattr(world, attr).pk]) if attr else reverse(name)


@pytest.mark.parametrize("username", list(EXPECTED))
def test_page_access_matrix(client: Client, world: World, username: str | None) -> None:
    if username:
        client.force_login(world.users[username])
    for page, expected in zip(PAGES, EXPECTED[username], strict=True):
        response = client.get(url_for(world, page))
        if expected == "login":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
        else:
            assert response.status_code == expected, f"{username} {page}: {response.status_code}"


def buttons(client: Client, world: World) -> set[str]:
    body = client.get(reverse("tasks:task_detail", args=[world.task.pk])).content.decode()
    ids = ("progress-form", "report-form", "completion-form", "extension-form", "urge-form", "deadline-form")
    return {i for i in ids if f'id="{i}"' in body}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("staff", {"progress-form", "report-form", "completion-form", "extension-form"}),
        ("head", {"progress-form", "report-form", "completion-form", "extension-form"}),
        ("other_staff", {"report-form"}),  # responsible: reports only
        ("leader", set()),
        ("bureau", {"urge-form", "deadline-form"}),
        ("province", {"urge-form", "deadline-form"}),
    ],
)
def test_task_page_shows_only_allowed_actions(
    client: Client, world: World, username: str, expected: set[str]
) -> None:
    client.force_login(world.users[username])
    assert buttons(client, world) == expected


@pytest.mark.parametrize(
    ("username", "route", "data", "status"),
    [
        ("other_staff", "tasks:task_progress", {"version": "1", "progress": "50"}, 403),
        ("leader", "tasks:task_progress", {"version": "1", "progress": "50"}, 403),
        ("foreign_staff", "tasks:task_progress", {"version": "1", "progress": "50"}, 404),
        ("staff", "tasks:task_urge", {"message": "快"}, 403),
        ("leader", "tasks:task_urge", {"message": "快"}, 403),
        ("other_bureau", "tasks:task_urge", {"message": "快"}, 404),
        ("staff", "tasks:task_deadline", {"version": "1", "due_date": "2030-01-01"}, 403),
        ("other_staff", "tasks:completion_request", {"version": "1"}, 403),
        ("leader", "tasks:report_submit", {"text": "x", "percent": "1", "period": "2026-11"}, 403),
        ("foreign_staff", "tasks:report_submit", {"text": "x", "percent": "1", "period": "2026-11"}, 404),
    ],
)
def test_forged_posts_are_refused_and_change_nothing(
    client: Client, world: World, username: str, route: str, data: dict[str, str], status: int
) -> None:
    client.force_login(world.users[username])
    before = Task.objects.get(pk=world.task.pk)
    response = client.post(reverse(route, args=[world.task.pk]), data)
    assert response.status_code == status
    after = Task.objects.get(pk=world.task.pk)
    assert (after.version, after.progress, after.due_date) == (
        before.version,
        before.progress,
        before.due_date,
    )
    assert after.reports.count() == 0 and after.urges.count() == 0


def test_csrf_required_on_actions(world: World) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["staff"])
    response = strict.post(
        reverse("tasks:task_progress", args=[world.task.pk]), {"version": "1", "progress": "5"}
    )
    assert response.status_code == 403


def add_tasks(world: World, count: int, start: int) -> None:
    today = timezone.localdate()
    for i in range(start, start + count):
        task_create(
            actor=None, plan=world.plan, path=f"九.{i}", number=i, title=f"任务{i}",
            due_date=today + dt.timedelta(days=i - 20), lead=[world.lead_dept], responsible=[world.other_dept],
        )  # fmt: skip


@pytest.mark.parametrize("route", ["tasks:inbox", "tasks:plan_detail"])
def test_list_query_count_does_not_grow(client: Client, world: World, route: str) -> None:
    client.force_login(world.users["staff"])
    # the plan page lists every task in its table view (its outline loads sections on demand)
    url = (
        reverse(route, args=[world.plan.pk]) + "?view=table"
        if route == "tasks:plan_detail"
        else reverse(route)
    )
    add_tasks(world, 5, 100)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_tasks(world, 30, 200)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200 and "任务229" in response.content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_inbox_is_most_urgent_first_with_counts(client: Client, world: World) -> None:
    add_tasks(world, 3, 1)  # due 19, 18, 17 days ago: overdue, red
    client.force_login(world.users["staff"])
    response = client.get(reverse("tasks:inbox"))
    body = response.content.decode()
    assert body.index("任务1") < body.index(world.task.title)  # red before the task due in 30 days
    counts = response.context["counts"]
    assert counts["red"] == 3 and counts["green"] + counts["yellow"] >= 1
    filtered = client.get(reverse("tasks:inbox"), {"light": "red"})
    assert world.task.title not in filtered.content.decode()
    by_role = client.get(reverse("tasks:inbox"), {"role": "responsible"})
    assert world.task.title not in by_role.content.decode()  # 市科技局 leads it


def test_task_page_shows_the_audit_trail(client: Client, world: World) -> None:
    from tasks.services import task_update_progress

    task_update_progress(actor=world.users["staff"], task=world.task, expected_version=1, progress=40)
    client.force_login(world.users["leader"])
    history = client.get(reverse("tasks:task_detail", args=[world.task.pk])).context["history"]
    latest = history[0]
    assert latest["who"] == world.users["staff"]
    assert {(c["old"], c["new"]) for c in latest["changes"]} >= {(0, 40), ("未开始", "进行中")}


def test_bureau_sets_deadlines_for_a_whole_plan(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    response = client.post(reverse("tasks:plan_deadlines", args=[world.plan.pk]), {"due_date": "2027-06-30"})
    assert response.status_code == 302
    assert set(world.plan.tasks.values_list("due_date", flat=True)) == {dt.date(2027, 6, 30)}
    assert world.task.history.latest().history_user == world.users["bureau"]


def test_bulk_deadlines_refused_to_departments(client: Client, world: World) -> None:
    client.force_login(world.users["staff"])
    before = set(world.plan.tasks.values_list("due_date", flat=True))
    response = client.post(reverse("tasks:plan_deadlines", args=[world.plan.pk]), {"due_date": "2027-06-30"})
    assert response.status_code == 403
    assert set(world.plan.tasks.values_list("due_date", flat=True)) == before


def test_review_queue_actions_return_to_the_queue_and_refuse_other_hosts(
    client: Client, world: World
) -> None:
    client.force_login(world.users["bureau"])
    url = reverse("tasks:task_urge", args=[world.task.pk])
    back = client.post(url, {"message": "请加快", "next": "/review/"})
    assert back["Location"] == "/review/"
    elsewhere = client.post(url, {"message": "再催", "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("tasks:task_detail", args=[world.task.pk])


def test_bureau_sets_a_plans_reminder_rules(client: Client, world: World) -> None:
    from notifications.services.policies import rules_for

    client.force_login(world.users["bureau"])
    data = {
        "days_before": "5,2",
        "on_day": "on",
        "repeat_every_days": "2",
        "escalate_head_after": "4",
        "escalate_bureau_after": "8",
    }
    assert client.post(reverse("tasks:plan_reminders", args=[world.plan.pk]), data).status_code == 302
    rules = rules_for(type(world.plan).objects.get(pk=world.plan.pk))
    assert (rules.days_before, rules.repeat_every_days, rules.escalate_bureau_after) == ((5, 2), 2, 8)
    bad = client.post(
        reverse("tasks:plan_reminders", args=[world.plan.pk]), {**data, "days_before": "soon"}, follow=True
    )
    assert "以逗号分隔的天数" in bad.content.decode()
    assert rules_for(type(world.plan).objects.get(pk=world.plan.pk)).days_before == (5, 2)  # unchanged
    client.force_login(world.users["staff"])
    assert client.post(reverse("tasks:plan_reminders", args=[world.plan.pk]), data).status_code == 403


def test_users_choose_email_and_digest(client: Client, world: World) -> None:
    staff = world.users["staff"]
    client.force_login(staff)
    assert client.get(reverse("account_notifications")).status_code == 200
    client.post(reverse("account_notifications"), {"daily_digest": "on"})
    staff.refresh_from_db()
    assert (staff.email_notifications, staff.daily_digest) == (False, True)
