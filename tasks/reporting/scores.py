"""The department assessment (考核) and the ranking the dashboard, the assessment page, its
export, the briefing and the API all show.

A department's figures are computed over **all** its assignments, whatever the viewer may see:
scope chooses which rows are listed, never what is in them. Three parts, each a rate 0–100:

* **on-time completion**: numerator, the tasks the department leads that fall due in the window
  (due date within start..end, not cancelled) and were completed on time (``lights.completed_on_time``);
  denominator, those tasks;
* **reporting compliance**: numerator, the periods owed for which the department filed at least
  one report (several reports for one task and period count once); denominator, the periods owed
  (``periods.periods_owed``) summed over the tasks it leads or is responsible for, not cancelled;
* **no overdue**: 100 minus the share of the department's open assigned tasks (any role, started
  by the end of the window) that were due before the end of the window.

A part whose denominator is 0 has **no data** (shown as —), never 100 %. The score is the mean of
the parts that have data, weighted by the department's region's ``AssessmentWeights`` (those of the
nearest region above when its own are not set); the weights of parts without data are left out.
A department with no part with data has no score. Groups (``kind = group``: 各镇街, 各成员单位 …)
are listed but never ranked; nor is a department without a score. Rank 1 is the highest score; ties
go to fewer overdue tasks, then to the name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from departments.choices import DepartmentKind
from departments.models import AssessmentWeights, Department, Region

from ..choices import CLOSED_STATUSES, AssignmentRole, ReportCadence, TaskStatus
from ..lights import completed_on_time, completed_on_time_q, is_overdue, overdue_q
from ..models import Assignment, ProgressReport, Task
from .people import city_of
from .periods import period_bounds, period_keys, periods_owed, task_started_on
from .reports import REPORTING_ROLES, report_missing_q, started_by_q


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in % to one decimal; None (no data) when ``whole`` is 0."""
    return round(100.0 * part / whole, 1) if whole else None


def weights_for(region: Region | None) -> AssessmentWeights:
    """The region's weights, else the nearest region above's, else the defaults (50/30/20)."""
    if region is not None:
        chain = region.ancestors_and_self().order_by("-path")
        found = AssessmentWeights.objects.filter(region__in=chain).order_by("-region__path").first()
        if found is not None:
            return found
    return AssessmentWeights()


def weights_by_region() -> dict[str, AssessmentWeights]:
    """Every region's own weights by region code, in one query (regions that set them are few)."""
    return {w.region.code: w for w in AssessmentWeights.objects.select_related("region")}


def weights_from(known: dict[str, AssessmentWeights], region: Region | None) -> AssessmentWeights:
    """``weights_for(region)`` from ``weights_by_region()``: the deepest region on its path that
    set weights, else the defaults; no query."""
    if region is not None:
        for code in reversed([code for code in region.path.strip("/").split("/") if code]):
            if code in known:
                return known[code]
    return AssessmentWeights()


def weighted_score(parts: list[tuple[int, float | None]]) -> float | None:
    """The mean of the rates that have data, weighted; None when none has data (or all weigh 0)."""
    present = [(weight, value) for weight, value in parts if value is not None]
    total = sum(weight for weight, _value in present)
    if not present or total == 0:
        return None
    return round(sum(weight * value for weight, value in present) / total, 1)


@dataclass
class Assessment:
    """One department's figures for a window, and (for the dashboard) as of today."""

    department: Department
    due: int = 0
    on_time: int = 0
    reports_owed: int = 0
    reports_filed: int = 0
    open_tasks: int = 0
    overdue: int = 0
    # as of today, for the dashboard
    led: int = 0
    shared: int = 0
    overdue_now: int = 0
    reports_missing: int = 0
    score: float | None = None
    rank: int | None = None
    city: str = ""
    weights: tuple[int, int, int] = (50, 30, 20)

    @property
    def is_group(self) -> bool:
        return self.department.kind == DepartmentKind.GROUP

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.due)

    @property
    def report_rate(self) -> float | None:
        return rate(self.reports_filed, self.reports_owed)

    @property
    def clean_rate(self) -> float | None:
        return None if not self.open_tasks else round(100.0 - 100.0 * self.overdue / self.open_tasks, 1)

    def compute_score(self) -> None:
        on_time, reports, overdue = self.weights
        self.score = weighted_score(
            [(on_time, self.on_time_rate), (reports, self.report_rate), (overdue, self.clean_rate)]
        )

    def as_dict(self) -> dict[str, Any]:
        """The row as plain data (API, snapshots)."""
        return {
            "id": self.department.pk,
            "name": self.department.name,
            "kind": self.department.kind,
            "city": self.city,
            "rank": self.rank,
            "score": self.score,
            "due": self.due,
            "on_time": self.on_time,
            "on_time_rate": self.on_time_rate,
            "reports_owed": self.reports_owed,
            "reports_filed": self.reports_filed,
            "report_rate": self.report_rate,
            "open_tasks": self.open_tasks,
            "overdue": self.overdue,
            "clean_rate": self.clean_rate,
            "weights": list(self.weights),
        }


