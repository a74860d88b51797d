"""Forms of the notification pages."""

from __future__ import annotations

from typing import Any

from django import forms


class IdListField(forms.Field):
    """The ids posted under one name; anything that is not a number is passed over."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int] | None:
        ids = [int(item) for item in value or [] if str(item).isdigit()]
        return ids or None  # none named: all of them


class MarkReadForm(forms.Form):
    id = IdListField()
