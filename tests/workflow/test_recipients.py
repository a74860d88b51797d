"""Who is told: department members and the bureau users responsible for a plan's region."""

from __future__ import annotations

import pytest

from departments.models import User
from departments.services import region_create, user_create
from ipplan.roles import Role
from tasks.services import bureau_users_for, department_members, plan_create, task_members

from ..conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def names(users: object) -> list[str]:
    return sorted(u.username for u in users)  # type: ignore[attr-defined]


def test_department_members_are_its_active_users(world: World) -> None:
    assert names(department_members(world.lead_dept)) == ["head", "staff"]
    assert names(department_members(world.lead_dept, roles=[Role.DEPT_HEAD])) == ["head"]
    User.objects.filter(username="staff").update(is_active=False)
    assert names(department_members(world.lead_dept)) == ["head"]


def test_bureau_users_are_those_of_the_region_and_above(world: World) -> None:
    assert names(bureau_users_for(world.plan)) == ["bureau", "province"]
    assert names(bureau_users_for(world.foreign_plan)) == ["other_bureau", "province"]
    district = region_create(code="441901", name="莞城街道", level="county", parent=world.city)
    district_plan = plan_create(actor=None, region=district, title="街道方案")
    user_create(actor=None, username="district_bureau", password=PASSWORD, role=Role.BUREAU, region=district)
    assert names(bureau_users_for(district_plan)) == ["bureau", "district_bureau", "province"]
    # the district's bureau is not responsible for the city's plan
    assert names(bureau_users_for(world.plan)) == ["bureau", "province"]


def test_task_members(world: World) -> None:
    assert names(task_members(world.task)) == ["head", "other_staff", "staff"]
    assert names(task_members(world.task, lead_only=True)) == ["head", "staff"]
