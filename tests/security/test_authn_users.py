"""Accounts are created and changed through the services, in the admin as anywhere else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from departments.models import PasswordHistory, User
from departments.services import user_create, user_set_role, user_update
from ipplan.roles import Role
from tests.conftest import PASSWORD, World

ADD_URL = "/admin/departments/user/add/"


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.users["security"])
    return client


def test_liaison_created_in_the_admin_gets_the_department_region_and_sees_their_tasks(world: World) -> None:
    admin = admin_client(world)
    response = admin.post(
        ADD_URL,
        {
            "username": "liaison2",
            "password1": "Initial-pass-2026",
            "password2": "Initial-pass-2026",
            "role": Role.DEPT_STAFF,
            "department": world.lead_dept.pk,
            "region": world.other_city.pk,  # ignored: a department user takes the department's region
            "display_name": "李联络",
            "email": "liaison2@example.cn",
            "phone": "0769-12345678",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(username="liaison2")
    assert created.region == world.city and created.department == world.lead_dept
    assert created.must_change_password
    assert PasswordHistory.objects.filter(user=created).count() == 1
    assert created.email == "liaison2@example.cn" and created.phone == "0769-12345678"

    # first sign-in: the password change comes first, then the liaison's inbox holds the task
    liaison = Client()
    liaison.post(reverse("login"), {"username": "liaison2", "password": "Initial-pass-2026"})
    assert liaison.get(reverse("tasks:inbox"))["Location"] == reverse("password_change")
    new = "Liaison-own-pass-7"
    liaison.post(
        reverse("password_change"),
        {"old_password": "Initial-pass-2026", "new_password1": new, "new_password2": new},
    )
    inbox = liaison.get(reverse("tasks:inbox"))
    assert inbox.status_code == 200
    body = inbox.content.decode()
    assert world.task.title in body and world.foreign_task.title not in body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": Role.DEPT_STAFF}, "department"),
        ({"role": Role.BUREAU}, "region"),
        ({"role": Role.LEADER}, "region"),
        ({"role": ""}, "role"),
    ],
)
def test_admin_refuses_an_account_without_its_scope(
    world: World, data: dict[str, object], field: str
) -> None:
    admin = admin_client(world)
    before = User.objects.count()
    response = admin.post(
        ADD_URL,
        {
            "username": "incomplete",
            "password1": "Initial-pass-2026",
            "password2": "Initial-pass-2026",
            **data,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get(field) or response.context[
        "adminform"
    ].form.errors.get("__all__")
    assert User.objects.count() == before


def test_admin_refuses_a_weak_password_and_a_name_taken_in_other_case(world: World) -> None:
    admin = admin_client(world)
    for username, password in (("fresh", "weakpassword"), ("HEAD", "Initial-pass-2026")):
        response = admin.post(
            ADD_URL,
            {
                "username": username,
                "password1": password,
                "password2": password,
                "role": Role.DEPT_STAFF,
                "department": world.lead_dept.pk,
            },
        )
        assert response.status_code == 200
    assert not User.objects.filter(username__in=["fresh", "HEAD"]).exists()


def test_admin_role_change_goes_through_the_service(world: World) -> None:
    admin = admin_client(world)
    staff = world.users["staff"]
    url = f"/admin/departments/user/{staff.pk}/change/"
    form = admin.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "role": Role.DEPT_HEAD,
            "department": world.other_dept.pk,
            "region": "",
            "email_notifications": "on",
            "date_joined_0": "",
        }
    )
    data = {
        k: v for k, v in data.items() if k not in ("last_login", "date_joined", "groups", "user_permissions")
    }
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    staff.refresh_from_db()
    assert (
        staff.role == Role.DEPT_HEAD and staff.department == world.other_dept and staff.region == world.city
    )


def test_admin_password_reset_goes_through_the_service(world: World) -> None:
    admin = admin_client(world)
    staff = world.users["staff"]
    url = f"/admin/departments/user/{staff.pk}/password/"
    assert admin.get(url).status_code == 200
    refused = admin.post(url, {"password1": PASSWORD, "password2": PASSWORD})  # reuse
    assert refused.status_code == 200
    ok = admin.post(url, {"password1": "Admin-reset-2026", "password2": "Admin-reset-2026"})
    assert ok.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("Admin-reset-2026") and staff.must_change_password


def test_user_services_check_the_policy(world: World) -> None:
    staff = world.users["staff"]
    for actor in ("bureau", "leader", "staff"):
        with pytest.raises(PermissionDenied):
            user_update(actor=world.users[actor], user=staff, display_name="x")
        with pytest.raises(PermissionDenied):
            user_create(
                actor=world.users[actor],
                username="someone",
                password="Initial-pass-2026",
                role=Role.DEPT_STAFF,
                department=world.lead_dept,
            )
    with pytest.raises(ValidationError):
        user_set_role(actor=world.users["security"], user=staff, role=Role.DEPT_STAFF, department=None)
    with pytest.raises(ValidationError):
        user_set_role(
            actor=world.users["security"], user=world.users["security"], role=Role.LEADER, region=world.city
        )


def test_admin_login_page_sends_to_the_sign_in_page(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_administrator_cannot_change_their_own_role_in_the_admin(world: World) -> None:
    admin = admin_client(world)
    me = world.users["security"]
    url = f"/admin/departments/user/{me.pk}/change/"
    form = admin.get(url).context["adminform"].form
    assert "role" not in form.fields and "is_active" not in form.fields
    response = admin.post(
        url,
        {
            "username": "security",
            "role": "leader",
            "region": world.city.pk,
            "is_active": "",
            "display_name": "x",
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.role == Role.SECURITY_ADMIN and me.is_active and me.display_name == "x"
