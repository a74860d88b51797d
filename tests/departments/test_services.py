"""Issue 12.2: the department registry services (rename, merge, retire), each with history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from departments.models import Department, DepartmentAlias, User
from departments.resolution import Method, resolve_names
from departments.services import (
    department_create,
    department_merge,
    department_rename,
    department_retire,
)
from planparser import parse_text
from tasks.choices import AssignmentRole, TaskStatus
from tasks.models import Assignment, ProgressReport, Task
from tasks.services import progress_report_submit
from tasks.services.imports.preview import import_preview
from tests.conftest import World
from tests.imports.docs import PLAN_V1

pytestmark = pytest.mark.django_db


def _tasks_of(*departments: Department) -> set[int]:
    return set(Task.objects.filter(assignments__department__in=departments).values_list("pk", flat=True))


def _counts(*departments: Department) -> dict[str, object]:
    return {
        "tasks": _tasks_of(*departments),
        "users": set(User.objects.filter(department__in=departments).values_list("pk", flat=True)),
        "reports": set(
            ProgressReport.objects.filter(department__in=departments).values_list("pk", flat=True)
        ),
        "aliases": set(
            DepartmentAlias.objects.filter(department__in=departments).values_list("name", flat=True)
        ),
    }


def test_merge_moves_tasks_users_reports_and_names(world: World) -> None:
    bureau = world.users["bureau"]
    survivor, absorbed = world.lead_dept, world.other_dept
    # reports by both departments; the absorbed one is responsible on the survivor's task and
    # leads another task alone
    progress_report_submit(
        actor=world.users["staff"], task=world.task, text="进展一", percent=10, period="2026-11"
    )
    progress_report_submit(
        actor=world.users["other_staff"], task=world.task, text="进展二", percent=20, period="2026-11"
    )
    progress_report_submit(
        actor=world.users["other_staff"], task=world.other_task, text="进展三", percent=30, period="2026-11"
    )
    department_create(actor=None, region=world.city, name="市财政局下属中心", parent=absorbed)
    before = _counts(survivor, absorbed)
    versions = dict(Task.objects.values_list("pk", "version"))

    result = department_merge(actor=bureau, absorbed=absorbed, survivor=survivor)

    after = _counts(survivor)
    assert after["tasks"] == before["tasks"] and len(after["tasks"]) == 2  # type: ignore[arg-type]
    assert after["users"] == before["users"] and len(after["users"]) == 3  # type: ignore[arg-type]
    assert after["reports"] == before["reports"] and len(after["reports"]) == 3  # type: ignore[arg-type]
    assert after["aliases"] == {*before["aliases"], "市财政局"}  # type: ignore[misc]
    assert (result.tasks, result.users, result.reports) == (2, 1, 2)
    # nothing left on the absorbed department; it is retired and points to the survivor, not deleted
    absorbed.refresh_from_db()
    assert (absorbed.active, absorbed.merged_into_id) == (False, survivor.pk)
    assert not Assignment.objects.filter(department=absorbed).exists()
    assert not User.objects.filter(department=absorbed).exists()
    # the survivor keeps its lead role where both were assigned, and leads the other task
    roles = dict(Assignment.objects.filter(department=survivor).values_list("task_id", "role"))
    assert roles == {world.task.pk: AssignmentRole.LEAD, world.other_task.pk: AssignmentRole.LEAD}
    assert Department.objects.get(name="市财政局下属中心").parent_id == survivor.pk
    # the tasks changed: a new version for API clients; each moved row has the actor in history
    for pk in (world.task.pk, world.other_task.pk):
        assert Task.objects.get(pk=pk).version == versions[pk] + 1
    assert absorbed.history.latest().history_user == bureau
    moved = ProgressReport.objects.get(text="进展三")
    assert moved.history.latest().history_user == bureau
    assert moved.history.latest().history_change_reason.startswith("merge")
    assert User.objects.get(username="other_staff").region_id == survivor.region_id


def test_after_a_merge_the_old_name_resolves_in_the_next_import(world: World) -> None:
    department_merge(actor=world.users["bureau"], absorbed=world.other_dept, survivor=world.lead_dept)
    assert resolve_names(world.city, ["市财政局"])["市财政局"].department == world.lead_dept
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    resolution = preview.resolutions["市财政局"]
    assert (resolution.department, resolution.method) == (world.lead_dept, Method.ALIAS)


def test_rename_keeps_the_old_name_as_an_alias(world: World) -> None:
    department_rename(actor=world.users["bureau"], department=world.lead_dept, name="市科学技术局")
    world.lead_dept.refresh_from_db()
    assert world.lead_dept.name == "市科学技术局"
    assert resolve_names(world.city, ["市科技局"])["市科技局"].department == world.lead_dept
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    assert preview.resolutions["市科技局"].department == world.lead_dept
    latest = world.lead_dept.history.latest()
    assert (latest.history_user, latest.name) == (world.users["bureau"], "市科学技术局")


def test_rename_back_to_an_own_alias_and_refusals(world: World) -> None:
    bureau = world.users["bureau"]
    department_rename(actor=bureau, department=world.lead_dept, name="科技局")  # was its alias
    assert set(world.lead_dept.aliases.values_list("name", flat=True)) == {"市科技局"}
    with pytest.raises(ValidationError):
        department_rename(actor=bureau, department=world.lead_dept, name="市财政局")
    with pytest.raises(ValidationError):
        department_rename(actor=bureau, department=world.lead_dept, name="知识产权局")  # another's alias
    with pytest.raises(PermissionDenied):
        department_rename(actor=world.users["other_bureau"], department=world.lead_dept, name="X")


def test_retire_refused_with_open_tasks_then_allowed(world: World) -> None:
    bureau = world.users["bureau"]
    with pytest.raises(ValidationError) as refused:
        department_retire(actor=bureau, department=world.other_dept)
    assert world.other_task.path in " ".join(refused.value.messages)
    world.other_dept.refresh_from_db()
    assert world.other_dept.active
    Task.objects.filter(Q(pk=world.other_task.pk) | Q(pk=world.task.pk)).update(status=TaskStatus.COMPLETED)
    department_retire(actor=bureau, department=world.other_dept)
    world.other_dept.refresh_from_db()
    assert not world.other_dept.active
    assert world.other_dept.history.latest().history_user == bureau


def test_merge_refusals(world: World) -> None:
    bureau = world.users["bureau"]
    with pytest.raises(ValidationError):
        department_merge(actor=bureau, absorbed=world.lead_dept, survivor=world.lead_dept)
    with pytest.raises(PermissionDenied):  # 珠海's department is not the 东莞 bureau's to merge
        department_merge(actor=bureau, absorbed=world.foreign_dept, survivor=world.lead_dept)
    with pytest.raises(ValidationError):  # across regions, even for the province
        department_merge(actor=world.users["province"], absorbed=world.foreign_dept, survivor=world.lead_dept)
    assert Department.objects.get(pk=world.foreign_dept.pk).active
