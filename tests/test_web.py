"""Login, lockout, security headers, language switch and the admin, through real requests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD, World
from .support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


def test_health_check(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_login_page_renders_in_chinese_with_csp(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录" in body and 'name="csrfmiddlewaretoken"' in body
    directives = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["style-src"] == "'self'"  # no inline <style>; only style attributes are allowed
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in body  # no inline script anywhere in the page


def test_home_requires_login(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_then_home_shows_visible_plans_only(client: Client, world: World) -> None:
    response = login(client, "bureau")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    body = client.get(reverse("home")).content.decode()
    assert world.plan.title in body
    assert world.foreign_plan.title not in body
    assert "知识产权局督办人员" in body  # role in the top bar


def test_wrong_password_shows_error_and_lockout_after_repeated_failures(client: Client, world: World) -> None:
    first = login(client, "staff", "wrong-password")
    assert first.status_code == 200
    assert "请输入一个正确的" in first.content.decode() or "正确" in first.content.decode()
    for _ in range(4):
        login(client, "staff", "wrong-password")
    locked = login(client, "staff", PASSWORD)  # the right password no longer helps
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    # another address is not locked out for the same user
    other = client.post(reverse("login"), {"username": "staff", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_password_change(client: Client, world: World) -> None:
    client.force_login(world.users["staff"])
    url = reverse("password_change")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200  # refused by the validators, shown again
    strong = "another-long-passphrase-7"
    ok = client.post(url, {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong})
    assert ok.status_code == 302
    world.users["staff"].refresh_from_db()
    assert world.users["staff"].check_password(strong)


def test_language_switch_to_english(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True)
    body = response.content.decode()
    assert "Sign in" in body
    assert "登录</button>" not in body


def test_csrf_is_enforced_on_forms(world: World) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "bureau", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tasks/plan/",
        "/admin/tasks/section/",
        "/admin/tasks/task/",
        "/admin/tasks/assignment/",
        "/admin/tasks/indicator/",
        "/admin/tasks/indicatorreading/",
        "/admin/tasks/phase/",
        "/admin/tasks/progressreport/",
        "/admin/tasks/attachment/",
        "/admin/tasks/taskrequest/",
        "/admin/tasks/urge/",
        "/admin/notifications/notification/",
        "/admin/departments/department/",
        "/admin/departments/departmentalias/",
        "/admin/departments/region/",
        "/admin/ipplan/jobheartbeat/",
    ],
)
def test_admin_changelists_open_for_admin(client: Client, world: World, path: str) -> None:
    client.force_login(world.users["admin"])
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("security", 200), ("admin", 403), ("auditor", 403)])
def test_admin_users_open_for_the_security_administrator_only(
    client: Client, world: World, who: str, status: int
) -> None:
    """三员分立: accounts are the security administrator's, not the system administrator's."""
    client.force_login(world.users[who])
    assert client.get("/admin/departments/user/").status_code == status


def test_admin_is_in_chinese_and_scoped_for_bureau(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    response = client.get("/admin/tasks/plan/")
    body = response.content.decode()
    assert response.status_code == 200
    assert world.plan.title in body and world.foreign_plan.title not in body
    assert "工作方案" in body
    assert (
        client.get(f"/admin/tasks/plan/{world.foreign_plan.pk}/change/").status_code == 302
    )  # not found -> index
    assert client.get("/admin/departments/user/").status_code == 403  # users are the administrator's


def test_admin_inlines_plan_sections_tasks_assignments(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    plan_page = client.get(f"/admin/tasks/plan/{world.plan.pk}/change/").content.decode()
    assert "主要任务" in plan_page  # section inline
    section = world.task.section
    assert section is not None
    section_page = client.get(f"/admin/tasks/section/{section.pk}/change/").content.decode()
    assert world.task.title in section_page  # task inline
    task_page = client.get(f"/admin/tasks/task/{world.task.pk}/change/").content.decode()
    assert "市科技局" in task_page  # assignment inline


def test_admin_change_records_actor(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    url = f"/admin/departments/department/{world.other_dept.pk}/change/"
    data = {
        "region": world.city.pk,
        "name": "市财政局",
        "short_name": "财政",
        "kind": "government",
        "active": "on",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = world.other_dept.history.latest()
    assert (latest.short_name, latest.history_user) == ("财政", world.users["bureau"])


@pytest.mark.parametrize("username", ["staff", "head", "leader"])
def test_admin_closed_to_department_and_leader_roles(client: Client, world: World, username: str) -> None:
    client.force_login(world.users[username])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