#: The counts of an ``Assessment`` (everything else follows from them, the weights and the names).
COUNT_FIELDS = (
    "due",
    "on_time",
    "reports_owed",
    "reports_filed",
    "open_tasks",
    "overdue",
    "led",
    "shared",
    "overdue_now",
    "reports_missing",
)


@dataclass
class CityFigures:
    """The pooled figures of one city's ranked departments (numerators and denominators summed)."""

    region: Region | None
    name: str
    departments: int = 0
    totals: Assessment | None = None
    rank: int | None = None

    @property
    def score(self) -> float | None:
        return self.totals.score if self.totals else None


def _owes_q(key: str, prefix: str = "task__") -> Q:
    """The task (``prefix``) owes a report for period ``key`` (see ``periods.periods_owed``)."""
    first, last = period_bounds(key)
    p = prefix
    return started_by_q(last, p) & (
        ~Q(**{f"{p}status": TaskStatus.COMPLETED}) | Q(**{f"{p}completed_at__date__gte": first})
    )


def assess(
    departments: QuerySet[Department],
    start: dt.date,
    end: dt.date,
    *,
    weights: AssessmentWeights | None = None,
    today: dt.date | None = None,
) -> list[Assessment]:
    """Score every department of ``departments`` that has an assignment, for ``start``..``end``;
    ranked ones first (best first), then those without a score, then groups. A fixed number of
    grouped queries whatever the number of departments and tasks."""
    return rank_rows(assessment_counts(departments, start, end, today=today), weights)


def assessment_counts(
    departments: QuerySet[Department], start: dt.date, end: dt.date, *, today: dt.date | None = None
) -> dict[int, Assessment]:
    """The counts behind ``assess``, by department id, for every department of ``departments``
    that has an assignment: neither scored nor ranked (``rank_rows`` does that)."""
    today = today or timezone.localdate()
    assigned = Assignment.objects.filter(department__in=departments.values("pk"))
    rows: dict[int, Assessment] = {}

    def row(department_id: int) -> Assessment:
        return rows.setdefault(department_id, Assessment(department=Department(pk=department_id)))

    current = (
        assigned.exclude(task__status=TaskStatus.CANCELLED)
        .values("department")
        .annotate(
            led=Count("task", filter=Q(role=AssignmentRole.LEAD), distinct=True),
            shared=Count("task", filter=~Q(role=AssignmentRole.LEAD), distinct=True),
            overdue_now=Count("task", filter=overdue_q(today, "task__"), distinct=True),
            reports_missing=Count(
                "task",
                filter=Q(role__in=REPORTING_ROLES)
                & report_missing_q(today, task="task_id", department="department_id", prefix="task__"),
                distinct=True,
            ),
        )
    )
    for counted in current.order_by():
        entry = row(counted["department"])
        entry.led, entry.shared = counted["led"], counted["shared"]
        entry.overdue_now, entry.reports_missing = counted["overdue_now"], counted["reports_missing"]
    for department_id in assigned.values_list("department", flat=True).distinct().order_by():
        row(department_id)

    due = (
        assigned.filter(role=AssignmentRole.LEAD, task__due_date__gte=start, task__due_date__lte=end)
        .exclude(task__status=TaskStatus.CANCELLED)
        .values("department")
        .annotate(
            due=Count("task", distinct=True),
            on_time=Count("task", filter=completed_on_time_q("task__"), distinct=True),
        )
        .order_by()
    )
    for counted in due:
        entry = row(counted["department"])
        entry.due, entry.on_time = counted["due"], counted["on_time"]

    keys = {
        cadence: period_keys(start, end, cadence)
        for cadence in (ReportCadence.MONTHLY, ReportCadence.QUARTERLY)
    }
    reporting = assigned.filter(role__in=REPORTING_ROLES).exclude(task__status=TaskStatus.CANCELLED)
    owed_counts = {
        f"owed_{index}": Count(
            "task", filter=Q(task__plan__report_cadence=cadence) & _owes_q(key), distinct=True
        )
        for index, (cadence, key) in enumerate((c, k) for c, ks in keys.items() for k in ks)
    }
    if owed_counts:
        for owing in reporting.values("department").annotate(**owed_counts).order_by():
            row(owing["department"]).reports_owed = sum(owing[name] for name in owed_counts)
        owed_report = Q(pk__in=[])
        for cadence, cadence_keys in keys.items():
            for key in cadence_keys:
                owed_report |= Q(task__plan__report_cadence=cadence, period=key) & _owes_q(key)
        holds_role = Assignment.objects.filter(
            task_id=OuterRef("task_id"), department_id=OuterRef("department_id"), role__in=REPORTING_ROLES
        )
        filed = (
            ProgressReport.objects.filter(department__in=departments.values("pk"))
            .exclude(task__status=TaskStatus.CANCELLED)
            .filter(Exists(holds_role))
            .filter(owed_report)
            .values("department")
            .annotate(n=Count(Concat(Cast("task_id", CharField()), Value(":"), "period"), distinct=True))
            .order_by()
        )
        for report in filed:
            row(report["department"]).reports_filed = report["n"]

    still_open = (
        assigned.exclude(task__status__in=CLOSED_STATUSES)
        .filter(started_by_q(end, "task__"))
        .values("department")
        .annotate(
            open_tasks=Count("task", distinct=True),
            overdue=Count("task", filter=Q(task__due_date__lt=end), distinct=True),
        )
        .order_by()
    )
    for counted in still_open:
        entry = row(counted["department"])
        entry.open_tasks, entry.overdue = counted["open_tasks"], counted["overdue"]
    return rows


