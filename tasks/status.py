"""The task status table: every allowed status change, by door and by role, in one place.

A *door* is one way a status can change (a direct edit by the lead department, a completion
request, the bureau's approval …). Each door names the permission it needs (so the roles that may
use it come from the permission policy's matrix, ``ipplan.permissions.MATRIX``), the statuses it
starts from and the status it leads to. Services ask ``check(door, old, new)`` before they change
a status; the browser, the API, the admin and the importer all reach a status change through
those services only, so they all obey this table.

Sign-off moves the completion request on, not the task, so it is not a door here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ipplan.exceptions import TransitionError
from ipplan.permissions import MATRIX, Action, Scope

from .choices import TaskStatus

S = TaskStatus


class Door(enum.StrEnum):
    DIRECT = "direct"  # the lead department sets the status (progress form, PATCH status)
    REQUEST_COMPLETION = "request_completion"  # the lead department asks to close the task
    APPROVE = "approve"  # the bureau approves a completion request
    RETURN = "return"  # the head (before sign-off) or the bureau returns a completion request
    CANCEL = "cancel"  # the bureau cancels a task (plan maintenance, or a merge)
    RESTORE = "restore"  # the bureau restores a cancelled task to its status before
    REIMPORT = "reimport"  # a revised document no longer holds the task: it is cancelled


@dataclass(frozen=True)
class Rule:
    """From any of ``sources`` to any of ``targets`` through ``door``, for the roles that may
    perform one of ``actions`` (None: the system itself, e.g. a re-import run from the command line)."""

    door: Door
    sources: frozenset[str]
    targets: frozenset[str]
    actions: tuple[Action, ...] | None


#: Statuses the lead department sets itself; the others come from the review workflow.
SELF_SERVICE = frozenset({S.NOT_STARTED, S.IN_PROGRESS, S.BLOCKED})
#: Statuses of work still open (everything but completed and cancelled).
OPEN = frozenset({*SELF_SERVICE, S.COMPLETION_REQUESTED})

TABLE: tuple[Rule, ...] = (
    Rule(Door.DIRECT, SELF_SERVICE, SELF_SERVICE, (Action.UPDATE_PROGRESS,)),
    Rule(
        Door.REQUEST_COMPLETION,
        SELF_SERVICE,
        frozenset({S.COMPLETION_REQUESTED}),
        (Action.REQUEST_COMPLETION,),
    ),
    Rule(
        Door.APPROVE,
        frozenset({S.COMPLETION_REQUESTED}),
        frozenset({S.COMPLETED}),
        (Action.DECIDE_COMPLETION,),
    ),
    Rule(
        Door.RETURN,
        frozenset({S.COMPLETION_REQUESTED}),
        frozenset({S.IN_PROGRESS}),
        (Action.SIGN_OFF_COMPLETION, Action.DECIDE_COMPLETION),
    ),
    # A completed task stays completed: the bureau approved it; cancelling it would rewrite figures.
    Rule(Door.CANCEL, OPEN, frozenset({S.CANCELLED}), (Action.MAINTAIN_PLAN,)),
    # Back to the status before the cancellation; a pending completion request was withdrawn by
    # the cancellation, so a task cancelled while 申请办结 comes back 进行中.
    Rule(Door.RESTORE, frozenset({S.CANCELLED}), SELF_SERVICE, (Action.MAINTAIN_PLAN,)),
    Rule(Door.REIMPORT, OPEN, frozenset({S.CANCELLED}), None),
)

#: The status a restored task takes when its status before the cancellation was 申请办结.
RESTORE_FALLBACK = S.IN_PROGRESS

#: Every status, for actions that do not depend on it.
ANY = frozenset(TaskStatus.values)

#: The task statuses from which each action on a task may start: the task page offers an action
#: only from these (and only to a user the permission policy allows). The status doors come from
#: the table above; the others need open work (urging, reporting or asking for more time on a
#: closed task makes no sense). Actions on a request follow the request's state instead.
ACTION_SOURCES: dict[Action, frozenset[str]] = {
    Action.UPDATE_PROGRESS: frozenset().union(*(r.sources for r in TABLE if r.door == Door.DIRECT)),
    Action.REQUEST_COMPLETION: frozenset().union(
        *(r.sources for r in TABLE if r.door == Door.REQUEST_COMPLETION)
    ),
    Action.SUBMIT_REPORT: OPEN,
    Action.REQUEST_EXTENSION: OPEN,
    Action.URGE_TASK: OPEN,
    Action.EDIT_DEADLINE: OPEN,
    Action.REVIEW_REPORT: ANY,
    Action.MAINTAIN_PLAN: ANY,
}


def action_open(action: Action, status: str) -> bool:
    """May ``action`` start from a task in ``status`` (whoever performs it)?"""
    return status in ACTION_SOURCES.get(action, ANY)


def rules(door: Door) -> list[Rule]:
    return [rule for rule in TABLE if rule.door == door]


def door_allows(door: Door, old: str, new: str) -> bool:
    """May ``door`` change a task from ``old`` to ``new`` (whoever uses it)?"""
    return any(old in rule.sources and new in rule.targets for rule in rules(door))


def _role_may(role: str, rule: Rule) -> bool:
    if rule.actions is None:
        return False  # the system's door: no person uses it
    row = MATRIX.get(role, {})
    return any(row.get(action, Scope.NONE) != Scope.NONE for action in rule.actions)


def allows(role: str, old: str, new: str, door: Door | None = None) -> bool:
    """May a user of ``role`` (in scope of the task) change it from ``old`` to ``new``?"""
    return any(
        old in rule.sources and new in rule.targets and _role_may(role, rule)
        for rule in TABLE
        if door is None or rule.door == door
    )


def transitions_for(role: str) -> set[tuple[str, str]]:
    """Every (old, new) pair a user of ``role`` may bring about, through any door."""
    return {
        (old, new)
        for rule in TABLE
        if _role_may(role, rule)
        for old in rule.sources
        for new in rule.targets
        if old != new
    }


def targets(door: Door, old: str) -> list[str]:
    """The statuses ``door`` may lead to from ``old``, in the order of ``TaskStatus``."""
    reachable = {new for rule in rules(door) if old in rule.sources for new in rule.targets}
    return [s.value for s in TaskStatus if s.value in reachable and s.value != old]


def targets_of(door: Door) -> list[str]:
    """Every status ``door`` may lead to, in the order of ``TaskStatus``."""
    reachable = {new for rule in rules(door) for new in rule.targets}
    return [s.value for s in TaskStatus if s.value in reachable]


def label(status: str) -> str:
    return str(TaskStatus(status).label) if status in TaskStatus.values else status


def check(door: Door, old: str, new: str) -> None:
    """Raise ``TransitionError`` (a clear message) unless ``door`` may go from ``old`` to ``new``."""
    if door_allows(door, old, new):
        return
    raise TransitionError(
        _("不能将任务从“%(old)s”改为“%(new)s”。") % {"old": label(old), "new": label(new)},
        code="invalid_transition",
    )


def check_source(door: Door, old: str, doing: str) -> None:
    """Raise ``TransitionError`` unless ``door`` starts from ``old`` (whatever it leads to)."""
    if any(old in rule.sources for rule in rules(door)):
        return
    raise TransitionError(
        _("任务当前状态为“%(status)s”,不能%(doing)s。") % {"status": label(old), "doing": doing},
        code="invalid_transition",
    )
