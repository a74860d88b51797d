"""Form fields the HTML actions share: what the pages posted before forms existed, read the same
way (text as typed, ISO dates, a yes/no flag, several files at once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

#: PostgreSQL cannot store a NUL character: refused as a form error before any service runs.
NUL_MESSAGE = _("输入内容不能包含空字符(NUL)。")


class TextField(forms.CharField):
    """Free text kept as typed (not stripped), optional unless said otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        kwargs.setdefault("error_messages", {"null_characters_not_allowed": NUL_MESSAGE})
        super().__init__(**kwargs)


class WholeNumberField(forms.IntegerField):
    """An integer; one message for a missing and a malformed value (``message``: the page's own)."""

    def __init__(self, *, message: Any = None, **kwargs: Any) -> None:
        message = message or _("请输入整数。")
        kwargs.setdefault("error_messages", {"required": message, "invalid": message})
        super().__init__(**kwargs)


class ISODateField(forms.Field):
    """A date as the browser's date input sends it (YYYY-MM-DD)."""

    default_error_messages = {"required": _("请选择日期。"), "invalid": _("日期格式不正确。")}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class FlagField(forms.Field):
    """True when the button posted "1" (approve / accept), False for anything else."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> bool:
        return value == "1"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FileListField(forms.Field):
    """Every file posted under the name; the service checks their content, size and number."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[Any]:
        if not value:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]


class VersionField(forms.Field):
    """The version a page was rendered with; missing or malformed is None (the service decides)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        return int(value) if isinstance(value, str) and value.isdigit() else None
