"""Saving with the actor recorded in the audit trail (django-simple-history).

Services pass the acting user explicitly; nothing reads it from a thread-local or the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .models import Tombstone
from .people import Person
from .permissions import PATHS

M = TypeVar("M", bound=models.Model)


def save_as(
    instance: M,
    *,
    actor: Person | None,
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


def bulk_save_as(rows: list[Any], fields: list[str], *, actor: Person | None, reason: str) -> None:
    """Save ``fields`` of many rows at once, with a history record each (actor and reason) for
    models that keep history, and ``updated_at`` moved on so API sync clients see the change.
    (Bulk writes send no signals: the caller tells whoever caches figures.)"""
    if not rows:
        return
    model = type(rows[0])
    fields = list(fields)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        now = timezone.now()
        for row in rows:
            row.updated_at = now
        fields.append("updated_at")
    if hasattr(model, "history"):
        bulk_update_with_history(
            rows, model, fields, batch_size=500, default_user=actor, default_change_reason=reason
        )
    else:
        model._default_manager.bulk_update(rows, fields, batch_size=500)


def delete_as(instance: models.Model, *, actor: Person | None, reason: str = "") -> None:
    """Delete ``instance``, recording ``actor`` in its history and a tombstone for every object
    the API publishes that goes with it (cascades included), so that sync clients drop them too."""
    with transaction.atomic(using=router.db_for_write(type(instance))):
        tombstones_record(instance)
        instance._history_user = actor  # type: ignore[attr-defined]
        if reason:
            instance._change_reason = reason  # type: ignore[attr-defined]
        instance.delete()


#: Models whose deletion API sync clients must learn about (labels; each app registers its own
#: in ``ready()``). A tombstone carries the region path the permission policy reaches it by.
SYNCED_MODELS: set[str] = set()


def register_synced(*labels: str) -> None:
    """Record tombstones when objects of these models are deleted (``/api/v1/deleted/``)."""
    SYNCED_MODELS.update(label.lower() for label in labels)


def tombstones_record(instance: models.Model) -> int:
    """Write a tombstone for ``instance`` and each synced object its deletion cascades to."""
    collector = Collector(using=router.db_for_write(type(instance)))
    collector.collect([instance])
    now = timezone.now()
    rows: list[Tombstone] = []
    # Objects with delete signals are collected one by one; the rest are deleted by queryset.
    batches: list[tuple[type[models.Model], list[Any]]] = [
        (model, [obj.pk for obj in objects]) for model, objects in collector.data.items()
    ]
    batches += [(qs.model, list(qs.values_list("pk", flat=True))) for qs in collector.fast_deletes]
    for model, ids in batches:
        label = model._meta.label_lower
        lookup = PATHS[label].region if label in SYNCED_MODELS else None
        if lookup is None or not ids:
            continue
        paths = dict(model._default_manager.filter(pk__in=ids).values_list("pk", lookup))
        rows.extend(
            Tombstone(model=label, object_id=pk, region_path=paths.get(pk) or "", deleted_at=now)
            for pk in ids
        )
    Tombstone.objects.bulk_create(rows, batch_size=500)
    return len(rows)
