"""The work-plan's domain events, and a small in-process publish/subscribe to hand them on.

The services publish what happened (a task's status changed, a report was submitted …) and do
not know who listens: the webhooks app subscribes in its ``AppConfig.ready()`` and records its
outbox rows. Subscribers run at once, in the publisher's transaction, so a change and what it
caused commit together or not at all; a subscriber that raises rolls the change back (nothing
is swallowed).

Tasks never imports a subscriber; a subscriber imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from departments.models import User

from .models import ProgressReport, Task, TaskRequest


@dataclass(frozen=True)
class TaskStatusChanged:
    """A task was saved with a new status (``old_status`` is the one before)."""

    task: Task
    old_status: str
    actor: User | None


@dataclass(frozen=True)
class ReportSubmitted:
    """A progress report (or a correction of one) was saved with its files."""

    report: ProgressReport


@dataclass(frozen=True)
class CompletionApproved:
    """The bureau approved a completion request; the task is now completed (the service also
    publishes ``TaskStatusChanged``)."""

    request: TaskRequest
    old_status: str
    actor: User | None


@dataclass(frozen=True)
class TaskUpdated:
    """Plan maintenance changed a task (``changes``: field → (old, new)) for ``reason``."""

    task: Task
    changes: dict[str, tuple[Any, Any]]
    reason: str
    actor: User | None


@dataclass(frozen=True)
class TaskReassigned:
    """A task's departments changed; ``old``/``new`` as ``{department_id, department_name, role}``."""

    task: Task
    old: list[dict[str, Any]]
    new: list[dict[str, Any]]
    actor: User | None


@dataclass(frozen=True)
class TaskCancelled:
    """A task was cancelled (the service also publishes ``TaskStatusChanged``)."""

    task: Task
    old_status: str
    reason: str
    actor: User | None


@dataclass(frozen=True)
class OverdueTask:
    """An open task past its due date, as the reminder sweep reads it (no model instance)."""

    task_id: int
    due_date: dt.date
    region_path: str


@dataclass
class Sweep:
    """One reminder sweep: a subscriber keeps here what it reads once per sweep (by its own key),
    not once per page."""

    today: dt.date
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TasksOverdue:
    """A page of the reminder sweep holds these late open tasks (published once per page)."""

    sweep: Sweep
    tasks: Sequence[OverdueTask]


E = TypeVar("E")
_subscribers: dict[type, list[Callable[[Any], None]]] = {}


def subscribe(kind: type[E], handler: Callable[[E], None]) -> None:
    """Call ``handler`` with every event of ``kind`` (once per handler, however often this runs)."""
    handlers = _subscribers.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(kind: type[E], handler: Callable[[E], None]) -> None:
    handlers = _subscribers.get(kind, [])
    if handler in handlers:
        handlers.remove(handler)


def publish(event: object) -> None:
    """Hand ``event`` to each subscriber of its kind, in the order they subscribed."""
    for handler in list(_subscribers.get(type(event), ())):
        handler(event)
