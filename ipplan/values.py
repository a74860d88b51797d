"""A row's field values as stored, for audit details and version conflicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models


def field_values(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """``{name: value}`` of the fields ``names`` of ``obj`` as stored: a foreign key as its id."""
    fields = {field.name: field for field in obj._meta.concrete_fields}
    return {name: fields[name].value_from_object(obj) for name in names}
