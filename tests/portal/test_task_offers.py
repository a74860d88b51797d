"""The task page offers exactly what each role can do in each task state, and each offer works.

Every task state (with the completion request at either stage and an open extension request)
times every role: the forms on the page are compared with a table written out here, then each
offered form is posted (in a savepoint, rolled back after) and must succeed.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from departments.services import department_create, user_create
from ipplan.roles import Role
from tasks.choices import RequestState, TaskStatus
from tasks.models import Task, TaskRequest
from tasks.services import workflow
from tasks.services.maintenance import task_cancel
from tasks.services.progress import progress_report_submit, task_update_progress

from ..conftest import PASSWORD, World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db

LATER = timezone.localdate() + dt.timedelta(days=90)

STATES = [
    "not_started",
    "in_progress",
    "blocked",
    "awaiting_signoff",
    "awaiting_review",
    "extension_open",
    "report_pending",  # a responsible department's report waits for the bureau's review
    "completed",
    "cancelled",
]
ROLES = [
    "staff",  # liaison of the lead department
    "head",  # head of the lead department
    "other_staff",  # liaison of a responsible department
    "outsider",  # a department of the same city not assigned to the task
    "leader",
    "bureau",
    "province",
    "admin",
    "security",
    "auditor",
    "foreign_staff",
    "other_bureau",
]
UNSEEN = None  # the task page answers 404

LEAD_OPEN = {"progress", "report", "completion", "extension"}
BUREAU_OPEN = {"urge", "deadline", "maintain"}


def expected(state: str, role: str) -> set[str] | None:
    """What the page should offer, written out from the product's rules (not from the code)."""
    if role in ("security", "auditor", "foreign_staff", "other_bureau"):
        return UNSEEN
    closed = state in ("completed", "cancelled")
    if role in ("staff", "head"):
        if closed:
            return set()
        if state in ("awaiting_signoff", "awaiting_review"):
            offers = {"report", "extension"}
            if role == "head" and state == "awaiting_signoff":
                offers |= {"sign_off", "return"}
            return offers
        if state == "extension_open":
            return LEAD_OPEN - {"extension"}
        return set(LEAD_OPEN)
    if role == "other_staff":
        if state == "report_pending":
            return {"report", "correct"}  # its own report may be corrected
        return set() if closed else {"report"}
    if role in ("outsider", "leader"):
        return set()
    # bureau, province, admin
    if closed:
        return {"maintain"}
    offers = set(BUREAU_OPEN)
    if state == "awaiting_review":
        offers |= {"approve", "return"}
    if state == "extension_open":
        offers |= {"approve_extension", "refuse_extension"}
    if state == "report_pending":
        offers.add("review")
    return offers


#: The note each department user reads where the expected action is missing.
NOTES = {
    ("awaiting_signoff", "staff"): "已提交办结申请,等待单位负责人签批。",
    ("awaiting_review", "staff"): "已提交办结申请,等待知识产权局审核。",
    ("awaiting_review", "head"): "已提交办结申请,等待知识产权局审核。",
    ("extension_open", "staff"): "已提交延期申请,等待知识产权局审核。",
    ("awaiting_signoff", "bureau"): "办结申请正等待单位负责人签批",
    ("completed", "staff"): "任务已办结",
    ("completed", "bureau"): "任务已办结",
    ("cancelled", "head"): "任务已取消",
}


def bring_to(world: World, state: str) -> Task:
    """Drive the world's task into ``state`` through the services, as people would."""
    task, users = world.task, world.users
    if state in ("in_progress", "extension_open", "report_pending"):
        task_update_progress(actor=users["staff"], task=task, expected_version=task.version, progress=10)
    if state == "report_pending":
        progress_report_submit(
            actor=users["other_staff"], task=task, text="配合完成调研", percent=30, period="2026-11"
        )
    if state == "blocked":
        task_update_progress(
            actor=users["staff"], task=task, expected_version=task.version, status=TaskStatus.BLOCKED
        )
    if state == "extension_open":
        workflow.extension_request(
            actor=users["staff"], task=task, requested_due_date=LATER, reason="需要更多时间"
        )
    if state in ("awaiting_signoff", "awaiting_review", "completed"):
        by = users["staff"] if state == "awaiting_signoff" else users["head"]
        workflow.completion_request(actor=by, task=task, expected_version=task.version, reason="已完成")
    if state == "completed":
        request = TaskRequest.objects.get(task=task, state=RequestState.AWAITING_REVIEW)
        workflow.completion_approve(actor=users["bureau"], request=request)
    if state == "cancelled":
        task.refresh_from_db()
        task_cancel(actor=users["bureau"], task=task, expected_version=task.version, reason="不再需要")
    task.refresh_from_db()
    return task


