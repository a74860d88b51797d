"""三员分立: the system, security and audit administrators are three accounts with three parts.

No account holds two administrator roles (one role field; the superuser flag only with the system
administrator: model validation, a database constraint, the user service); the policy gives each
its part, and the admin site shows each only that part.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from departments.models import Department, User
from departments.services import user_create, user_set_role
from ipplan.permissions import MATRIX, Action, can
from ipplan.roles import ADMINISTRATOR_ROLES, Role
from ipplan.security.models import SecurityEvent
from tasks.models import Attachment, Plan, ProgressReport, Task

from ..conftest import PASSWORD, World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

A = Action
#: every action x the three administrator roles, written out by hand
ADMINISTRATORS: dict[str, set[Action]] = {
    Role.ADMIN: {
        A.VIEW_PLAN, A.IMPORT_PLAN, A.EDIT_PLAN, A.DELETE_PLAN, A.VIEW_TASK, A.REVIEW_REPORT,
        A.DECIDE_COMPLETION, A.DECIDE_EXTENSION, A.URGE_TASK, A.EDIT_DEADLINE, A.ENTER_READING,
        A.VIEW_DASHBOARD, A.EXPORT, A.VIEW_DEPARTMENT, A.MANAGE_DEPARTMENTS, A.MANAGE_REGIONS,
        A.USE_ADMIN_SITE, A.MANAGE_WEBHOOKS, A.SET_ASSESSMENT_WEIGHTS, A.MANAGE_OWN_TOKENS,
        A.VIEW_OWN_NOTIFICATIONS, A.MANAGE_NOTIFICATIONS, A.MAINTAIN_PLAN, A.VIEW_ASSESSMENT,
        A.VIEW_TASK_NOTIFICATIONS,
    },
    Role.SECURITY_ADMIN: {
        A.MANAGE_USERS, A.ASSIGN_ROLES, A.VIEW_DEPARTMENT, A.USE_ADMIN_SITE, A.MANAGE_OWN_TOKENS,
        A.VIEW_OWN_NOTIFICATIONS,
    },
    Role.AUDIT_ADMIN: {
        A.VIEW_SECURITY_LOG, A.EXPORT_SECURITY_LOG, A.USE_ADMIN_SITE, A.MANAGE_OWN_TOKENS,
        A.VIEW_OWN_NOTIFICATIONS,
    },
}  # fmt: skip
USER_OF = {Role.ADMIN: "admin", Role.SECURITY_ADMIN: "security", Role.AUDIT_ADMIN: "auditor"}


@pytest.mark.parametrize("role", ADMINISTRATOR_ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_every_action_for_the_three_administrators(world: World, role: str, action: Action) -> None:
    assert can(world.users[USER_OF[role]], action) is (action in ADMINISTRATORS[role])


def test_account_management_belongs_to_the_security_administrator_alone() -> None:
    for role, row in MATRIX.items():
        assert (A.MANAGE_USERS in row) is (role == Role.SECURITY_ADMIN), role
        assert (A.ASSIGN_ROLES in row) is (role == Role.SECURITY_ADMIN), role
        assert (A.VIEW_SECURITY_LOG in row) is (role == Role.AUDIT_ADMIN), role
        assert (A.EXPORT_SECURITY_LOG in row) is (role == Role.AUDIT_ADMIN), role


def test_the_audit_administrator_may_change_nothing() -> None:
    read_only = {A.VIEW_SECURITY_LOG, A.EXPORT_SECURITY_LOG, A.USE_ADMIN_SITE, A.MANAGE_OWN_TOKENS,
                 A.VIEW_OWN_NOTIFICATIONS}  # fmt: skip
    assert set(MATRIX[Role.AUDIT_ADMIN]) == read_only


def test_the_security_administrator_sees_accounts_not_task_content(world: World) -> None:
    from tasks.services import progress_report_submit

    from ..workflow.helpers import PDF, upload

    progress_report_submit(
        actor=world.users["staff"], task=world.task, text="材料", percent=10, period="2026-11",
        attachments=[upload("a.pdf", PDF)],
    )  # fmt: skip
    security = world.users["security"]
    for action, model in (
        (A.VIEW_PLAN, Plan),
        (A.VIEW_TASK, Task),
        (A.VIEW_TASK, ProgressReport),
        (A.VIEW_TASK, Attachment),
        (A.VIEW_DASHBOARD, Task),
        (A.EXPORT, Task),
    ):
        assert model.objects.exists()  # there is something to see, and none of it is seen
        assert not model.objects.restrict(security, action).exists(), (action, model)
    assert not can(security, A.VIEW_TASK, world.task) and not can(security, A.VIEW_PLAN, world.plan)
    assert not can(security, A.MANAGE_WEBHOOKS) and not can(security, A.VIEW_PLAN)
    assert User.objects.restrict(security, A.MANAGE_USERS).count() == User.objects.count()
    assert Department.objects.restrict(security, A.VIEW_DEPARTMENT).count() == Department.objects.count()
    assert not can(security, A.MANAGE_DEPARTMENTS) and not can(security, A.MANAGE_REGIONS)
    assert not can(security, A.VIEW_SECURITY_LOG)


def test_a_regional_security_administrator_manages_the_region_only(world: World) -> None:
    city_security = user_create(
        actor=world.users["security"], username="city-sec", password=PASSWORD, role=Role.SECURITY_ADMIN,
        region=world.city,
    )  # fmt: skip
    users = set(User.objects.restrict(city_security, A.MANAGE_USERS).values_list("username", flat=True))
    assert "bureau" in users and "foreign_staff" not in users and "admin" not in users
    with pytest.raises(PermissionDenied):
        user_set_role(
            actor=city_security, user=world.users["foreign_staff"], role=Role.LEADER, region=world.other_city
        )


def test_user_create_needs_the_security_administrator(world: World) -> None:
    with pytest.raises(PermissionDenied):
        user_create(
            actor=world.users["admin"], username="x1", password=PASSWORD, role=Role.LEADER, region=world.city
        )
    with pytest.raises(PermissionDenied):
        user_create(
            actor=world.users["auditor"],
            username="x2",
            password=PASSWORD,
            role=Role.LEADER,
            region=world.city,
        )
    made = user_create(
        actor=world.users["security"], username="x3", password=PASSWORD, role=Role.LEADER, region=world.city
    )
    assert made.role == Role.LEADER and not made.is_superuser


@pytest.mark.parametrize(
    ("role", "staff", "superuser"),
    [
        (Role.ADMIN, True, True),
        (Role.SECURITY_ADMIN, True, False),
        (Role.AUDIT_ADMIN, True, False),
        (Role.BUREAU, True, False),
        (Role.LEADER, False, False),
    ],
)
def test_user_create_gives_each_role_its_flags(world: World, role: str, staff: bool, superuser: bool) -> None:
    region = world.city if role in (Role.BUREAU, Role.LEADER) else None
    user = user_create(actor=None, username=f"u-{role}", password=PASSWORD, role=role, region=region)
    assert (user.is_staff, user.is_superuser) == (staff, superuser)


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.BUREAU])
def test_the_database_refuses_a_superuser_with_another_role(world: World, role: str) -> None:
    user = world.users["security"] if role == Role.SECURITY_ADMIN else world.users["auditor"]
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_superuser=True, role=role)
    user.refresh_from_db()
    assert not user.is_superuser


def test_model_validation_refuses_a_superuser_with_another_role(world: World) -> None:
    security = world.users["security"]
    security.is_superuser = True
    with pytest.raises(ValidationError) as error:
        security.full_clean()
    assert "role" in error.value.message_dict


def test_createsuperuser_cannot_make_a_superuser_security_administrator() -> None:
    with pytest.raises((ValidationError, IntegrityError)), transaction.atomic():
        User.objects.create_superuser(
            "root2", "r@example.org", "a-long-admin-passphrase", role=Role.SECURITY_ADMIN
        )
    assert not User.objects.filter(username="root2").exists()


def test_role_assignment_by_the_security_administrator(world: World) -> None:
    security = world.users["security"]
    leader = world.users["leader"]
    user_set_role(actor=security, user=leader, role=Role.AUDIT_ADMIN)
    leader.refresh_from_db()
    assert (leader.role, leader.is_staff, leader.is_superuser, leader.region_id) == (
        Role.AUDIT_ADMIN,
        True,
        False,
        None,
    )
    user_set_role(actor=security, user=leader, role=Role.ADMIN)
    leader.refresh_from_db()
    assert (leader.role, leader.is_superuser) == (Role.ADMIN, True)
    user_set_role(actor=security, user=leader, role=Role.DEPT_STAFF, department=world.lead_dept)
    leader.refresh_from_db()
    assert (leader.role, leader.is_superuser, leader.is_staff, leader.region_id) == (
        Role.DEPT_STAFF, False, False, world.city.pk
    )  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "auditor", "bureau", "staff"])
def test_others_may_not_assign_roles(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        user_set_role(actor=world.users[who], user=world.users["leader"], role=Role.BUREAU, region=world.city)
    world.users["leader"].refresh_from_db()
    assert world.users["leader"].role == Role.LEADER


def test_nobody_changes_their_own_role_and_bad_input_changes_nothing(world: World) -> None:
    security = world.users["security"]
    with pytest.raises(ValidationError):
        user_set_role(actor=security, user=security, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        user_set_role(actor=security, user=world.users["leader"], role="root")
    with pytest.raises(ValidationError):
        user_set_role(actor=security, user=world.users["leader"], role=Role.DEPT_STAFF)
    with pytest.raises(ValidationError):
        user_set_role(actor=security, user=world.users["leader"], role=Role.BUREAU)
    security.refresh_from_db()
    world.users["leader"].refresh_from_db()
    assert (security.role, world.users["leader"].role) == (Role.SECURITY_ADMIN, Role.LEADER)
    assert not SecurityEvent.objects.filter(action="user.role_change").exists()


# --- the admin site shows each administrator only its part ------------------------------------

ADMIN_PAGES = {
    "departments_user": {"admin": 403, "security": 200, "auditor": 403},
    "departments_department": {"admin": 200, "security": 200, "auditor": 403},
    "tasks_plan": {"admin": 200, "security": 403, "auditor": 403},
    "tasks_task": {"admin": 200, "security": 403, "auditor": 403},
    "tasks_progressreport": {"admin": 200, "security": 403, "auditor": 403},
    "tasks_attachment": {"admin": 200, "security": 403, "auditor": 403},
    "ipplan_securityevent": {"admin": 403, "security": 403, "auditor": 200},
    "ipplan_jobheartbeat": {"admin": 200, "security": 403, "auditor": 403},
}
CASES = [(page, who, status) for page, row in ADMIN_PAGES.items() for who, status in row.items()]


@pytest.mark.parametrize(("page", "who", "status"), CASES)
def test_the_admin_site_shows_each_administrator_its_part(
    client: Client, world: World, page: str, who: str, status: int
) -> None:
    client.force_login(world.users[who])
    assert client.get(reverse(f"admin:{page}_changelist")).status_code == status


def test_the_admin_index_lists_only_each_part(client: Client, world: World) -> None:
    def models_of(who: str) -> set[str]:
        client.force_login(world.users[who])
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        return {m["object_name"] for app in response.context["app_list"] for m in app["models"]}

    assert models_of("auditor") == {"SecurityEvent"}
    assert "User" in models_of("security") and "Plan" not in models_of("security")
    assert "SecurityEvent" not in models_of("security")
    assert "User" not in models_of("admin") and "SecurityEvent" not in models_of("admin")


def test_the_security_administrator_reads_departments_but_does_not_change_them(
    client: Client, world: World
) -> None:
    client.force_login(world.users["security"])
    url = reverse("admin:departments_department_change", args=[world.lead_dept.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "改名"})
    assert response.status_code == 403
    world.lead_dept.refresh_from_db()
    assert world.lead_dept.name == "市科技局"


def test_the_audit_administrator_cannot_change_or_delete_log_records(client: Client, world: World) -> None:
    from ipplan.security.services import security_event

    event = security_event(action="auth.login", actor=world.users["staff"])
    assert event is not None
    client.force_login(world.users["auditor"])
    change = reverse("admin:ipplan_securityevent_change", args=[event.pk])
    assert client.get(change).status_code == 200  # the read-only view
    assert client.post(change, {"actor_name": "x"}).status_code == 403
    assert (
        client.post(
            reverse("admin:ipplan_securityevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert SecurityEvent.objects.get(pk=event.pk).actor_name == "staff"


def test_the_system_administrator_cannot_manage_accounts_in_the_admin(client: Client, world: World) -> None:
    client.force_login(world.users["admin"])
    target = world.users["staff"]
    assert client.get(reverse("admin:departments_user_change", args=[target.pk])).status_code == 403
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "another-long-pass-9", "password2": "another-long-pass-9"},
    )
    assert response.status_code in (403, 404)  # refused, whether the page is hidden or forbidden
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
