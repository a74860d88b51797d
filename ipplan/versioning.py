"""Versioned models: optimistic locking in one place.

A versioned model carries a ``version`` counter (Task, Plan, Section, webhook Subscription) or,
failing that, its ``updated_at`` stands for one. The REST API's ETag is built from it
(``ipplan.api.etag``) and a browser form posts it back in a hidden field. A service that changes
such an object:

1. re-reads it under a row lock and refuses a stale version: ``lock_and_check``;
2. changes it, and bumps the version as it saves: ``save_versioned``.

So two writers that read the same version cannot both succeed, and every change moves the ETag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from .audit import save_as
from .exceptions import ConflictError
from .people import Person

M = TypeVar("M", bound=models.Model)


def version_of(obj: models.Model) -> int:
    """The object's version: its ``version`` field, else its last change time in microseconds."""
    version = getattr(obj, "version", None)
    if version is not None:
        return int(version)
    updated = getattr(obj, "updated_at", None) or getattr(obj, "created_at", None)
    return int(updated.timestamp() * 1_000_000) if updated else 0


def _default_current(obj: models.Model) -> dict[str, Any]:
    return {"version": version_of(obj)}


def lock_and_check(
    model_or_obj: type[M] | M,
    pk: Any = None,
    expected_version: int | None = None,
    *,
    select_related: Sequence[str] = (),
    current: Callable[[M], dict[str, Any]] | None = None,
) -> M:
    """The object re-read under a row lock; ``ConflictError`` if its version is not the expected one.

    ``model_or_obj`` is a model class (then ``pk`` names the row) or an instance (its own pk is
    used). ``expected_version`` None skips the check (the caller holds no version, e.g. a job).
    The conflict carries ``current(obj)`` (default: the version) so the caller can show the stored
    values instead of overwriting them. A row deleted meanwhile answers 404.
    """
    if isinstance(model_or_obj, models.Model):
        model = cast(type[M], type(model_or_obj))
        pk = model_or_obj.pk if pk is None else pk
    else:
        model = model_or_obj
    # of=("self",): lock this row only, not the rows select_related joins (PostgreSQL would lock them all)
    queryset = model._default_manager.select_for_update(of=("self",))
    if select_related:
        queryset = queryset.select_related(*select_related)
    try:
        locked = cast(M, queryset.get(pk=pk))
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404(f"{model._meta.label_lower} {pk} was deleted") from None
    stored = version_of(locked)
    if expected_version is not None and stored != expected_version:
        raise ConflictError(
            _(
                "该%(object)s已被他人修改(当前版本 %(current)s,您提交的是版本 %(expected)s),请查看最新内容后重试。"
            )
            % {"object": model._meta.verbose_name, "current": stored, "expected": expected_version},
            current=(current or _default_current)(locked),
        )
    return locked


def bump(obj: models.Model) -> list[str]:
    """Move the object's version on (in memory); returns the fields to save with it."""
    if not hasattr(obj, "version"):
        return []  # versioned by updated_at, which every save_as moves
    obj.version = int(obj.version) + 1  # type: ignore[attr-defined]
    return ["version"]


def save_versioned(obj: M, *, actor: Person | None, reason: str, update_fields: Iterable[str]) -> M:
    """Bump the version and save ``update_fields`` with the actor in the audit trail."""
    fields = [*update_fields, *bump(obj)]
    return save_as(obj, actor=actor, reason=reason, update_fields=fields)
