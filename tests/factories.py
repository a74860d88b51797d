"""Factories: each test object built through the service the application uses for it.

Plain functions rather than factory_boy classes: every write of ipplan goes through a service that
checks, audits and fills derived fields (paths, versions, assignments, history), so a factory that
saved model instances itself would build objects the application never makes. Each function takes
the few arguments a test cares about and fills the rest with plausible values; ``actor=None`` is
the services' "system load" (no permission check), as the demo loader uses it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from departments.choices import RegionLevel
from departments.models import Department, Region, User
from departments.services import department_create, region_create, user_create
from ipplan.roles import Role
from ipplan.services import api_token_create
from planparser import parse_document
from tasks.choices import RequestKind
from tasks.models import Assignment, Plan, ProgressReport, Section, Task, TaskRequest
from tasks.services import (
    assignment_set,
    completion_request,
    extension_request,
    plan_create,
    progress_report_submit,
    section_create,
    task_create,
)
from tasks.services.imports.commit import plan_import_apply
from tasks.services.imports.mapping import Choices

#: the password of every user a factory makes
PASSWORD = "correct-horse-battery-9"

_serial = itertools.count(1)


def region(
    name: str, *, code: str | None = None, level: str = RegionLevel.CITY, parent: Region | None = None
) -> Region:
    return region_create(code=code or f"49{next(_serial):04d}", name=name, level=level, parent=parent)


def department(region: Region, name: str | None = None, *, aliases: Sequence[str] = ()) -> Department:
    return department_create(
        actor=None, region=region, name=name or f"市第{next(_serial)}局", aliases=list(aliases)
    )


def user(
    role: str,
    *,
    username: str | None = None,
    department: Department | None = None,
    region: Region | None = None,
    password: str | None = PASSWORD,
    display_name: str = "",
) -> User:
    """A user of ``role``: department roles take their department's region, the bureau and
    leaders a region, the three administrators neither."""
    return user_create(
        actor=None,
        username=username or f"{role}{next(_serial)}",
        password=password,
        role=role,
        department=department,
        region=region,
        display_name=display_name,
    )


def users(spec: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, User]:
    """``{username: (role, scope)}`` → ``{username: user}``, ``scope`` the ``department=`` or
    ``region=`` of :func:`user`."""
    return {name: user(role, username=name, **scope) for name, (role, scope) in spec.items()}


def plan(
    region: Region, *, title: str | None = None, period: tuple[int, int] | None = None, **fields: Any
) -> Plan:
    return plan_create(
        actor=None, region=region, title=title or f"知识产权工作方案{next(_serial)}", period=period, **fields
    )


def imported_plan(
    region: Region, text: str, *, actor: User | None = None, create_missing: bool = True
) -> Plan:
    """A plan read from a plan document's ``text`` by the importer and committed the way the import
    page commits it (departments resolved by name and alias, unknown ones created)."""
    parsed = parse_document(text.encode(), "方案.txt")
    made, _diff = plan_import_apply(
        actor=actor, parsed=parsed, region=region, choices=Choices.of(create_missing=create_missing)
    )
    return made


def section(plan: Plan, label: str, title: str, *, parent: Section | None = None, order: int = 0) -> Section:
    return section_create(plan=plan, label=label, title=title, parent=parent, order=order)


def task(
    plan: Plan,
    *,
    path: str | None = None,
    number: int | None = None,
    title: str | None = None,
    section: Section | None = None,
    due_in: int | None = None,
    lead: Iterable[Department] = (),
    responsible: Iterable[Department] = (),
    **fields: Any,
) -> Task:
    """A task of ``plan``; ``due_in`` days from today sets its deadline."""
    number = number if number is not None else next(_serial)
    if due_in is not None:
        fields["due_date"] = timezone.localdate() + dt.timedelta(days=due_in)
    return task_create(
        actor=None,
        plan=plan,
        section=section,
        path=path or (f"{section.path}.{number}" if section else f"一.{number}"),
        number=number,
        title=title or f"任务{number}",
        lead=list(lead),
        responsible=list(responsible),
        **fields,
    )


def assignments(
    task: Task,
    *,
    lead: Iterable[Department],
    responsible: Iterable[Department] = (),
    cooperating: Iterable[Department] = (),
) -> list[Assignment]:
    """Make the task's departments exactly these (as the bureau's reassignment does)."""
    return assignment_set(
        actor=None,
        task=task,
        lead=list(lead),
        responsible=list(responsible),
        cooperating=list(cooperating),
        check_permission=False,
    )


def report(
    author: User,
    task: Task,
    *,
    text: str = "已推进。",
    percent: int = 30,
    period: str | None = None,
    **extra: Any,
) -> ProgressReport:
    """A progress report of the author's department on ``task`` (this month's by default)."""
    return progress_report_submit(
        actor=author,
        task=task,
        text=text,
        percent=percent,
        period=period or f"{timezone.localdate():%Y-%m}",
        **extra,
    )


def completion(author: User, task: Task, *, reason: str = "已完成。") -> TaskRequest:
    """A completion request of the lead department (signed off at once when ``author`` is its head)."""
    task = Task.objects.get(pk=task.pk)
    return completion_request(actor=author, task=task, expected_version=task.version, reason=reason)


def extension(author: User, task: Task, *, days: int = 60, reason: str = "需要更多时间。") -> TaskRequest:
    """An extension request, ``days`` past the task's deadline (or today)."""
    base = task.due_date or timezone.localdate()
    return extension_request(
        actor=author, task=task, requested_due_date=base + dt.timedelta(days=days), reason=reason
    )


