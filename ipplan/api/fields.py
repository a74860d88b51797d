"""Input fields that take JSON's types at their word.

DRF's fields coerce: ``"12"`` becomes 12, ``0`` becomes False, ``12`` becomes "12". That suits
form posts (where every value is a string) but lets a JSON body that contradicts the published
schema through. These fields refuse a JSON value of the wrong type (400, field named) and keep the
usual coercion for multipart and form bodies.
"""

from __future__ import annotations

import decimal
import math
from typing import Any

from django.core.validators import RegexValidator
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def _json_body(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    return not isinstance(getattr(field.root, "initial_data", None), QueryDict)


class _Typed:
    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if _json_body(self) and (  # type: ignore[arg-type]
            not isinstance(data, self.json_types) or (isinstance(data, bool) and bool not in self.json_types)
        ):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class SchemaPattern(RegexValidator):
    """A pattern for the OpenAPI schema only (drf-spectacular publishes a RegexValidator's pattern):
    it states a rule that DRF's own checks already enforce, so it does not run its regular
    expression again on every value (a backtracking one, on texts of any length)."""

    def __call__(self, value: Any) -> None:
        return None


#: what DRF's CharField accepts where blank is not allowed, said in the schema: no NUL character
#: (its validators refuse one in any text) and a character that is not white space once it has
#: stripped the text (Python's white space, which takes in the control separators U+001C-U+001F).
#: (A field that may be blank gets no pattern: drf-spectacular would publish it as a oneOf that the
#: empty text matches twice.)
NOT_BLANK = SchemaPattern(r"^[^\u0000]*[^\s\u0000][^\u0000]*$")


class CharField(_Typed, serializers.CharField):
    """A string. One that may not be blank carries in its schema the rules DRF applies beyond the
    length (``NOT_BLANK``): ``minLength: 1`` alone lets a client send a text of white space that
    the field strips to nothing, or a NUL, and refuses."""

    json_types = (str,)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.allow_blank and self.trim_whitespace:
            self.validators.append(NOT_BLANK)


class RegexField(_Typed, serializers.RegexField):
    json_types = (str,)


class IntegerField(_Typed, serializers.IntegerField):
    json_types = (int, float)  # 12.0 is an integer in JSON Schema; 12.5 fails as usual


class BooleanField(_Typed, serializers.BooleanField):
    json_types = (bool,)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": -9999999999999999, "maximum": 9999999999999999},
            {"type": "string", "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,4})?$", "example": "12.5"},
        ]
    }
)
class DecimalField(_Typed, serializers.DecimalField):
    """A JSON number, or the decimal as a string (exact, as the API writes decimals)."""

    json_types = (int, float, str)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, float) and math.isfinite(data) and self.decimal_places is not None:
            # a binary float is inexact anyway: keep the places the field stores, do not refuse it
            data = str(round(decimal.Decimal(repr(data)), self.decimal_places))
        return super().to_internal_value(data)