def user_for(world: World, role: str):  # type: ignore[no-untyped-def]
    if role == "outsider":
        department = department_create(actor=None, region=world.city, name="市教育局")
        return user_create(
            actor=None, username="outsider", password=PASSWORD, role=Role.DEPT_STAFF, department=department
        )
    return world.users[role]


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
ROUTES = {
    "tasks:task_progress": "progress",
    "tasks:report_submit": "report",
    "tasks:completion_request": "completion",
    "tasks:extension_request": "extension",
    "tasks:task_urge": "urge",
    "tasks:task_deadline": "deadline",
    "tasks:request_sign_off": "sign_off",
    "tasks:request_approve": "approve",
    "tasks:request_return": "return",
    "tasks:report_review": "review",
    "tasks:report_correct": "correct",
}


def offered(html: str) -> dict[str, str]:
    """Offer name -> URL of its form, read from the page."""
    offers = {}
    for url, body in FORM.findall(html):
        url = unescape(url)
        match = resolve(url)
        if match.view_name == "tasks:extension_decide":
            if 'name="approve" value="1"' in body:
                offers["approve_extension"] = url
            if 'name="approve" value="0"' in body:
                offers["refuse_extension"] = url
        elif match.view_name in ROUTES:
            offers[ROUTES[match.view_name]] = url
    if 'id="task-maintain"' in html:
        offers["maintain"] = ""  # a link to the maintenance page, not a form
    return offers


def post_data(offer: str, task: Task) -> dict[str, str]:
    return {
        "progress": {"version": str(task.version), "status": task.status, "progress": "55"},
        "report": {"text": "本月完成初稿", "percent": "40", "period": "2026-11"},
        "completion": {"version": str(task.version), "reason": "已完成"},
        "extension": {"requested_due_date": LATER.isoformat(), "reason": "需要更多时间"},
        "urge": {"message": "请加快进度"},
        "deadline": {"version": str(task.version), "due_date": (LATER + dt.timedelta(days=1)).isoformat()},
        "sign_off": {},
        "approve": {"comment": ""},
        "return": {"comment": "请补充佐证材料"},
        "approve_extension": {"approve": "1"},
        "refuse_extension": {"approve": "0", "comment": "理由不充分"},
        "review": {"accept": "1", "comment": ""},
        "correct": {"text": "更正:配合完成调研和起草", "percent": "35"},
    }[offer]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_task_page_offers_exactly_what_the_role_can_do(
    client: Client, world: World, state: str, role: str
) -> None:
    task = bring_to(world, state)
    client.force_login(user_for(world, role))
    url = reverse("tasks:task_detail", args=[task.pk])
    response = client.get(url)
    want = expected(state, role)
    if want is UNSEEN:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    offers = offered(html)
    assert set(offers) == want, f"{state} × {role}: offers {sorted(offers)}, expected {sorted(want)}"
    if (state, role) in NOTES:
        assert NOTES[(state, role)] in html
    if "progress" in offers:
        # the status menu lists only statuses the lead department may choose from here
        menu = re.search(r'<select[^>]*id="p-status"[^>]*>(.*?)</select>', html, re.S)
        assert menu is not None
        values = set(re.findall(r'value="([^"]+)"', menu.group(1)))
        assert values == {TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED}

    for offer, target in sorted(offers.items()):
        savepoint = transaction.savepoint()
        try:
            if offer == "maintain":
                page = client.get(reverse("tasks:task_maintain", args=[task.pk]))
                assert page.status_code == 200, offer
                continue
            answer = client.post(target, post_data(offer, task))
            assert answer.status_code == 302, (
                f"{state} × {role}: offered {offer} answered {answer.status_code}: "
                + re.sub(r"\s+", " ", answer.content.decode())[-600:]
            )
            assert answer["Location"] == url
        finally:
            transaction.savepoint_rollback(savepoint)
            task.refresh_from_db()
