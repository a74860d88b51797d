"""Each database constraint, violated once and rejected by the database itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from departments.models import Department, DepartmentAlias, Region, User
from ipplan.roles import Role
from notifications.models import Notification
from tasks import models
from tasks.choices import AssignmentRole, RequestKind, RequestState

from .conftest import World
from .factories import completion_row

pytestmark = pytest.mark.django_db


def rejected(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_task_path_unique_within_plan(world: World) -> None:
    rejected(lambda: models.Task.objects.create(plan=world.plan, path=world.task.path, title="dup"))
    # the same path in another plan is fine
    models.Task.objects.create(plan=world.foreign_plan, path=world.task.path, title="ok")


def test_task_progress_between_0_and_100(world: World) -> None:
    rejected(lambda: models.Task.objects.filter(pk=world.task.pk).update(progress=101))
    models.Task.objects.filter(pk=world.task.pk).update(progress=100)


def test_task_version_positive(world: World) -> None:
    rejected(lambda: models.Task.objects.filter(pk=world.task.pk).update(version=0))


def test_task_status_must_be_known(world: World) -> None:
    rejected(lambda: models.Task.objects.filter(pk=world.task.pk).update(status="finished-ish"))


def test_task_due_not_before_start(world: World) -> None:
    rejected(
        lambda: models.Task.objects.create(
            plan=world.plan,
            path="x.1",
            title="t",
            start_date=dt.date(2026, 5, 1),
            due_date=dt.date(2026, 4, 1),
        )
    )


def test_assignment_unique_per_task_department_role(world: World) -> None:
    rejected(
        lambda: models.Assignment.objects.create(
            task=world.task, department=world.lead_dept, role=AssignmentRole.LEAD
        )
    )
    # another role for the same department is a different assignment
    models.Assignment.objects.create(
        task=world.task, department=world.lead_dept, role=AssignmentRole.COOPERATING
    )


def test_assignment_role_must_be_known(world: World) -> None:
    rejected(
        lambda: models.Assignment.objects.create(task=world.task, department=world.other_dept, role="boss")
    )


def test_report_percent_between_0_and_100(world: World) -> None:
    staff = world.users["staff"]
    rejected(
        lambda: models.ProgressReport.objects.create(
            task=world.task, department=world.lead_dept, author=staff, period="2026-11", text="x", percent=150
        )
    )


def test_report_text_not_empty(world: World) -> None:
    staff = world.users["staff"]
    rejected(
        lambda: models.ProgressReport.objects.create(
            task=world.task, department=world.lead_dept, author=staff, period="2026-11", text="", percent=10
        )
    )


def test_notification_dedup_key_unique(world: World) -> None:
    staff = world.users["staff"]
    Notification.objects.create(recipient=staff, kind="urge", message="m", dedup_key="k1")
    rejected(lambda: Notification.objects.create(recipient=staff, kind="urge", message="m2", dedup_key="k1"))


def test_notification_kind_must_be_known(world: World) -> None:
    rejected(
        lambda: Notification.objects.create(
            recipient=world.users["staff"], kind="spam", message="m", dedup_key="k"
        )
    )


def test_department_name_unique_within_region(world: World) -> None:
    rejected(lambda: Department.objects.create(region=world.city, name="市科技局"))
    # 珠海's 市科技局 is another department
    Department.objects.create(region=world.other_city, name="市科技局")


def test_alias_unique_within_region(world: World) -> None:
    rejected(
        lambda: DepartmentAlias.objects.create(department=world.other_dept, region=world.city, name="科技局")
    )


def test_department_user_needs_department(world: World) -> None:
    rejected(lambda: User.objects.create(username="orphan", role=Role.DEPT_STAFF, department=None))


def test_user_role_must_be_known(world: World) -> None:
    rejected(lambda: User.objects.create(username="odd", role="superhero"))


def test_only_a_province_may_be_a_root_region(world: World) -> None:
    rejected(lambda: Region.objects.create(code="999999", name="孤岛市", level="city", path="/999999/"))


def test_region_name_unique_under_parent(world: World) -> None:
    rejected(
        lambda: Region.objects.create(
            code="441999", name="东莞市", level="city", parent=world.province, path="/440000/441999/"
        )
    )


def test_section_path_unique_within_plan(world: World) -> None:
    rejected(lambda: models.Section.objects.create(plan=world.plan, label="二", title="again", path="二"))


def test_plan_period_ordered(world: World) -> None:
    rejected(
        lambda: models.Plan.objects.create(region=world.city, title="p", period_start=2027, period_end=2026)
    )


def test_phase_end_not_before_start(world: World) -> None:
    rejected(
        lambda: models.Phase.objects.create(
            plan=world.plan, name="p", start=dt.date(2026, 5, 1), end=dt.date(2026, 1, 1)
        )
    )


def test_indicator_reading_one_per_day(world: World) -> None:
    indicator = models.Indicator.objects.create(plan=world.plan, name="专利", target_value=10)
    models.IndicatorReading.objects.create(indicator=indicator, value=1, observed_on=dt.date(2026, 1, 1))
    rejected(
        lambda: models.IndicatorReading.objects.create(
            indicator=indicator, value=2, observed_on=dt.date(2026, 1, 1)
        )
    )


def test_extension_request_needs_date(world: World) -> None:
    rejected(
        lambda: models.TaskRequest.objects.create(
            task=world.task,
            kind=RequestKind.EXTENSION,
            state=RequestState.AWAITING_REVIEW,
            department=world.lead_dept,
            requested_by=world.users["staff"],
        )
    )


def test_one_open_request_per_kind(world: World) -> None:
    completion_row(world, RequestState.RETURNED)
    completion_row(world, RequestState.AWAITING_SIGNOFF)
    rejected(lambda: completion_row(world, RequestState.AWAITING_REVIEW))


def test_department_and_alias_names_not_empty(world: World) -> None:
    rejected(lambda: Department.objects.create(region=world.city, name=""))
    rejected(lambda: DepartmentAlias.objects.create(department=world.other_dept, region=world.city, name=""))


def test_plan_report_day_within_1_to_28(world: World) -> None:
    rejected(lambda: models.Plan.objects.filter(pk=world.plan.pk).update(report_day=31))


def test_indicator_comparator_must_be_known(world: World) -> None:
    rejected(
        lambda: models.Indicator.objects.create(plan=world.plan, name="x", target_value=1, comparator="≈")
    )


def test_notification_dedup_key_not_empty(world: World) -> None:
    rejected(
        lambda: Notification.objects.create(
            recipient=world.users["staff"], kind="urge", message="m", dedup_key=""
        )
    )
