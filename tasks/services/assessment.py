"""Publishing an assessment: the ranking as computed now, kept as a snapshot."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, User
from ipplan.permissions import Action, require

from ..models import AssessmentSnapshot
from ..reporting.scores import assess, city_ranking, weights_for


@transaction.atomic
def assessment_publish(*, actor: User, start: dt.date, end: dt.date, title: str = "") -> AssessmentSnapshot:
    """Store the ranking of the actor's region (and the regions under it) for ``start``..``end``
    with the weights in force, as computed now. Only the bureau of the region publishes."""
    region = actor.region
    if region is None:
        raise ValidationError(_("只有所属行政区划的知识产权局可以发布考核结果。"))
    require(actor, Action.SET_ASSESSMENT_WEIGHTS, region)
    if start > end:
        raise ValidationError({"start": _("起始日期不能晚于截止日期。")})
    departments = Department.objects.filter(region__path__startswith=region.path)
    rows = assess(departments, start, end)
    weights = weights_for(region)
    cities = city_ranking(rows) if len({row.city for row in rows}) > 1 else []
    return AssessmentSnapshot.objects.create(
        region=region,
        title=title.strip()[:200],
        start=start,
        end=end,
        published_by=actor,
        weights={"on_time": weights.on_time, "reports": weights.reports, "overdue": weights.overdue},
        rows=[row.as_dict() for row in rows],
        cities=[
            {
                "rank": city.rank,
                "name": city.name,
                "departments": city.departments,
                "score": city.score,
                **(
                    {
                        "on_time_rate": city.totals.on_time_rate,
                        "report_rate": city.totals.report_rate,
                        "clean_rate": city.totals.clean_rate,
                    }
                    if city.totals
                    else {}
                ),
            }
            for city in cities
        ],
    )
