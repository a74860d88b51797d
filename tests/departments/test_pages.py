"""The department registry pages under /departments/ (issue 12.2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from departments.models import Department
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_list_search_and_scope(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    body = client.get("/departments/").content.decode()
    assert "市科技局" in body and "市财政局" in body and world.foreign_dept.name not in body
    found = client.get("/departments/", {"q": "科技局"}).content.decode()  # its alias matches too
    assert "市科技局" in found and "市财政局" not in found


@pytest.mark.parametrize("who", ["staff", "head", "leader"])
def test_registry_is_for_the_bureau(client: Client, world: World, who: str) -> None:
    client.force_login(world.users[who])
    assert client.get("/departments/").status_code == 403
    assert client.get(f"/departments/{world.lead_dept.pk}/").status_code == 404


def test_other_regions_department_is_not_found(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    assert client.get(f"/departments/{world.foreign_dept.pk}/").status_code == 404
    response = client.post(f"/departments/{world.foreign_dept.pk}/rename/", {"name": "X"})
    assert response.status_code == 404
    assert Department.objects.get(pk=world.foreign_dept.pk).name == "市科技创新局"


def test_detail_lists_open_tasks_users_and_retire_is_refused(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    url = f"/departments/{world.lead_dept.pk}/"
    body = client.get(url).content.decode()
    assert reverse("tasks:task_detail", args=[world.task.pk]) in body
    assert "staff" in body and "head" in body
    response = client.post(f"{url}retire/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请先改派" in page and reverse("tasks:task_detail", args=[world.task.pk]) in page
    assert Department.objects.get(pk=world.lead_dept.pk).active


def test_rename_and_merge_through_the_pages(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    response = client.post(f"/departments/{world.lead_dept.pk}/rename/", {"name": "市科学技术局"})
    assert response.status_code == 302
    assert Department.objects.get(pk=world.lead_dept.pk).name == "市科学技术局"
    taken = client.post(f"/departments/{world.lead_dept.pk}/rename/", {"name": "市财政局"})
    assert taken.status_code == 400 and "已是本区划另一单位的名称" in taken.content.decode()
    unconfirmed = client.post(f"/departments/{world.other_dept.pk}/merge/", {"survivor": world.lead_dept.pk})
    assert unconfirmed.status_code == 400 and Department.objects.get(pk=world.other_dept.pk).active
    foreign = client.post(
        f"/departments/{world.other_dept.pk}/merge/", {"survivor": world.foreign_dept.pk, "confirm": "on"}
    )
    assert foreign.status_code == 400 and Department.objects.get(pk=world.other_dept.pk).active
    merged = client.post(
        f"/departments/{world.other_dept.pk}/merge/", {"survivor": world.lead_dept.pk, "confirm": "on"}
    )
    assert merged.status_code == 302 and merged["Location"] == f"/departments/{world.lead_dept.pk}/"
    absorbed = Department.objects.get(pk=world.other_dept.pk)
    assert (absorbed.active, absorbed.merged_into_id) == (False, world.lead_dept.pk)
    page = client.get(f"/departments/{world.other_dept.pk}/").content.decode()
    assert "已并入" in page and "市科学技术局" in page
    retired = client.get("/departments/", {"active": "false"}).content.decode()
    assert "市财政局" in retired


def test_list_query_count_does_not_grow_with_departments(client: Client, world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from departments.services import department_alias_add, department_create

    client.force_login(world.users["bureau"])
    client.get("/departments/")  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        client.get("/departments/")
    for i in range(15):
        department = department_create(actor=None, region=world.city, name=f"市测试局{i}")
        department_alias_add(actor=None, department=department, name=f"测试局{i}")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/departments/").content.decode()
    assert "测试局14" in body
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
