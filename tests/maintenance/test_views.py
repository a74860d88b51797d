"""The maintenance pages: who may use them, what each form does, stale forms and bad input."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from tasks.choices import TaskStatus
from tasks.models import Section, Task
from tasks.services.plans import section_create
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _login(client: Client, world: World, username: str = "bureau") -> Client:
    client.force_login(world.users[username])
    return client


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("bureau", 200),
        ("admin", 200),
        ("province", 200),
        ("staff", 403),
        ("leader", 403),
        ("other_bureau", 404),
    ],
)
def test_who_may_open_the_maintenance_pages(client: Client, world: World, username: str, status: int) -> None:
    _login(client, world, username)
    assert client.get(reverse("tasks:task_maintain", args=[world.task.pk])).status_code == status
    assert client.get(reverse("tasks:plan_maintain", args=[world.plan.pk])).status_code == status


def test_the_task_page_links_to_maintenance_only_for_the_bureau(client: Client, world: World) -> None:
    url = reverse("tasks:task_detail", args=[world.task.pk])
    assert 'id="task-maintain"' in _login(client, world).get(url).content.decode()
    staff_page = _login(Client(), world, "staff").get(url)
    assert staff_page.status_code == 200 and 'id="task-maintain"' not in staff_page.content.decode()


def test_a_refused_maintenance_post_changes_nothing(client: Client, world: World) -> None:
    _login(client, world, "staff")
    url = reverse("tasks:task_cancel", args=[world.task.pk])
    assert client.post(url, {"version": "1", "reason": "x"}).status_code == 403
    world.task.refresh_from_db()
    assert world.task.status == TaskStatus.NOT_STARTED


def test_edit_through_the_page_and_a_stale_form_gets_409_with_the_current_title(
    client: Client, world: World
) -> None:
    _login(client, world)
    url = reverse("tasks:task_edit", args=[world.task.pk])
    done = client.post(url, {"version": "1", "title": "修订后的任务", "full_text": "全文", "reason": ""})
    assert done.status_code == 302
    stale = client.post(url, {"version": "1", "title": "另一个标题", "full_text": "", "reason": ""})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'id="conflict"' in page and "修订后的任务" in page
    world.task.refresh_from_db()
    assert (world.task.title, world.task.version) == ("修订后的任务", 2)


def test_bad_input_is_a_400_with_a_message(client: Client, world: World) -> None:
    _login(client, world)
    response = client.post(reverse("tasks:task_cancel", args=[world.task.pk]), {"version": "1", "reason": ""})
    assert response.status_code == 400 and 'id="form-errors"' in response.content.decode()
    response = client.post(reverse("tasks:task_edit", args=[world.task.pk]), {"version": "x", "title": "t"})
    assert response.status_code == 400
    world.task.refresh_from_db()
    assert world.task.version == 1 and world.task.status == TaskStatus.NOT_STARTED


def test_the_department_picker_searches_the_registry_and_reassigns(client: Client, world: World) -> None:
    _login(client, world)
    search = client.get(reverse("tasks:department_search", args=[world.plan.pk]), {"q": "财政"})
    assert search.status_code == 200
    html = search.content.decode()
    assert "市财政局" in html and f'name="role_{world.other_dept.pk}"' in html
    assert (
        "市科技创新局"
        not in client.get(
            reverse("tasks:department_search", args=[world.plan.pk]), {"q": "科技"}
        ).content.decode()
    )  # 珠海's department is not in 东莞's registry
    # no-JavaScript fallback: the page itself renders the matches for ?q=
    page = client.get(reverse("tasks:task_maintain", args=[world.task.pk]), {"q": "知识产权"})
    assert "市知识产权局" in page.content.decode()

    response = client.post(
        reverse("tasks:task_departments", args=[world.task.pk]),
        {
            "version": "1",
            f"role_{world.lead_dept.pk}": "",
            f"role_{world.other_dept.pk}": "lead",
            "reason": "机构改革",
        },
    )
    assert response.status_code == 302
    assert [(a.department, a.role) for a in world.task.assignments.all()] == [(world.other_dept, "lead")]
    assert Notification.objects.filter(recipient=world.users["staff"], task=world.task).exists()
    page = client.get(reverse("tasks:task_detail", args=[world.task.pk])).content.decode()
    assert "市科技局(牵头单位)" in page  # the audit trail shows the department that lost the task


def test_a_foreign_department_cannot_be_posted(client: Client, world: World) -> None:
    _login(client, world)
    response = client.post(
        reverse("tasks:task_departments", args=[world.task.pk]),
        {"version": "1", f"role_{world.foreign_dept.pk}": "lead"},
    )
    assert response.status_code == 400
    assert world.task.assignments.count() == 2


def test_split_move_cancel_restore_and_merge_through_the_pages(client: Client, world: World) -> None:
    _login(client, world)
    split = client.post(
        reverse("tasks:task_split", args=[world.task.pk]), {"version": "1", "title": "拆出的任务"}
    )
    new = Task.objects.get(split_from=world.task)
    assert split.status_code == 302 and split["Location"] == reverse("tasks:task_detail", args=[new.pk])
    top = Section.objects.get(plan=world.plan, path="二")
    target = section_create(plan=world.plan, label="(二)", title="运用", parent=top)
    world.task.refresh_from_db()
    moved = client.post(
        reverse("tasks:task_move", args=[world.task.pk]),
        {"version": str(world.task.version), "section": str(target.pk)},
    )
    assert moved.status_code == 302
    world.task.refresh_from_db()
    assert world.task.path == "二.(二).1"
    listed = client.get(reverse("tasks:task_list"), {"q": "二.(一).1"}).content.decode()
    assert world.task.title in listed
    cancel = client.post(
        reverse("tasks:task_cancel", args=[new.pk]), {"version": str(new.version), "reason": "重复"}
    )
    assert cancel.status_code == 302
    new.refresh_from_db()
    assert new.status == TaskStatus.CANCELLED
    assert "重复" in client.get(reverse("tasks:task_detail", args=[new.pk])).content.decode()
    restore = client.post(reverse("tasks:task_restore", args=[new.pk]), {"version": str(new.version)})
    assert restore.status_code == 302
    new.refresh_from_db()
    assert new.status == TaskStatus.NOT_STARTED
    merge = client.post(
        reverse("tasks:task_merge", args=[world.task.pk]),
        {"version": str(world.task.version), "other": str(new.pk)},
    )
    assert merge.status_code == 302
    new.refresh_from_db()
    assert new.merged_into_id == world.task.pk


def test_plan_page_edits_metadata_sections_and_adds_a_task(client: Client, world: World) -> None:
    _login(client, world)
    plan = world.plan
    response = client.post(
        reverse("tasks:plan_edit", args=[plan.pk]),
        {
            "version": str(plan.version),
            "title": "修订后的方案",
            "doc_number": "东府办〔2026〕9号",
            "issuer": "东莞市人民政府办公室",
            "issued_on": "2026-03-01",
            "period_start": "2026",
            "period_end": "2028",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.doc_number, plan.period_end, plan.version) == (
        "修订后的方案",
        "东府办〔2026〕9号",
        2028,
        2,
    )
    stale = client.post(reverse("tasks:plan_edit", args=[plan.pk]), {"version": "1", "title": "x"})
    assert stale.status_code == 409
    section = Section.objects.get(plan=plan, path="二.(一)")
    edited = client.post(
        reverse("tasks:section_edit", args=[plan.pk, section.pk]), {"version": "1", "title": "创造与培育"}
    )
    assert edited.status_code == 302
    section.refresh_from_db()
    assert section.title == "创造与培育"
    added = client.post(
        reverse("tasks:plan_add_task", args=[plan.pk]),
        {"section": str(section.pk), "title": "新增任务", f"role_{world.lead_dept.pk}": "lead"},
    )
    task = Task.objects.get(title="新增任务")
    assert added.status_code == 302 and task.path == "二.(一).3"
    no_lead = client.post(
        reverse("tasks:plan_add_task", args=[plan.pk]), {"section": str(section.pk), "title": "无牵头单位"}
    )
    assert no_lead.status_code == 400 and not Task.objects.filter(title="无牵头单位").exists()
