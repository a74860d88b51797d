"""The review workflow: completion (办结) and extension (延期) requests, urges (催办), the review of
progress reports, and deadlines set in bulk.

Each service checks the permission policy inside its transaction, records the actor in the
history, and creates its notifications in the same transaction: all of it happens, or none.
Requests and tasks are re-read under a lock (task first, then request) before their state is
checked, so two reviewers acting at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department, User
from ipplan.audit import save_as
from ipplan.exceptions import TransitionError
from ipplan.permissions import Action, can, require
from ipplan.roles import Role
from ipplan.versioning import save_versioned
from notifications.choices import NotificationKind
from notifications.services.notifications import notifications_create_for

from .. import events
from .. import status as status_table
from ..choices import AssignmentRole, RequestKind, RequestState, ReviewStatus, TaskStatus
from ..models import Plan, ProgressReport, Section, Task, TaskRequest, Urge, local_today
from ..reporting.people import bureau_users_for_region
from ..status import Door
from .progress import check_task_open as _check_task_open
from .progress import lock_task, task_set_due_date

#: Request states in which someone still has to act (the model allows one per task and kind).
OPEN_REQUEST_STATES = (RequestState.AWAITING_SIGNOFF, RequestState.AWAITING_REVIEW)
#: Task statuses from which the lead department may ask for completion (from the status table).
REQUESTABLE_STATUSES = tuple(
    s for s in TaskStatus if any(s in rule.sources for rule in status_table.rules(Door.REQUEST_COMPLETION))
)
#: Who may return a completion request in each open state.
_RETURNER = {
    RequestState.AWAITING_SIGNOFF: Action.SIGN_OFF_COMPLETION,
    RequestState.AWAITING_REVIEW: Action.DECIDE_COMPLETION,
}


# --- recipients -------------------------------------------------------------------------------


def department_members(department: Department, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """Active users of ``department``, optionally only those with one of ``roles``."""
    members = User.objects.filter(department=department, is_active=True)
    if roles is not None:
        members = members.filter(role__in=list(roles))
    return members.order_by("pk")


def bureau_users_for(plan: Plan) -> QuerySet[User]:
    """The bureau of the plan's region (``tasks.reporting.people.bureau_users_for_region``)."""
    return bureau_users_for_region(plan.region)


def task_members(task: Task, *, lead_only: bool = False) -> QuerySet[User]:
    """Active users of the departments assigned to ``task`` (only the lead ones if asked)."""
    assigned = Q(department__assignments__task=task)
    if lead_only:
        assigned &= Q(department__assignments__role=AssignmentRole.LEAD)
    return User.objects.filter(assigned, is_active=True).distinct().order_by("pk")


# --- shared checks and steps ------------------------------------------------------------------


def _require_text(value: str, field: str, message: str) -> str:
    if not value.strip():
        raise ValidationError({field: message}, code="required")
    return value.strip()


def _state_error(request: TaskRequest) -> TransitionError:
    return TransitionError(
        _("该%(kind)s当前状态为“%(state)s”,不能进行此操作。")
        % {"kind": RequestKind(request.kind).label, "state": RequestState(request.state).label},
        code="invalid_transition",
    )


def _check_state(request: TaskRequest, *allowed: str) -> None:
    if request.state not in allowed:
        raise _state_error(request)


def _lock_request(request: TaskRequest, kind: str) -> TaskRequest:
    """The request re-read under a lock, with its task locked first and attached."""
    task = lock_task(request.task, None)
    locked = (
        TaskRequest.objects.select_for_update(of=("self",)).select_related("department").get(pk=request.pk)
    )
    if locked.kind != kind:
        raise ValidationError(
            _("该申请不是%(kind)s。") % {"kind": RequestKind(kind).label}, code="wrong_kind"
        )
    locked.task = task
    return locked


def _open_request(*, actor: User, task: Task, kind: str, state: str, **fields: object) -> TaskRequest:
    already = ValidationError(
        _("该任务已有一份未处理完的%(kind)s,请等待处理结果。") % {"kind": RequestKind(kind).label},
        code="request_open",
    )
    # The task row is locked, so this check and the insert cannot race; the constraint backs it.
    if TaskRequest.objects.filter(task=task, kind=kind, state__in=OPEN_REQUEST_STATES).exists():
        raise already
    assert actor.department is not None  # guaranteed by the LEAD scope of the request actions
    request = TaskRequest(
        task=task, kind=kind, state=state, department=actor.department, requested_by=actor, **fields
    )
    # Fields are checked here; the one-open-request constraint is left to the database, so that
    # a violation is the IntegrityError below and gets the clear message, not the generic one.
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            return save_as(request, actor=actor, reason="request", validate=False)
    except IntegrityError:
        raise already from None


