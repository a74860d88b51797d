"""What a user can do on a task right now, and why an expected action is not there.

One source for every page that offers task actions: the permission policy says whether the
user's role and department may perform an action on the task (``ipplan.permissions``), the status
table says whether the task's status lets the action start (``tasks.status.ACTION_SOURCES``), and
the open requests say what waits for whom. The services check the same two sources, so an offered
action succeeds when posted and an action that would be refused is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ipplan.permissions import Action, allowed_actions

from . import status as status_table
from .choices import RequestKind, RequestState, TaskStatus
from .status import Door

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from departments.models import User

    from .models import Task, TaskRequest

#: The actions a task page may offer, in the order of the page.
TASK_ACTIONS = [
    Action.UPDATE_PROGRESS,
    Action.SUBMIT_REPORT,
    Action.REQUEST_COMPLETION,
    Action.SIGN_OFF_COMPLETION,
    Action.DECIDE_COMPLETION,
    Action.REQUEST_EXTENSION,
    Action.DECIDE_EXTENSION,
    Action.URGE_TASK,
    Action.EDIT_DEADLINE,
    Action.REVIEW_REPORT,
    Action.MAINTAIN_PLAN,
]

#: Offers on an open request (the forms of its card on the task page).
SIGN_OFF, RETURN, APPROVE = "sign_off", "return", "approve"
APPROVE_EXTENSION, REFUSE_EXTENSION = "approve_extension", "refuse_extension"


def waiting_for(state: str) -> str:
    """Whom a request in ``state`` waits for, in words ("等待单位负责人签批")."""
    if state == RequestState.AWAITING_SIGNOFF:
        return _("等待单位负责人签批")
    if state == RequestState.AWAITING_REVIEW:
        return _("等待知识产权局审核")
    return ""


@dataclass
class TaskOffers:
    """``actions``: task actions offered now (``Action`` values); ``requests``: request id ->
    offers on that request; ``notes``: why an action the user would expect is not offered."""

    actions: set[str] = field(default_factory=set)
    requests: dict[int, set[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def on(self, request: TaskRequest) -> set[str]:
        return self.requests.get(request.pk, set())


def task_offers(user: User | AnonymousUser, task: Task, open_requests: Iterable[TaskRequest]) -> TaskOffers:
    """The actions ``user`` can take on ``task`` now; ``open_requests`` are its requests still
    awaiting sign-off or review."""
    permitted = {str(a) for a in allowed_actions(user, task, TASK_ACTIONS)}
    offers = TaskOffers(actions={a for a in permitted if status_table.action_open(Action(a), task.status)})
    requests = list(open_requests)
    completion = next((r for r in requests if r.kind == RequestKind.COMPLETION), None)
    extension = next((r for r in requests if r.kind == RequestKind.EXTENSION), None)
    department_work = {Action.UPDATE_PROGRESS, Action.REQUEST_COMPLETION} & permitted

    if completion is not None:
        offered: set[str] = set()
        waiting = completion.state
        may_return = status_table.door_allows(Door.RETURN, task.status, TaskStatus.IN_PROGRESS)
        if waiting == RequestState.AWAITING_SIGNOFF and Action.SIGN_OFF_COMPLETION in permitted:
            offered |= {SIGN_OFF, RETURN} if may_return else {SIGN_OFF}
        if waiting == RequestState.AWAITING_REVIEW and Action.DECIDE_COMPLETION in permitted:
            if status_table.door_allows(Door.APPROVE, task.status, TaskStatus.COMPLETED):
                offered.add(APPROVE)
            if may_return:
                offered.add(RETURN)
        offers.requests[completion.pk] = offered
        if department_work and not offered:
            offers.notes.append(_("已提交办结申请,%(waiting)s。") % {"waiting": waiting_for(waiting)})
        if waiting == RequestState.AWAITING_SIGNOFF and Action.DECIDE_COMPLETION in permitted:
            offers.notes.append(_("办结申请正等待单位负责人签批,签批后再由知识产权局审核。"))
    elif task.status == TaskStatus.COMPLETION_REQUESTED and department_work:
        offers.notes.append(_("已提交办结申请,等待审核。"))

    if extension is not None:
        offered = set()
        if Action.DECIDE_EXTENSION in permitted:
            offered.add(REFUSE_EXTENSION)
            if not task.is_closed:
                offered.add(APPROVE_EXTENSION)
        offers.requests[extension.pk] = offered
        if Action.REQUEST_EXTENSION in offers.actions:
            offers.actions.discard(Action.REQUEST_EXTENSION)
            offers.notes.append(_("已提交延期申请,%(waiting)s。") % {"waiting": waiting_for(extension.state)})

    closed_work = permitted & {
        Action.UPDATE_PROGRESS,
        Action.SUBMIT_REPORT,
        Action.REQUEST_COMPLETION,
        Action.URGE_TASK,
    }
    if task.status == TaskStatus.COMPLETED and closed_work:
        offers.notes.append(_("任务已办结,无需再更新进度、填报、申请或催办。"))
    elif task.status == TaskStatus.CANCELLED and closed_work:
        offers.notes.append(_("任务已取消,不能再更新进度、填报、申请或催办。"))
    return offers