def rank_rows(rows: dict[int, Assessment], weights: AssessmentWeights | None = None) -> list[Assessment]:
    """Counts by department id (``assessment_counts``) scored with ``weights`` (else each
    department's region's) and ranked as ``assess`` ranks them."""
    return _rank(_finish(rows, weights))


def _finish(rows: dict[int, Assessment], weights: AssessmentWeights | None) -> list[Assessment]:
    """Attach the departments, their cities and weights, and compute the scores."""
    departments = Department.objects.in_bulk(list(rows))
    # the regions are few (a province has ~20): read once, shared by their departments
    regions = Region.objects.in_bulk({d.region_id for d in departments.values()})
    cities = _city_names(list(regions.values()))
    known = weights_by_region() if weights is None else {}
    by_region: dict[int | None, tuple[str, tuple[int, int, int]]] = {}
    for region_id, region in [*regions.items(), (None, None)]:
        chosen = weights or weights_from(known, region)
        by_region[region_id] = (
            cities.get(city_of(region), ""),
            (chosen.on_time, chosen.reports, chosen.overdue),
        )
    result = []
    for department_id, entry in rows.items():
        department = departments[department_id]
        department.region = regions.get(department.region_id)  # type: ignore[assignment]
        entry.department = department
        entry.city, entry.weights = by_region[
            department.region_id if department.region_id in regions else None
        ]
        entry.compute_score()
        result.append(entry)
    return result


def _city_names(regions: list[Region]) -> dict[str, str]:
    codes = {city_of(region) for region in regions} - {""}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def _rank(rows: list[Assessment]) -> list[Assessment]:
    ranked = sorted(
        (r for r in rows if r.score is not None and not r.is_group),
        key=lambda r: (-(r.score or 0.0), r.overdue, r.department.name, r.department.pk),
    )
    for rank, entry in enumerate(ranked, start=1):
        entry.rank = rank
    unscored = sorted(
        (r for r in rows if r.score is None and not r.is_group), key=lambda r: r.department.name
    )
    groups = sorted((r for r in rows if r.is_group), key=lambda r: r.department.name)
    for entry in (*unscored, *groups):
        entry.rank = None
    return [*ranked, *unscored, *groups]


