"""The permission policy: every role x action, and the department and region scope."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from departments.models import Department
from ipplan.permissions import MATRIX, Action, can, get_for, require
from ipplan.restrict import RestrictQuerySet
from ipplan.roles import Role
from tasks.models import Plan, ProgressReport, Task
from tasks.services import progress_report_submit

from .conftest import World
from .support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

A = Action
READ = {
    A.VIEW_PLAN,
    A.VIEW_TASK,
    A.VIEW_DASHBOARD,
    A.VIEW_DEPARTMENT,
    A.MANAGE_OWN_TOKENS,
    A.VIEW_OWN_NOTIFICATIONS,
}
BUREAU = READ | {
    A.IMPORT_PLAN,
    A.EDIT_PLAN,
    A.MAINTAIN_PLAN,
    A.DELETE_PLAN,
    A.REVIEW_REPORT,
    A.DECIDE_COMPLETION,
    A.DECIDE_EXTENSION,
    A.URGE_TASK,
    A.VIEW_TASK_NOTIFICATIONS,
    A.EDIT_DEADLINE,
    A.ENTER_READING,
    A.EXPORT,
    A.MANAGE_DEPARTMENTS,
    A.USE_ADMIN_SITE,
    A.MANAGE_WEBHOOKS,
    A.SET_ASSESSMENT_WEIGHTS,
    A.VIEW_ASSESSMENT,
}
STAFF = READ | {
    A.UPDATE_PROGRESS,
    A.SUBMIT_REPORT,
    A.AMEND_REPORT,
    A.REQUEST_COMPLETION,
    A.REQUEST_EXTENSION,
    A.ENTER_READING,
    A.EXPORT,
}

# Written out by hand from DESIGN.md §1 so that a change to the matrix shows up here.
EXPECTED: dict[str, set[Action]] = {
    # 三员分立: the system administrator lost the accounts to the security administrator
    Role.ADMIN: BUREAU | {A.MANAGE_REGIONS, A.MANAGE_NOTIFICATIONS},
    Role.SECURITY_ADMIN: {
        A.MANAGE_USERS,
        A.ASSIGN_ROLES,
        A.VIEW_DEPARTMENT,
        A.USE_ADMIN_SITE,
        A.MANAGE_OWN_TOKENS,
        A.VIEW_OWN_NOTIFICATIONS,
    },
    Role.AUDIT_ADMIN: {
        A.VIEW_SECURITY_LOG,
        A.EXPORT_SECURITY_LOG,
        A.USE_ADMIN_SITE,
        A.MANAGE_OWN_TOKENS,
        A.VIEW_OWN_NOTIFICATIONS,
    },
    Role.BUREAU: BUREAU,
    Role.LEADER: READ | {A.EXPORT, A.VIEW_ASSESSMENT},
    Role.DEPT_HEAD: STAFF | {A.SIGN_OFF_COMPLETION},
    Role.DEPT_STAFF: STAFF,
}
ROLE_USER = {
    Role.ADMIN: "admin",
    Role.SECURITY_ADMIN: "security",
    Role.AUDIT_ADMIN: "auditor",
    Role.BUREAU: "bureau",
    Role.LEADER: "leader",
    Role.DEPT_HEAD: "head",
    Role.DEPT_STAFF: "staff",
}


def test_matrix_covers_every_role() -> None:
    assert set(MATRIX) == set(Role.values)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_matrix_role_action(world: World, role: Role, action: Action) -> None:
    user = world.users[ROLE_USER[role]]
    assert can(user, action) is (action in EXPECTED[role])


@pytest.mark.parametrize("action", list(Action))
def test_anonymous_may_do_nothing(action: Action) -> None:
    assert can(AnonymousUser(), action) is False


def test_inactive_user_may_do_nothing(world: World) -> None:
    bureau = world.users["bureau"]
    bureau.is_active = False
    assert not can(bureau, Action.VIEW_PLAN, world.plan)


def test_region_scope_city_bureau_sees_own_city_only(world: World) -> None:
    bureau = world.users["bureau"]
    assert set(Plan.objects.restrict(bureau, A.VIEW_PLAN)) == {world.plan}
    assert not can(bureau, A.EDIT_PLAN, world.foreign_plan)
    with pytest.raises(Http404):
        get_for(bureau, A.VIEW_TASK, Task.objects.all(), pk=world.foreign_task.pk)


def test_region_scope_province_sees_every_city_below(world: World) -> None:
    province = world.users["province"]
    assert set(Plan.objects.restrict(province, A.VIEW_PLAN)) == {world.plan, world.foreign_plan}
    assert can(province, A.URGE_TASK, world.foreign_task)


def test_admin_without_region_sees_everything(world: World) -> None:
    assert Task.objects.restrict(world.users["admin"], A.VIEW_TASK).count() == Task.objects.count()


def test_department_scope_lead_only(world: World) -> None:
    staff = world.users["staff"]  # 市科技局: leads task, nothing on other_task
    assert can(staff, A.UPDATE_PROGRESS, world.task)
    assert not can(staff, A.UPDATE_PROGRESS, world.other_task)
    assert set(Task.objects.restrict(staff, A.UPDATE_PROGRESS)) == {world.task}
    with pytest.raises(PermissionDenied):
        require(staff, A.UPDATE_PROGRESS, world.other_task)


def test_department_scope_responsible_may_report_but_not_update(world: World) -> None:
    other = world.users["other_staff"]  # 市财政局: responsible on task, lead on other_task
    assert can(other, A.SUBMIT_REPORT, world.task)
    assert not can(other, A.UPDATE_PROGRESS, world.task)
    assert can(other, A.UPDATE_PROGRESS, world.other_task)


def test_department_user_sees_own_region_plans_only(world: World) -> None:
    assert set(Task.objects.restrict(world.users["staff"], A.VIEW_TASK)) == {world.task, world.other_task}
    assert set(Task.objects.restrict(world.users["foreign_staff"], A.VIEW_TASK)) == {world.foreign_task}


def test_head_signs_off_only_for_tasks_the_department_leads(world: World) -> None:
    head = world.users["head"]
    assert can(head, A.SIGN_OFF_COMPLETION, world.task)
    assert not can(head, A.SIGN_OFF_COMPLETION, world.other_task)
    assert not can(world.users["staff"], A.SIGN_OFF_COMPLETION, world.task)


def test_leader_is_read_only(world: World) -> None:
    leader = world.users["leader"]
    assert can(leader, A.VIEW_TASK, world.task)
    for action in (A.EDIT_PLAN, A.UPDATE_PROGRESS, A.SUBMIT_REPORT, A.URGE_TASK, A.EDIT_DEADLINE):
        assert not can(leader, action, world.task)


def test_scoping_follows_relations(world: World) -> None:
    report = progress_report_submit(
        actor=world.users["staff"], task=world.task, text="进展", percent=10, period="2026-11"
    )
    assert can(world.users["bureau"], A.REVIEW_REPORT, report)
    assert not can(world.users["other_bureau"], A.REVIEW_REPORT, report)
    assert list(ProgressReport.objects.restrict(world.users["other_bureau"], A.VIEW_TASK)) == []


def test_unknown_model_is_refused(world: World) -> None:
    from ipplan.models import JobHeartbeat

    with pytest.raises(LookupError):
        # even on a restricting queryset, the policy refuses a model it does not know how to scope
        RestrictQuerySet(JobHeartbeat).restrict(world.users["admin"], A.VIEW_PLAN)


def test_departments_scoped_by_region(world: World) -> None:
    names = set(
        Department.objects.restrict(world.users["other_bureau"], A.VIEW_DEPARTMENT).values_list(
            "name", flat=True
        )
    )
    assert names == {"市科技创新局"}
