"""Forms of the department registry pages; each feeds one service of ``departments/services.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import DepartmentKind
from .models import Department


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新名称"), max_length=100)


class MergeForm(forms.Form):
    """Choose the department that absorbs this one: an active one of the same region."""

    survivor = forms.ModelChoiceField(label=_("并入"), queryset=Department.objects.none())
    confirm = forms.BooleanField(
        label=_("我已确认:本单位的任务、人员、填报和别名将转入所选单位,本单位停用。")
    )

    def __init__(self, *args: Any, candidates: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = candidates  # type: ignore[attr-defined]


class KindForm(forms.Form):
    """What kind of unit a department is."""

    kind = forms.ChoiceField(
        choices=DepartmentKind.choices,
        error_messages={"required": _("请选择单位类别。"), "invalid_choice": _("请选择单位类别。")},
    )


class NotificationSettingsForm(forms.Form):
    """How reminders reach the user (checkboxes), and in which language (empty: the site's)."""

    email_notifications = forms.BooleanField(required=False)
    daily_digest = forms.BooleanField(required=False)
    language = forms.CharField(required=False)

    def clean_language(self) -> str | None:
        return self.cleaned_data["language"] or None