def _decide(request: TaskRequest, *, actor: User, state: str, comment: str) -> None:
    request.state = state
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_comment = comment.strip()
    save_as(
        request,
        actor=actor,
        reason=state,
        update_fields=["state", "decided_by", "decided_at", "decision_comment"],
    )


def _bump(task: Task, *, actor: User, reason: str, fields: list[str]) -> None:
    save_versioned(task, actor=actor, reason=reason, update_fields=fields)


def _describe(request: TaskRequest) -> str:
    if request.kind == RequestKind.EXTENSION and request.requested_due_date is not None:
        return _("延期申请(申请延至 %(date)s)") % {"date": request.requested_due_date.isoformat()}
    return str(RequestKind(request.kind).label)


def _notify_pending(request: TaskRequest, *, actor: User) -> None:
    """Tell whoever acts next: the department's heads to sign off, else the bureau to review."""
    task = request.task
    signoff = request.state == RequestState.AWAITING_SIGNOFF
    if signoff:
        recipients = department_members(request.department, roles=[Role.DEPT_HEAD])
    else:
        recipients = bureau_users_for(task.plan)

    def message() -> str:  # written in each recipient's language
        return _("%(department)s提交了任务 %(path)s %(title)s 的%(request)s,%(todo)s。") % {
            "department": request.department.name,
            "path": task.path,
            "title": task.title,
            "request": _describe(request),
            "todo": _("请签批") if signoff else _("请审核"),
        }

    notifications_create_for(
        recipients,
        actor=actor,
        kind=NotificationKind.REQUEST_PENDING,
        task=task,
        message=message,
        key=f"request:{request.pk}:{request.state}",
    )


def _notify_result(request: TaskRequest, *, actor: User) -> None:
    """Tell the lead departments how their request was decided."""
    task = request.task

    def message() -> str:  # written in each recipient's language
        params = {"path": task.path, "title": task.title, "request": _describe(request)}
        if request.state == RequestState.APPROVED:
            return _("任务 %(path)s %(title)s 的%(request)s已获批准。") % params
        return _("任务 %(path)s %(title)s 的%(request)s被退回,意见:%(comment)s") % {
            **params,
            "comment": request.decision_comment,
        }

    notifications_create_for(
        task_members(task, lead_only=True),
        actor=actor,
        kind=NotificationKind.REVIEW_RESULT,
        task=task,
        message=message,
        key=f"request:{request.pk}:{request.state}",
    )


# --- completion (办结) ---------------------------------------------------------------------------


@transaction.atomic
def completion_request(*, actor: User, task: Task, expected_version: int, reason: str = "") -> TaskRequest:
    """The lead department asks to close the task; a request by its head is signed off at once."""
    require(actor, Action.REQUEST_COMPLETION, task)
    task = lock_task(task, expected_version)
    status_table.check_source(Door.REQUEST_COMPLETION, task.status, _("申请办结"))
    by_head = can(actor, Action.SIGN_OFF_COMPLETION, task)  # the head's own request needs no sign-off
    old_status = task.status
    request = _open_request(
        actor=actor,
        task=task,
        kind=RequestKind.COMPLETION,
        state=RequestState.AWAITING_REVIEW if by_head else RequestState.AWAITING_SIGNOFF,
        reason=reason.strip(),
        signed_off_by=actor if by_head else None,
        signed_off_at=timezone.now() if by_head else None,
    )
    task.status = TaskStatus.COMPLETION_REQUESTED
    _bump(task, actor=actor, reason="completion_request", fields=["status"])
    events.publish(events.TaskStatusChanged(task, old_status, actor))
    _notify_pending(request, actor=actor)
    return request


@transaction.atomic
def completion_sign_off(*, actor: User, request: TaskRequest) -> TaskRequest:
    """The lead department's head signs off a completion request and passes it to the bureau."""
    require(actor, Action.SIGN_OFF_COMPLETION, request.task)
    request = _lock_request(request, RequestKind.COMPLETION)
    _check_state(request, RequestState.AWAITING_SIGNOFF)
    request.state = RequestState.AWAITING_REVIEW
    request.signed_off_by = actor
    request.signed_off_at = timezone.now()
    save_as(
        request, actor=actor, reason="sign_off", update_fields=["state", "signed_off_by", "signed_off_at"]
    )
    _notify_pending(request, actor=actor)
    return request


