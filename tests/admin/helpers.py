"""Building admin POST bodies the way a browser (or a forger) would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.forms.models import model_to_dict
from django.test import Client


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def inline_prefixes(client: Client, url: str) -> list[str]:
    """The prefixes of the inline formsets the admin page at ``url`` renders (none if refused)."""
    response = client.get(url)
    if response.status_code != 200 or response.context is None:
        return []
    return [inline.formset.prefix for inline in response.context.get("inline_admin_formsets", [])]


def post_data(
    client: Client, url: str, instance: models.Model | None = None, **values: Any
) -> dict[str, Any]:
    """A complete form body for the admin page at ``url``: the instance's fields (if any), empty
    inline management forms, then ``values`` on top."""
    data: dict[str, Any] = {}
    if instance is not None:
        for name, value in model_to_dict(instance).items():
            if value is None or value is False:
                continue
            data[name] = _value(value)
    for prefix in inline_prefixes(client, url):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update({k: _value(v) for k, v in values.items()})
    return {k: v for k, v in data.items() if v != ""}
