"""Filters shared by the FilterSets of every app (the browser lists and the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet


class SinceFilter(django_filters.IsoDateTimeFilter):
    """``updated_since``-style filters: an ISO 8601 moment, compared in UTC.

    Any offset RFC 3339 allows is accepted (databases refuse some, e.g. +22:34, so the value is
    converted first); a moment beyond the calendar's ends matches as the end itself.
    """

    def filter(self, qs: QuerySet[Any], value: dt.datetime | None) -> QuerySet[Any]:
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC)
            except OverflowError:
                value = (dt.datetime.min if value.year < 1000 else dt.datetime.max).replace(tzinfo=dt.UTC)
        return super().filter(qs, value)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter would accept 0.5)."""

    field_class = forms.IntegerField