def completion_row(world: World, state: str) -> TaskRequest:
    """A completion request of the world's lead department in ``state``, written straight to the
    table: for a shortcut to a state no single service call reaches, or to test the table's own
    constraints (every other request goes through ``completion`` above)."""
    return TaskRequest.objects.create(
        task=world.task,
        kind=RequestKind.COMPLETION,
        state=state,
        department=world.lead_dept,
        requested_by=world.users["staff"],
    )


@dataclass
class World:
    province: Region
    city: Region
    other_city: Region
    lead_dept: Department
    other_dept: Department
    foreign_dept: Department
    users: dict[str, User]
    plan: Plan
    task: Task
    other_task: Task
    foreign_plan: Plan
    foreign_task: Task


def make_world() -> World:
    """Two cities of a province, departments, a user of every role, a plan of 东莞 with two tasks
    and a plan of 珠海 with one, all built through the services (tests/factories.py)."""
    province = region("广东省", code="440000", level=RegionLevel.PROVINCE)
    city = region("东莞市", code="441900", parent=province)
    other_city = region("珠海市", code="440400", parent=province)
    bureau_dept = department(city, "市知识产权局", aliases=["知识产权局"])
    lead_dept = department(city, "市科技局", aliases=["科技局"])
    other_dept = department(city, "市财政局")
    foreign_dept = department(other_city, "市科技创新局")
    people = users(
        {
            "admin": (Role.ADMIN, {}),
            # 三员分立: the security and the audit administrator, beside the system administrator
            "security": (Role.SECURITY_ADMIN, {}),
            "auditor": (Role.AUDIT_ADMIN, {}),
            "bureau": (Role.BUREAU, {"region": city, "department": bureau_dept}),
            "province": (Role.BUREAU, {"region": province}),
            "other_bureau": (Role.BUREAU, {"region": other_city}),
            "leader": (Role.LEADER, {"region": city}),
            "head": (Role.DEPT_HEAD, {"department": lead_dept}),
            "staff": (Role.DEPT_STAFF, {"department": lead_dept}),
            "other_staff": (Role.DEPT_STAFF, {"department": other_dept}),
            "foreign_staff": (Role.DEPT_STAFF, {"department": foreign_dept}),
        }
    )
    city_plan = plan(city, title="东莞市知识产权工作方案", period=(2026, 2027))
    top = section(city_plan, "二", "主要任务")
    sub = section(city_plan, "(一)", "创造", parent=top)
    first_task = task(
        city_plan,
        section=sub,
        path="二.(一).1",
        number=1,
        title="培育高价值专利",
        due_in=30,
        lead=[lead_dept],
        responsible=[other_dept],
    )
    other_task = task(
        city_plan, section=sub, path="二.(一).2", number=2, title="完善政策", due_in=60, lead=[other_dept]
    )
    foreign_plan = plan(other_city, title="珠海市工作方案")
    foreign_task = task(foreign_plan, path="一.1", number=1, title="珠海任务", lead=[foreign_dept])
    return World(
        province,
        city,
        other_city,
        lead_dept,
        other_dept,
        foreign_dept,
        people,
        city_plan,
        first_task,
        other_task,
        foreign_plan,
        foreign_task,
    )


def token_for(user: User, *, write: bool = True, days: int = 30, allowed_ips: str = "") -> str:
    """The secret of a new API token of ``user`` (read-write unless ``write=False``)."""
    _token, secret = api_token_create(
        actor=user, name=f"{user.username}-client", can_write=write, days=days, allowed_ips=allowed_ips
    )
    return secret


def client_for(user: User, *, write: bool = True) -> APIClient:
    """An API client presenting a new token of ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, write=write)}")
    return client


__all__ = [
    "PASSWORD",
    "Role",
    "World",
    "assignments",
    "client_for",
    "completion",
    "completion_row",
    "department",
    "extension",
    "imported_plan",
    "make_world",
    "plan",
    "region",
    "report",
    "section",
    "task",
    "token_for",
    "user",
    "users",
]
