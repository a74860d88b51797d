"""Who reports, and when a progress report is missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db.models import Exists, OuterRef, Q

from ..choices import CLOSED_STATUSES, AssignmentRole, ReportCadence
from ..models import ProgressReport
from .periods import period_bounds, period_for

#: The roles that owe progress reports: lead (牵头) and responsible (责任) units. Cooperating
#: units (配合) may report but are never counted as missing.
REPORTING_ROLES = (AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE)


def is_report_missing(
    *,
    status: str,
    cadence: str,
    started_on: dt.date,
    roles: Collection[str],
    periods_filed: Collection[str],
    today: dt.date,
) -> bool:
    """**Report missing** for one department and task on ``today``: the task is open, the
    department holds a reporting role on it (``REPORTING_ROLES``), the plan has a cadence, the task
    had started by the end of the current period of that cadence, and the department has filed no
    report (in any review state) for that period."""
    period = period_for(cadence, today)
    if status in CLOSED_STATUSES or not period or not set(roles) & set(REPORTING_ROLES):
        return False
    return started_on <= period_bounds(period)[1] and period not in periods_filed


def started_by_q(day: dt.date, prefix: str = "") -> Q:
    """The task (``prefix`` + fields) had started by ``day`` (see ``periods.task_started_on``)."""
    p = prefix
    return Q(**{f"{p}start_date__lte": day}) | Q(
        **{f"{p}start_date__isnull": True, f"{p}created_at__date__lte": day}
    )


def report_missing_q(today: dt.date, *, task: str, department: str | int, prefix: str = "") -> Q:
    """``is_report_missing`` as a filter. ``task`` and ``department`` name the outer row's task
    and department id fields (or ``department`` is one department's id), ``prefix`` leads to the task's fields (``"task__"`` from an
    assignment, ``""`` from a task); the caller adds the role condition of the row it counts."""
    p = prefix
    by: Any = OuterRef(department) if isinstance(department, str) else department
    filed = ProgressReport.objects.filter(task_id=OuterRef(task), department_id=by)
    current = Q()
    for cadence in (ReportCadence.MONTHLY, ReportCadence.QUARTERLY):
        period = period_for(cadence, today)
        current |= Q(**{f"{p}plan__report_cadence": cadence}) & started_by_q(period_bounds(period)[1], p)
    owed_now = ~Q(**{f"{p}status__in": CLOSED_STATUSES}) & current
    return owed_now & Q(~Exists(filed.filter(_current_period_q(today))))


def _current_period_q(today: dt.date) -> Q:
    return Q(
        task__plan__report_cadence=ReportCadence.MONTHLY, period=period_for(ReportCadence.MONTHLY, today)
    ) | Q(
        task__plan__report_cadence=ReportCadence.QUARTERLY, period=period_for(ReportCadence.QUARTERLY, today)
    )
