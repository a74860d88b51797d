"""Saving with the actor recorded in the audit trail (django-simple-history).

Services pass the acting user explicitly; nothing reads it from a thread-local or the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.db import models

if TYPE_CHECKING:
    from departments.models import User

M = TypeVar("M", bound=models.Model)


def save_as(
    instance: M,
    *,
    actor: User | None,
    reason: str = "",
    update_fields: Iterable[str] | None = None,
    validate: bool = True,
) -> M:
    """Validate and save ``instance``, recording ``actor`` and ``reason`` in its history."""
    if validate:
        exclude = None
        if update_fields is not None:
            fields = set(update_fields)
            exclude = [f.name for f in instance._meta.concrete_fields if f.name not in fields]
        instance.full_clean(exclude=exclude)
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    if update_fields is not None:
        fields = set(update_fields)
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            fields.add("updated_at")
        instance.save(update_fields=sorted(fields))
    else:
        instance.save()
    return instance


def delete_as(instance: models.Model, *, actor: User | None, reason: str = "") -> None:
    """Delete ``instance``, recording ``actor`` in its history."""
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()
