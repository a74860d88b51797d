"""The objects the API permission matrix (``test_matrix.py``) acts on, built through the services.

Targets are named from the point of view of 市科技局 (the lead department of ``world.task``):

* ``own``: in 东莞, about ``world.task`` (lead 市科技局, responsible 市财政局);
* ``other``: in 东莞, about ``world.other_task`` (lead 市财政局 only);
* ``foreign``: in 珠海, about ``world.foreign_task`` (lead 市科技创新局).

Objects of a region but of no department (plans, sections, phases, deletions, webhook
subscriptions) have only ``own`` (东莞) and ``foreign`` (珠海).
Objects that belong to a person (notifications, imports) are named from the caller's point of
view instead: ``own`` is the caller's, ``other`` another 东莞 user's, ``foreign`` a 珠海 user's.
Everything is built lazily, so a case pays only for the objects it needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from departments.models import Department, User
from departments.services import user_create
from ipplan.audit import delete_as
from ipplan.models import Tombstone
from ipplan.roles import Role
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.models import (
    Attachment,
    Indicator,
    Phase,
    Plan,
    PlanImport,
    ProgressReport,
    Section,
    Task,
    TaskRequest,
)
from tasks.services import (
    completion_request,
    extension_request,
    indicator_create,
    notification_create,
    phase_create,
    progress_report_submit,
    section_create,
)
from tasks.services.imports.session import import_session_start
from webhooks.models import Subscription
from webhooks.services import subscription_create

from ..factories import World

#: Later than every deadline of the world (and than today, for the task without one).
LATER = timezone.localdate() + dt.timedelta(days=365)

#: A small plan whose only department is resolved or created on commit.
PLAN_TEXT = """知识产权工作方案