@transaction.atomic
def completion_approve(*, actor: User, request: TaskRequest, comment: str = "") -> TaskRequest:
    """The bureau approves a signed-off completion request: the task is completed."""
    require(actor, Action.DECIDE_COMPLETION, request.task)
    request = _lock_request(request, RequestKind.COMPLETION)
    _check_state(request, RequestState.AWAITING_REVIEW)
    task = request.task
    status_table.check_source(Door.APPROVE, task.status, _("办结"))
    _decide(request, actor=actor, state=RequestState.APPROVED, comment=comment)
    task.status, task.progress, task.completed_at = TaskStatus.COMPLETED, 100, timezone.now()
    _bump(task, actor=actor, reason="completion_approved", fields=["status", "progress", "completed_at"])
    events.publish(events.TaskStatusChanged(request.task, TaskStatus.COMPLETION_REQUESTED, actor))
    events.publish(events.CompletionApproved(request, TaskStatus.COMPLETION_REQUESTED, actor))
    _notify_result(request, actor=actor)
    return request


@transaction.atomic
def completion_return(*, actor: User, request: TaskRequest, comment: str) -> TaskRequest:
    """Return a completion request with a comment: the head before sign-off, the bureau after."""
    if not any(can(actor, action, request.task) for action in _RETURNER.values()):
        raise PermissionDenied("return_completion not allowed")
    request = _lock_request(request, RequestKind.COMPLETION)
    _check_state(request, *OPEN_REQUEST_STATES)
    if not can(actor, _RETURNER[RequestState(request.state)], request.task):
        raise _state_error(request)  # may return, but not at this stage (head before, bureau after)
    comment = _require_text(comment, "comment", _("退回时请填写退回意见。"))
    task = request.task
    status_table.check_source(Door.RETURN, task.status, _("退回办结申请"))
    _decide(request, actor=actor, state=RequestState.RETURNED, comment=comment)
    task.status = TaskStatus.IN_PROGRESS
    _bump(task, actor=actor, reason="completion_returned", fields=["status"])
    events.publish(events.TaskStatusChanged(task, TaskStatus.COMPLETION_REQUESTED, actor))
    _notify_result(request, actor=actor)
    return request


# --- extension (延期) ----------------------------------------------------------------------------


@transaction.atomic
def extension_request(
    *, actor: User, task: Task, requested_due_date: dt.date | None, reason: str
) -> TaskRequest:
    """The lead department asks the bureau to move the task's deadline later."""
    require(actor, Action.REQUEST_EXTENSION, task)
    task = lock_task(task, None)
    _check_task_open(task, _("申请延期"))
    reason = _require_text(reason, "reason", _("请填写延期理由。"))
    if requested_due_date is None:
        raise ValidationError({"requested_due_date": _("请填写申请延至的日期。")}, code="required")
    if task.due_date is not None and requested_due_date <= task.due_date:
        raise ValidationError(
            {
                "requested_due_date": _("申请延至的日期必须晚于当前完成时限 %(date)s。")
                % {"date": task.due_date}
            }
        )
    if task.due_date is None and requested_due_date <= local_today():
        raise ValidationError({"requested_due_date": _("申请延至的日期必须晚于今天。")})
    if task.start_date is not None and requested_due_date < task.start_date:
        raise ValidationError({"requested_due_date": _("完成时限不能早于开始日期。")})
    request = _open_request(
        actor=actor,
        task=task,
        kind=RequestKind.EXTENSION,
        state=RequestState.AWAITING_REVIEW,
        reason=reason,
        requested_due_date=requested_due_date,
        previous_due_date=task.due_date,
    )
    _notify_pending(request, actor=actor)
    return request


@transaction.atomic
def extension_decide(*, actor: User, request: TaskRequest, approve: bool, comment: str = "") -> TaskRequest:
    """The bureau approves an extension (the task's deadline moves) or refuses it with a comment."""
    require(actor, Action.DECIDE_EXTENSION, request.task)
    request = _lock_request(request, RequestKind.EXTENSION)
    _check_state(request, RequestState.AWAITING_REVIEW)
    task = request.task
    if approve:
        _check_task_open(task, _("延期"))
        task.due_date = request.requested_due_date
        _bump(task, actor=actor, reason="extension", fields=["due_date"])
    else:
        comment = _require_text(comment, "comment", _("不批准延期时请填写意见。"))
    _decide(
        request,
        actor=actor,
        state=RequestState.APPROVED if approve else RequestState.RETURNED,
        comment=comment,
    )
    _notify_result(request, actor=actor)
    return request


