"""Department assessment (考核) for a period.

Three parts, each 0–100, weighted by the region's ``AssessmentWeights``:

* on-time completion: of the tasks a department leads that fall due in the period, the share
  completed by their due date;
* reporting: of the reports owed (one per assigned, not cancelled task and reporting period of
  its plan's cadence within the period), the share filed;
* no overdue: 100 minus the share of the department's open assigned tasks overdue at the end.

Each part is a grouped query; the ranking puts the highest score first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from departments.models import AssessmentWeights, Department, Region

from .choices import CLOSED_STATUSES, AssignmentRole, ReportCadence, TaskStatus
from .models import Assignment, ProgressReport, Task


def period_keys(start: dt.date, end: dt.date, cadence: str) -> list[str]:
    """The reporting period keys (``2026-11`` or ``2026-Q4``) that fall in ``start``..``end``."""
    keys: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        key = f"{year}-{month:02d}" if cadence == ReportCadence.MONTHLY else f"{year}-Q{(month - 1) // 3 + 1}"
        if cadence != ReportCadence.NONE and key not in keys:
            keys.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def weights_for(region: Region | None) -> AssessmentWeights:
    """The region's weights, else the nearest region above's, else the defaults (50/30/20)."""
    if region is not None:
        chain = region.ancestors_and_self().order_by("-path")
        found = AssessmentWeights.objects.filter(region__in=chain).order_by("-region__path").first()
        if found is not None:
            return found
    return AssessmentWeights()


@dataclass
class Assessment:
    department: Department
    due: int = 0
    on_time: int = 0
    reports_owed: int = 0
    reports_filed: int = 0
    open_tasks: int = 0
    overdue: int = 0
    score: float = 0.0
    rank: int = 0

    @property
    def on_time_rate(self) -> float:
        return round(100.0 * self.on_time / self.due, 1) if self.due else 100.0

    @property
    def report_rate(self) -> float:
        return round(100.0 * self.reports_filed / self.reports_owed, 1) if self.reports_owed else 100.0

    @property
    def clean_rate(self) -> float:
        return round(100.0 - 100.0 * self.overdue / self.open_tasks, 1) if self.open_tasks else 100.0


def assess(
    tasks: QuerySet[Task], start: dt.date, end: dt.date, weights: AssessmentWeights
) -> list[Assessment]:
    """Score every department assigned to ``tasks`` for ``start``..``end``; best first."""
    assignments = Assignment.objects.filter(task__in=tasks.values("pk"))
    rows: dict[int, Assessment] = {}

    def row(department_id: int) -> Assessment:
        return rows.setdefault(department_id, Assessment(department=Department(pk=department_id)))

    due = (
        assignments.filter(role=AssignmentRole.LEAD, task__due_date__gte=start, task__due_date__lte=end)
        .exclude(task__status=TaskStatus.CANCELLED)
        .values("department")
        .annotate(
            due=Count("task", distinct=True),
            on_time=Count(
                "task",
                filter=Q(
                    task__status=TaskStatus.COMPLETED, task__completed_at__date__lte=F("task__due_date")
                ),
                distinct=True,
            ),
        )
        .order_by()
    )
    for counted in due:
        row(counted["department"]).due, row(counted["department"]).on_time = (
            counted["due"],
            counted["on_time"],
        )

    keys = {cadence: period_keys(start, end, cadence) for cadence in ReportCadence.values}
    owed = (
        assignments.exclude(task__status=TaskStatus.CANCELLED)
        .values("department", "task__plan__report_cadence")
        .annotate(n=Count("task", distinct=True))
        .order_by()
    )
    for owing in owed:
        row(owing["department"]).reports_owed += owing["n"] * len(keys[owing["task__plan__report_cadence"]])
    all_keys = sorted({key for values in keys.values() for key in values})
    # several reports for one task and period count once: distinct "task:period" per department
    filed = (
        ProgressReport.objects.filter(task__in=tasks.values("pk"), period__in=all_keys)
        .values("department")
        .annotate(n=Count(Concat(Cast("task_id", CharField()), Value(":"), "period"), distinct=True))
        .order_by()
    )
    for report in filed:
        entry = row(report["department"])
        entry.reports_filed = min(report["n"], entry.reports_owed)

    open_rows = (
        assignments.exclude(task__status__in=CLOSED_STATUSES)
        .values("department")
        .annotate(
            open_tasks=Count("task", distinct=True),
            overdue=Count("task", filter=Q(task__due_date__lt=end), distinct=True),
        )
        .order_by()
    )
    for still_open in open_rows:
        entry = row(still_open["department"])
        entry.open_tasks, entry.overdue = still_open["open_tasks"], still_open["overdue"]

    names = Department.objects.in_bulk(list(rows))
    total_weight = (weights.on_time + weights.reports + weights.overdue) or 1
    result: list[Assessment] = []
    for department_id, assessed in rows.items():
        assessed.department = names[department_id]
        assessed.score = round(
            (
                weights.on_time * assessed.on_time_rate
                + weights.reports * assessed.report_rate
                + weights.overdue * assessed.clean_rate
            )
            / total_weight,
            1,
        )
        result.append(assessed)
    result.sort(key=lambda a: (-a.score, a.overdue, a.department.name))
    for rank, assessed in enumerate(result, start=1):
        assessed.rank = rank
    return result