二、主要任务
(一)强化知识产权创造
1. 培育高价值专利组合,支持企业布局核心专利。(市科技局)
"""

#: the content of the evidence file of an attachment
EVIDENCE = "专利导航报告".encode()

TASK_OF = {"own": "task", "other": "other_task", "foreign": "foreign_task"}
#: the liaison of the department that leads each target task
LEAD_STAFF = {"own": "staff", "other": "other_staff", "foreign": "foreign_staff"}
#: owners of the person-owned objects that are not the caller's (first one that is not the caller)
OTHER_OWNERS = {
    "notification": {"other": ("staff", "other_staff"), "foreign": ("foreign_staff", "other_bureau")},
    "import": {"other": ("bureau", "province"), "foreign": ("other_bureau", "foreign_staff")},
}
OWNED = frozenset(OTHER_OWNERS)


def owner_of(resource: str, target: str, caller: str | None) -> str:
    """The username owning the ``target`` object of a person-owned ``resource`` for ``caller``."""
    if target == "own":
        return caller or ("bureau" if resource == "import" else "staff")
    return next(name for name in OTHER_OWNERS[resource][target] if name != caller)


class Objects:
    """Builds, on demand, the target objects of one matrix case on a fresh world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.users = world.users

    # --- plain lookups ----------------------------------------------------------------------

    def task(self, target: str) -> Task:
        return Task.objects.get(pk=getattr(self.world, TASK_OF[target]).pk)

    def plan(self, target: str) -> Plan:
        return self.world.foreign_plan if target == "foreign" else self.world.plan

    def department(self, target: str) -> Department:
        return {"own": self.world.lead_dept, "other": self.world.other_dept}.get(
            target, self.world.foreign_dept
        )

    def lead_staff(self, target: str) -> User:
        return self.users[LEAD_STAFF[target]]

    def head(self, target: str) -> User:
        """The head of the department leading the target task (the world has one for 市科技局 only)."""
        if target == "own":
            return self.users["head"]
        return user_create(
            actor=None,
            username=f"head_{target}",
            password=None,
            role=Role.DEPT_HEAD,
            department=self.lead_staff(target).department,
        )

    # --- built objects ----------------------------------------------------------------------

    def section(self, target: str) -> Section:
        if target == "foreign":
            return section_create(plan=self.world.foreign_plan, label="一", title="主要任务")
        return Section.objects.filter(plan=self.world.plan).order_by("pk").first()  # type: ignore[return-value]

    def phase(self, target: str) -> Phase:
        return phase_create(
            actor=None,
            plan=self.plan(target),
            name="组织实施阶段",
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
        )

    def tombstone(self, target: str) -> Tombstone:
        phase = self.phase(target)
        pk = phase.pk
        delete_as(phase, actor=None, reason="matrix")
        return Tombstone.objects.get(model="tasks.phase", object_id=pk)

    def indicator(self, target: str) -> Indicator:
        task = self.task(target)
        return indicator_create(
            actor=None, plan=task.plan, name="每万人有效发明专利拥有量", target_value=75, unit="件", task=task
        )

    def report(self, target: str, files: list[Any] | None = None) -> ProgressReport:
        return progress_report_submit(
            actor=self.lead_staff(target),
            task=self.task(target),
            text="已完成专利导航。",
            percent=30,
            period="2026-05",
            attachments=files or [],
        )

    def attachment(self, target: str) -> Attachment:
        upload = SimpleUploadedFile("证明材料.txt", EVIDENCE, content_type="text/plain")
        return self.report(target, files=[upload]).attachments.get()

    def request_signoff(self, target: str) -> TaskRequest:
        """A completion request by the liaison, waiting for the head's sign-off."""
        task = self.task(target)
        return completion_request(
            actor=self.lead_staff(target), task=task, expected_version=task.version, reason="已完成"
        )

    def request_review(self, target: str) -> TaskRequest:
        """A completion request by the head (signed off at once), waiting for the bureau."""
        task = self.task(target)
        return completion_request(
            actor=self.head(target), task=task, expected_version=task.version, reason="已完成"
        )

    def request_extension(self, target: str) -> TaskRequest:
        return extension_request(
            actor=self.lead_staff(target),
            task=self.task(target),
            requested_due_date=LATER,
            reason="需要更多时间",
        )

    def notification(self, target: str, caller: str | None) -> Notification:
        owner = owner_of("notification", target, caller)
        row, _created = notification_create(
            recipient=self.users[owner],
            kind=NotificationKind.URGE,
            message="请尽快填报进展。",
            dedup_key=f"matrix:{owner}",
            task=self.world.task,
        )
        return row

    def import_(self, target: str, caller: str | None) -> PlanImport:
        owner = self.users[owner_of("import", target, caller)]
        region = owner.region or self.world.city
        if owner.role in (Role.ADMIN, Role.BUREAU):
            return import_session_start(actor=owner, text=PLAN_TEXT, region=region).record
        # A department user cannot start an import; this one is left from when the user was a
        # bureau coordinator (a role changed later), so that the role check is seen to win.
        return PlanImport.objects.create(created_by=owner, region=region, source_text=PLAN_TEXT)

    def subscription(self, target: str, *, active: bool = True) -> Subscription:
        """A webhook subscription of 东莞 (own) or of 珠海 (foreign), made by that city's bureau."""
        foreign = target == "foreign"
        return subscription_create(
            actor=self.users["other_bureau" if foreign else "bureau"],
            url="http://oa-server:8080/hook",
            events=["task.status_changed"],
            region=self.world.other_city if foreign else self.world.city,
            description="督办系统",
            is_active=active,
        )

    def subscription_off(self, target: str) -> Subscription:
        """A subscription that was created switched off (so that enabling it changes something)."""
        return self.subscription(target, active=False)

    # --- dispatch -----------------------------------------------------------------------------

    def build(self, resource: str, target: str, caller: str | None) -> Any:
        if resource == "notification":
            return self.notification(target, caller)
        if resource == "import":
            return self.import_(target, caller)
        return getattr(self, resource)(target)
