"""The work departments carry (task assignments, reports, requests) belongs to an app above the
registry (``tasks``). Retiring and merging a department need it, so that app hands over, in its
``ready()``, what the registry may ask: a department's open tasks, and moving its work to another
department in a merge. ``bulk_changed`` tells caches when rows changed without model signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.dispatch import Signal

from ipplan.people import Person

from .models import Department

#: Sent after a bulk write of the registry's rows (users, departments): bulk writes send no
#: ``post_save``. Arguments: ``model``.
bulk_changed = Signal()


@dataclass(frozen=True)
class MovedWork:
    """What a merge moved of the absorbed department's work."""

    assignments: int
    tasks: int
    reports: int
    requests: int


@dataclass(frozen=True)
class Work:
    #: the tasks not yet closed that a department is assigned to, in any role
    open_tasks: Callable[[Department], QuerySet[Any]]
    #: inside the merge's transaction: move the absorbed department's work to the survivor
    merge: Callable[[Person | None, Department, Department, str], MovedWork]


_registered: list[Work] = []


def register_work(work: Work) -> None:
    _registered[:] = [work]


def work() -> Work:
    if not _registered:
        raise LookupError("no app registered the departments' work (departments.work.register_work)")
    return _registered[0]