# --- urge (催办), report review, deadlines ------------------------------------------------------


@transaction.atomic
def task_urge(*, actor: User, task: Task, message: str) -> Urge:
    """Record an urge and notify every active user of every department assigned to the task."""
    require(actor, Action.URGE_TASK, task)
    message = _require_text(message, "message", _("请填写催办内容。"))
    task = lock_task(task, None)
    _check_task_open(task, _("催办"))
    urge = save_as(Urge(task=task, author=actor, message=message), actor=actor, reason="urge")

    def text() -> str:  # written in each recipient's language
        return _("催办:任务 %(path)s %(title)s。%(message)s") % {
            "path": task.path,
            "title": task.title,
            "message": message,
        }

    notifications_create_for(
        task_members(task),
        actor=actor,
        kind=NotificationKind.URGE,
        task=task,
        message=text,
        key=f"urge:{urge.pk}",
    )
    return urge


@transaction.atomic
def report_review(*, actor: User, report: ProgressReport, accept: bool, comment: str = "") -> ProgressReport:
    """The bureau accepts a pending progress report, or returns it with a comment."""
    require(actor, Action.REVIEW_REPORT, report)
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if report.review_status != ReviewStatus.PENDING:
        raise TransitionError(
            _("该进展填报当前为“%(status)s”,不能再次审核。")
            % {"status": ReviewStatus(report.review_status).label},
            code="invalid_transition",
        )
    if not accept:
        comment = _require_text(comment, "comment", _("退回时请填写退回意见。"))
    report.review_status = ReviewStatus.ACCEPTED if accept else ReviewStatus.RETURNED
    report.reviewer, report.review_comment, report.reviewed_at = actor, comment.strip(), timezone.now()
    save_as(
        report,
        actor=actor,
        reason="review",
        update_fields=["review_status", "reviewer", "review_comment", "reviewed_at"],
    )
    task = report.task
    params = {
        "path": task.path,
        "title": task.title,
        "period": report.period,
        "comment": report.review_comment,
    }

    def message() -> str:  # written in the author's language
        text = (
            _("您填报的任务 %(path)s %(title)s 进展(%(period)s)已审核通过。%(comment)s")
            if accept
            else _("您填报的任务 %(path)s %(title)s 进展(%(period)s)被退回,意见:%(comment)s")
        ) % params
        return text.strip()

    recipients = [report.author] if report.author.is_active else []
    notifications_create_for(
        recipients,
        actor=actor,
        kind=NotificationKind.REVIEW_RESULT,
        task=task,
        message=message,
        key=f"report:{report.pk}:{report.review_status}",
    )
    return report


@transaction.atomic
def deadlines_bulk_set(*, actor: User, tasks: Iterable[Task], due_date: dt.date, reason: str = "") -> int:
    """Set the deadline of every open task among ``tasks``; returns how many changed.

    Permission is checked on each task; one refusal rolls back every change.
    """
    changed = 0
    for task in tasks:
        require(actor, Action.EDIT_DEADLINE, task)
        locked = lock_task(task, None)
        if locked.is_closed or locked.due_date == due_date:
            continue
        try:
            task_set_due_date(actor=actor, task=locked, due_date=due_date, reason=reason or "deadline")
        except ValidationError as error:
            raise ValidationError(
                {"due_date": [f"{locked.path} {locked.title}:{message}" for message in error.messages]}
            ) from error
        changed += 1
    return changed


@transaction.atomic
def deadline_set_for_section(*, actor: User, section: Section, due_date: dt.date, reason: str = "") -> int:
    """Set the deadline of the open tasks of a section and of the sections under it."""
    require(actor, Action.EDIT_DEADLINE, section)
    tasks = Task.objects.filter(plan_id=section.plan_id).filter(
        Q(section=section) | Q(section__path__startswith=f"{section.path}.")
    )
    return deadlines_bulk_set(actor=actor, tasks=tasks.order_by("pk"), due_date=due_date, reason=reason)


@transaction.atomic
def deadline_set_for_plan(*, actor: User, plan: Plan, due_date: dt.date, reason: str = "") -> int:
    """Set the deadline of every open task of a plan."""
    require(actor, Action.EDIT_DEADLINE, plan)
    return deadlines_bulk_set(actor=actor, tasks=plan.tasks.order_by("pk"), due_date=due_date, reason=reason)
