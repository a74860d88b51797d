"""The ledger's rows are streamed: value tuples in chunks, a fixed number of queries per chunk,
never the plan's document text; the rows are what the ledger has always shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import exports
from tasks.exports import ledger_rows
from tasks.models import PlanDocument, Task
from tasks.services import progress_report_submit, task_create

from ..conftest import World


def _tasks(world: World, start: int, count: int) -> None:
    for n in range(start, start + count):
        task_create(
            actor=None,
            plan=world.plan,
            path=f"九.{n + 1}",
            number=n + 1,
            order=100 + n,
            title=f"台账任务{n}",
            due_date=dt.date(2030, 1, 1),
            lead=[world.lead_dept],
            responsible=[world.other_dept],
        )


def _rows() -> tuple[list[list[Any]], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        rows = list(ledger_rows(Task.objects.filter(plan__region__code="441900")))
    return rows, [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_ledger_rows_show_departments_report_and_light(world: World) -> None:
    PlanDocument.objects.update_or_create(plan=world.plan, defaults={"text": "正文" * 50_000})
    progress_report_submit(
        actor=world.users["staff"], task=world.task, text="第一次", percent=10, period="2026-10"
    )
    progress_report_submit(
        actor=world.users["staff"], task=world.task, text="最新进展", percent=20, period="2026-11"
    )
    rows, sqls = _rows()
    first = next(row for row in rows if row[2] == world.task.path)
    assert first[1] == world.plan.title
    assert (first[4], first[5], first[6]) == ("市科技局", "市财政局", "")
    assert first[10] == "[2026-11] 最新进展"
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    assert not any("source_text" in sql for sql in sqls)  # the document text is never read


@pytest.mark.django_db
def test_ledger_queries_grow_by_chunk_not_by_task(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CHUNK", 15)
    _tasks(world, 0, 5)
    small, small_sqls = _rows()
    _tasks(world, 5, 4)  # still one chunk of at most 15
    same, same_sqls = _rows()
    assert len(same) == len(small) + 4
    assert len(same_sqls) == len(small_sqls)
    _tasks(world, 9, 25)  # three chunks of at most 15
    large, large_sqls = _rows()
    assert 30 < len(large) <= 45
    # each further chunk: its departments (and its latest reports, when there are any)
    assert len(small_sqls) < len(large_sqls) <= len(small_sqls) + 2 * 2
