"""Issue 11, hole 1: a city bureau user must not write into other regions through /admin/.

Each test forges the POST a browser would send with another region's plan, region or department
in it; the admin must refuse it (403 or a form error) and write nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from departments.choices import RegionLevel
from departments.models import Department, DepartmentAlias, Region
from departments.services import department_create, region_create
from tasks.models import Plan, Task
from tasks.services import plan_create
from tests.conftest import World

from .helpers import post_data


@pytest.fixture
def bureau(client: Client, world: World) -> Client:
    client.force_login(world.users["bureau"])
    return client


@pytest.fixture
def other_province_plan(world: World) -> Plan:
    hunan = region_create(code="430000", name="湖南省", level=RegionLevel.PROVINCE)
    changsha = region_create(code="430100", name="长沙市", level=RegionLevel.CITY, parent=hunan)
    return plan_create(actor=None, region=changsha, title="长沙市知识产权工作方案")


def _refused(response: object) -> bool:
    status = getattr(response, "status_code", 0)
    return status in (403, 404) or (status == 200 and bool(getattr(response, "context", None)))


def test_bureau_cannot_add_a_plan_in_another_city(bureau: Client, world: World) -> None:
    url = "/admin/tasks/plan/add/"
    before = Plan.objects.count()
    data = post_data(bureau, url, region=world.other_city.pk, title="伪造的珠海方案", status="active")
    data.update(report_cadence="monthly", report_day="25")
    response = bureau.post(url, data)
    assert _refused(response), response.status_code
    assert Plan.objects.count() == before
    assert not Plan.objects.filter(title="伪造的珠海方案").exists()


def test_bureau_cannot_move_a_task_into_another_provinces_plan(
    bureau: Client, world: World, other_province_plan: Plan
) -> None:
    url = f"/admin/tasks/task/{world.task.pk}/change/"
    data = post_data(bureau, url, world.task, plan=other_province_plan.pk, section="")
    data.pop("section", None)
    data.pop("departments", None)
    response = bureau.post(url, data)
    assert _refused(response), response.status_code
    task = Task.objects.get(pk=world.task.pk)
    assert task.plan_id == world.plan.pk
    assert not Task.objects.filter(plan=other_province_plan).exists()


def test_bureau_cannot_add_a_department_in_another_city(bureau: Client, world: World) -> None:
    url = "/admin/departments/department/add/"
    data = post_data(bureau, url, region=world.other_city.pk, name="伪造局", kind="government", active=True)
    response = bureau.post(url, data)
    assert _refused(response), response.status_code
    assert not Department.objects.filter(name="伪造局").exists()


def test_bureau_cannot_move_a_department_into_another_city(bureau: Client, world: World) -> None:
    url = f"/admin/departments/department/{world.other_dept.pk}/change/"
    data = post_data(bureau, url, world.other_dept, region=world.other_city.pk)
    bureau.post(url, data)  # the region is not offered on a change: the forged value is ignored
    assert Department.objects.get(pk=world.other_dept.pk).region_id == world.city.pk
    assert "region" not in bureau.get(url).context["adminform"].form.fields


def test_bureau_cannot_add_an_alias_in_another_city(bureau: Client, world: World) -> None:
    url = "/admin/departments/departmentalias/add/"
    data = post_data(
        bureau, url, department=world.foreign_dept.pk, region=world.other_city.pk, name="伪造别名"
    )
    response = bureau.post(url, data)
    assert _refused(response), response.status_code
    assert not DepartmentAlias.objects.filter(name="伪造别名").exists()


def test_bureau_cannot_file_an_own_alias_under_another_city(bureau: Client, world: World) -> None:
    url = "/admin/departments/departmentalias/add/"
    data = post_data(bureau, url, department=world.lead_dept.pk, region=world.other_city.pk, name="跨区别名")
    bureau.post(url, data)  # the alias goes to the department's own region, whatever the POST says
    assert not DepartmentAlias.objects.filter(name="跨区别名", region=world.other_city).exists()
    assert DepartmentAlias.objects.get(name="跨区别名").region_id == world.city.pk


def test_bureau_cannot_add_an_alias_inline_in_another_city(bureau: Client, world: World) -> None:
    url = f"/admin/departments/department/{world.other_dept.pk}/change/"
    data = post_data(bureau, url, world.other_dept)
    data.update(
        {
            "aliases-TOTAL_FORMS": "1",
            "aliases-0-name": "内联伪造",
            "aliases-0-region": world.other_city.pk,
        }
    )
    bureau.post(url, data)
    assert not DepartmentAlias.objects.filter(name="内联伪造", region=world.other_city).exists()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/departments/department/add/", "region"),
        ("/admin/departments/departmentalias/add/", "department"),
    ],
)
def test_choice_lists_hold_only_the_users_region(bureau: Client, world: World, url: str, field: str) -> None:
    response = bureau.get(url)
    assert response.status_code == 200
    choices = response.context["adminform"].form.fields[field].queryset
    model = choices.model
    if model is Region:
        assert set(choices) == {world.city}
    else:
        assert world.foreign_dept not in set(choices) and world.lead_dept in set(choices)


def test_department_autocomplete_is_scoped(bureau: Client, world: World) -> None:
    response = bureau.get(
        "/admin/autocomplete/",
        {"app_label": "departments", "model_name": "department", "field_name": "parent", "term": "市"},
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert "市科技局" in names and world.foreign_dept.name not in names


def test_admin_without_region_may_add_a_department_anywhere(client: Client, world: World) -> None:
    client.force_login(world.users["admin"])
    url = "/admin/departments/department/add/"
    data = post_data(client, url, region=world.other_city.pk, name="珠海新局", kind="government", active=True)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Department.objects.get(name="珠海新局")
    assert created.region_id == world.other_city.pk
    assert created.history.latest().history_user == world.users["admin"]


def test_department_foreign_parent_refused(bureau: Client, world: World) -> None:
    department = department_create(actor=None, region=world.city, name="市新局")
    url = f"/admin/departments/department/{department.pk}/change/"
    data = post_data(bureau, url, department, parent=world.foreign_dept.pk)
    response = bureau.post(url, data)
    assert _refused(response)
    assert Department.objects.get(pk=department.pk).parent_id is None


def test_user_admin_pages_still_open_for_the_security_administrator(client: Client, world: World) -> None:
    """The users admin shares the policy base: its forms still build, for the security
    administrator alone (三员分立: the system administrator manages no accounts)."""
    client.force_login(world.users["admin"])
    assert client.get("/admin/departments/user/add/").status_code == 403
    client.force_login(world.users["security"])
    assert client.get("/admin/departments/user/add/").status_code == 200
    assert client.get(f"/admin/departments/user/{world.users['staff'].pk}/change/").status_code == 200


def test_regions_are_added_and_renamed_through_the_services(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    assert client.get("/admin/departments/region/add/").status_code == 403  # regions: administrators
    client.force_login(world.users["admin"])
    url = "/admin/departments/region/add/"
    response = client.post(
        url, {"code": "441901", "name": "莞城街道", "level": "county", "parent": world.city.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    district = Region.objects.get(code="441901")
    assert district.path == "/440000/441900/441901/"
    change = f"/admin/departments/region/{district.pk}/change/"
    response = client.post(
        change, {"name": "莞城", "level": "county", "code": "999999", "parent": world.province.pk}
    )
    assert response.status_code == 302
    district.refresh_from_db()
    assert (district.name, district.code, district.path) == ("莞城", "441901", "/440000/441900/441901/")
