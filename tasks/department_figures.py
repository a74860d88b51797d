"""The dashboard ranking's department counts, stored per department and kept current.

The ranking's counts (``tasks.reporting.scores.assessment_counts``, 1 January to today) read every
assignment and report of the departments ranked: 1–2 s at province scale. They change only when
a task, assignment, report or plan of that department changes, or when the day turns. So each
department's counts are kept in a ``DepartmentFigures`` row:

* a dashboard reads the rows of the departments it ranks; those that are stale, of another day or
  missing are computed (the same grouped queries, over those departments only) and stored;
* every committed write marks the rows of the departments it touches stale (``mark_changed``,
  called from the save/delete signals of ``tasks.figures_cache``; bulk writes call
  ``figures_changed()``, which marks every row).

A row stored from a computation that started before a write committed must not survive that
write. The writer marks after its commit; the reader reads a row's ``generation`` before it
counts and stores only where the generation is still the one it read. Either the mark comes
after the store (the row is stale again) or before it (the store changes nothing), so a stored,
non-stale row of today always holds what ``assessment_counts`` gives now.

``IPPLAN_STORED_DEPARTMENT_FIGURES = False`` computes the counts afresh on every request (the test
settings do: a test's writes never commit). ``manage.py rebuild_department_figures`` computes
every row for today (e.g. just after midnight, so that the first dashboard of the day is quick).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from departments.models import Department

from .models import Assignment, DepartmentFigures
from .reporting.scores import COUNT_FIELDS, Assessment, assessment_counts

BATCH = 500


def enabled() -> bool:
    return bool(getattr(settings, "IPPLAN_STORED_DEPARTMENT_FIGURES", True))


def stored_counts(departments: QuerySet[Department], today: dt.date) -> dict[int, Assessment]:
    """``assessment_counts(departments, 1 January, today, today=today)``, from the stored rows;
    the rows that are stale, of another day or missing are computed and stored first. A fixed
    number of queries whatever the number of departments and tasks."""
    fields = ["department_id", "day", "stale", "generation", "assigned", *COUNT_FIELDS]
    stored = DepartmentFigures.objects.filter(department__in=departments.values("pk")).order_by()
    rows = {row["department_id"]: row for row in stored.values(*fields)}
    has_assignment = Exists(Assignment.objects.filter(department=OuterRef("pk")))
    has_row = Exists(DepartmentFigures.objects.filter(department=OuterRef("pk")))
    new = list(departments.filter(has_assignment).exclude(has_row).values_list("pk", flat=True))
    if new:
        # placeholders first, so that a write committed while we count marks them stale
        DepartmentFigures.objects.bulk_create(
            [DepartmentFigures(department_id=pk) for pk in new], ignore_conflicts=True
        )
        rows.update({pk: {"department_id": pk, "generation": 0, "stale": True} for pk in new})
    outdated = [row for row in rows.values() if row["stale"] or row["day"] != today]
    if outdated:
        computed = assessment_counts(
            Department.objects.filter(pk__in=[row["department_id"] for row in outdated]),
            dt.date(today.year, 1, 1),
            today,
            today=today,
        )
        for row in outdated:
            entry = computed.get(row["department_id"])
            row["assigned"] = entry is not None
            row.update({name: getattr(entry, name) if entry is not None else 0 for name in COUNT_FIELDS})
        _store(outdated, today)
    unnamed = Department()  # ``rank_rows`` puts each row's department in its place
    return {
        pk: Assessment(department=unnamed, **{name: row[name] for name in COUNT_FIELDS})
        for pk, row in rows.items()
        if row["assigned"]
    }


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _store(rows: list[dict[str, Any]], today: dt.date) -> None:
    """Store the counts of ``rows`` where no write has marked them since their generation was read
    (one UPDATE … FROM VALUES per batch). A failure to store (a lock conflict) only leaves the rows
    stale: they are counted again next time."""
    quote = connection.ops.quote_name
    table = quote(DepartmentFigures._meta.db_table)
    # VALUES columns are column1, column2, … on PostgreSQL and SQLite alike
    assigned = [f"{quote(name)} = v.column{3 + i}" for i, name in enumerate(COUNT_FIELDS, start=1)]
    for batch in _batches(rows):
        values = ", ".join(["(" + ", ".join(["%s"] * (3 + len(COUNT_FIELDS))) + ")"] * len(batch))
        sql = (
            f"UPDATE {table} SET {quote('day')} = %s, {quote('stale')} = FALSE, "
            f"{quote('assigned')} = (v.column3 = 1), {', '.join(assigned)} "
            f"FROM (VALUES {values}) AS v "
            f"WHERE {table}.{quote('department_id')} = v.column1 AND {table}.{quote('generation')} = v.column2"
        )
        params: list[Any] = [today]
        for row in batch:
            params += [row["department_id"], row["generation"], int(row["assigned"])]
            params += [row[name] for name in COUNT_FIELDS]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
        except DatabaseError:
            continue


def _mark(condition: Q) -> None:
    DepartmentFigures.objects.filter(condition).update(stale=True, generation=F("generation") + 1)


def mark_changed(condition: Q | None = None) -> None:
    """After the transaction commits (at once outside one), mark stale the rows of the departments
    ``condition`` selects (a filter on ``DepartmentFigures``; ``None``: every row)."""
    transaction.on_commit(lambda: _mark(condition if condition is not None else Q()))


def changed_departments(model_name: str, instance: object) -> Q | None:
    """The departments whose counts a save or delete of ``instance`` can change, as a filter on
    ``DepartmentFigures`` (subqueries run with the mark, after the commit); ``None`` for models
    the counts do not read (names, regions and weights are read with every ranking)."""
    pk: int = getattr(instance, "pk", None) or 0
    if model_name in ("Assignment", "ProgressReport"):
        return Q(department_id=getattr(instance, "department_id", None))
    if model_name == "Task":
        return Q(department_id__in=Assignment.objects.filter(task_id=pk).values("department_id"))
    if model_name == "Plan":  # the report cadence
        return Q(department_id__in=Assignment.objects.filter(task__plan_id=pk).values("department_id"))
    return None


def rebuild(today: dt.date) -> int:
    """Mark every row stale and compute every department's counts for ``today``; returns the
    number of departments with an assignment."""
    _mark(Q())
    return len(stored_counts(Department.objects.all(), today))
