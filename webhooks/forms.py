"""Forms of the webhook pages (they only collect input: the services validate and write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import Region
from ipplan.formfields import VersionField

from .events import subscribable_choices


class SubscriptionForm(forms.Form):
    """A subscription's endpoint, events and region; ``version`` guards against stale edits."""

    url = forms.CharField(
        label=_("推送地址"),
        max_length=500,
        help_text=_("接收方的 http:// 或 https:// 地址,须能接收 POST 请求并返回 2xx 状态码。"),
        widget=forms.URLInput(attrs={"placeholder": "https://example.gov.cn/ipplan/webhook"}),
    )
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=subscribable_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    region = forms.ModelChoiceField(
        label=_("行政区划"),
        queryset=Region.objects.none(),
        help_text=_("推送该区划及其下级区划的事件。"),
    )
    is_active = forms.BooleanField(
        label=_("启用"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            if name not in ("events", "is_active", "version"):
                field.widget.attrs.setdefault("class", "form-control" if name != "region" else "form-select")


class VersionForm(forms.Form):
    """The buttons of a subscription's page (rotate the secret, enable, delete) post its version."""

    version = VersionField()