def city_ranking(rows: list[Assessment]) -> list[CityFigures]:
    """Compare cities: per city, the numerators and denominators of its ranked departments summed,
    scored with the city's weights; ranked like departments. Departments at province level
    (no city) form one row without a name."""
    by_city: dict[str, CityFigures] = {}
    codes = {city_of(r.department.region) for r in rows}
    cities = {region.code: region for region in Region.objects.filter(code__in=codes - {""})}
    for entry in rows:
        if entry.rank is None:
            continue
        code = city_of(entry.department.region)
        if code not in by_city:
            name = cities[code].name if code in cities else ""
            by_city[code] = CityFigures(
                region=cities.get(code), name=name, totals=Assessment(department=Department(name=name))
            )
        figures = by_city[code]
        figures.departments += 1
        totals = figures.totals
        assert totals is not None
        for name in ("due", "on_time", "reports_owed", "reports_filed", "open_tasks", "overdue"):
            setattr(totals, name, getattr(totals, name) + getattr(entry, name))
    known = weights_by_region()
    for figures in by_city.values():
        chosen = weights_from(known, figures.region)
        assert figures.totals is not None
        figures.totals.weights = (chosen.on_time, chosen.reports, chosen.overdue)
        figures.totals.compute_score()
    ranked = sorted(
        (f for f in by_city.values() if f.score is not None), key=lambda f: (-(f.score or 0.0), f.name)
    )
    for rank, figures in enumerate(ranked, start=1):
        figures.rank = rank
    return [*ranked, *(f for f in by_city.values() if f.score is None)]


# --- the Python form: one department, task by task ---------------------------------------------


@dataclass
class Explanation:
    """What entered one department's score: the tasks and periods behind each part."""

    department: Department
    start: dt.date
    end: dt.date
    due: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        return {
            "due": len(self.due),
            "on_time": sum(1 for item in self.due if item["on_time"]),
            "reports_owed": sum(len(item["owed"]) for item in self.reports),
            "reports_filed": sum(len(item["filed"]) for item in self.reports),
            "open_tasks": len(self.open_tasks),
            "overdue": sum(1 for item in self.open_tasks if item["overdue"]),
        }


def explain(department: Department, start: dt.date, end: dt.date) -> Explanation:
    """The Python form of ``assess`` for one department, listing every task and period that
    entered each part (the "how was this computed" page). Its totals equal ``assess``'s row."""
    explanation = Explanation(department=department, start=start, end=end)
    roles: dict[int, set[str]] = {}
    for task_id, role in Assignment.objects.filter(department=department).values_list("task_id", "role"):
        roles.setdefault(task_id, set()).add(role)
    tasks = Task.objects.filter(pk__in=list(roles)).select_related("plan").order_by("plan_id", "order", "id")
    filed: dict[int, set[str]] = {}
    for task_id, period in ProgressReport.objects.filter(
        department=department, task_id__in=list(roles)
    ).values_list("task_id", "period"):
        filed.setdefault(task_id, set()).add(period)
    for task in tasks:
        if task.status == TaskStatus.CANCELLED:
            continue
        task_roles = roles[task.pk]
        started_on = task_started_on(start_date=task.start_date, created_at=task.created_at)
        if AssignmentRole.LEAD in task_roles and task.due_date is not None and start <= task.due_date <= end:
            explanation.due.append(
                {
                    "task": task,
                    "due_date": task.due_date,
                    "completed_at": task.completed_at,
                    "on_time": completed_on_time(
                        status=task.status, completed_at=task.completed_at, due_date=task.due_date
                    ),
                }
            )
        if task_roles & set(REPORTING_ROLES):
            closed_on = None
            if task.status == TaskStatus.COMPLETED:
                closed_on = timezone.localdate(task.completed_at) if task.completed_at else dt.date.min
            owed = periods_owed(
                cadence=task.plan.report_cadence,
                started_on=started_on,
                closed_on=closed_on,
                start=start,
                end=end,
            )
            if owed:
                explanation.reports.append(
                    {
                        "task": task,
                        "owed": owed,
                        "filed": [key for key in owed if key in filed.get(task.pk, set())],
                        "missing": [key for key in owed if key not in filed.get(task.pk, set())],
                    }
                )
        if task.status not in CLOSED_STATUSES and started_on <= end:
            explanation.open_tasks.append(
                {
                    "task": task,
                    "due_date": task.due_date,
                    "overdue": is_overdue(status=task.status, due_date=task.due_date, today=end),
                }
            )
    return explanation
