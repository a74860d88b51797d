"""The dashboard's figures, cached where they may be seconds old, and dropped on every write.

A dashboard's figures (per plan counts, the department ranking, the city comparison) are grouped
counts over every task, assignment and report of a region: at province scale the ranking alone
reads 600,000 reports. They are kept in Django's cache (Redis in production, local memory by
default) under a key made of

* the viewer's SCOPE (role, region path, department, the user for personal scopes) and the
  department viewed, so two people who may see different rows never share an entry;
* the day (the traffic lights turn with the date);
* a VERSION number, moved on after every committed write that can change a figure: a save or a
  delete of a task, an assignment, a report, a plan, a department, a region or the assessment
  weights (signals below, sent after the transaction commits), and the services' bulk writes
  (``figures_changed()``). A new version makes every old entry unreachable; they expire.

Entries also expire after ``IPPLAN_FIGURES_CACHE_SECONDS`` (default 120 s) as a safety net for
writes that bypass the ORM. Lists a user acts on (upcoming deadlines, recent activity, task
lists, the review queue) are never cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from departments.work import bulk_changed
from ipplan.permissions import Action, Scope, region_path, scope_of

T = TypeVar("T")

VERSION_KEY = "ipplan:figures:version"
_ACTIONS = (Action.VIEW_PLAN, Action.VIEW_TASK, Action.VIEW_DEPARTMENT)


def timeout() -> int:
    return int(getattr(settings, "IPPLAN_FIGURES_CACHE_SECONDS", 120))


def version() -> int:
    """The current figures version (created on first use; never expires)."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        current = cache.get(VERSION_KEY, 1)
    return int(current)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key is missing (evicted or never read): start a new series
        cache.set(VERSION_KEY, version() + 1, timeout=None)


def figures_changed() -> None:
    """Call after a write that changes dashboard figures: the cached figures are dropped once the
    transaction commits (at once outside a transaction)."""
    transaction.on_commit(_bump)


def scope_key(user: Any) -> str:
    """What decides the rows a dashboard shows this user: never shared across different scopes."""
    scopes = [str(scope_of(user, action)) for action in _ACTIONS]
    own = str(user.pk) if str(Scope.OWN) in scopes else ""
    return ":".join(
        [*scopes, str(getattr(user, "role", "")), str(region_path(user)), str(user.department_id), own]
    )


def cached(kind: str, user: Any, today: dt.date, extra: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``kind`` as ``user`` sees it on ``today`` (``extra``: what else chooses the
    rows, e.g. the department viewed), from the cache when the same figures were computed since the
    last write; with a timeout of 0 nothing is cached."""
    seconds = timeout()
    if seconds <= 0:
        return compute()
    key = f"ipplan:figures:{version()}:{kind}:{today.isoformat()}:{scope_key(user)}:{extra}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, timeout=seconds)
    return value


def _changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    figures_changed()


def connect() -> None:
    """Drop the figures whenever a model they are computed from is saved or deleted."""
    from departments.models import AssessmentWeights, Department, Region

    from .models import Assignment, Plan, ProgressReport, Task

    for model in (Task, Assignment, ProgressReport, Plan, Department, Region, AssessmentWeights):
        post_save.connect(_changed, sender=model, dispatch_uid=f"figures-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"figures-{model.__name__}-delete")
    # the registry's bulk writes (a merge moves users and sub-units) send no post_save
    bulk_changed.connect(_changed, dispatch_uid="figures-departments-bulk")
