"""Department assessment (考核): the measures are defined in ``tasks.reporting.scores`` (one
definition for the assessment page, its export, the dashboard, the briefing and the API); this
module is the name the views and older callers use for them."""

from __future__ import annotations

from .reporting.periods import period_keys
from .reporting.scores import Assessment, CityFigures, Explanation, assess, city_ranking, explain, weights_for

__all__ = [
    "Assessment",
    "CityFigures",
    "Explanation",
    "assess",
    "city_ranking",
    "explain",
    "period_keys",
    "weights_for",
]
