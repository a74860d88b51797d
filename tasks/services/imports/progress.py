"""Progress of an import commit that runs as a job, batch by batch.

The ``import_commit`` job writes the whole plan in one transaction, so a progress figure saved on
the import record would stay invisible to the page and the API that poll it until the very end.
The writing code reports instead through ``report_progress`` (a no-op outside a job); the job
hands each figure to the cache (Redis in production, shared by the worker and the web), and
``import_progress`` gives pollers the larger of the record's figure and the cached one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache

from ...choices import ImportState
from ...models import PlanImport

_reporter: ContextVar[Callable[[int], None] | None] = ContextVar("import_commit_reporter", default=None)

#: how long a figure stays in the cache: far longer than any commit takes
_TTL_SECONDS = 3600


@contextmanager
def reporting(reporter: Callable[[int], None]) -> Iterator[None]:
    """Within the block, ``report_progress`` hands its figures to ``reporter``."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def report_progress(percent: int) -> None:
    """Tell the running commit job how far the writing is (0–100); nothing outside a job."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter(max(0, min(100, int(percent))))


def _key(import_id: int) -> str:
    return f"ipplan:import:{import_id}:commit-progress"


def commit_progress_store(import_id: int) -> Callable[[int], None]:
    """A reporter that keeps the job's latest figure for the pollers (never going back)."""
    last = [-1]

    def store(percent: int) -> None:
        if percent > last[0]:
            last[0] = percent
            cache.set(_key(import_id), percent, timeout=_TTL_SECONDS)

    return store


def commit_progress_clear(import_id: int) -> None:
    cache.delete(_key(import_id))


def import_progress(record: PlanImport) -> int:
    """The progress a poller sees: the record's, or while the commit job writes, the job's."""
    if record.state != ImportState.COMMITTING:
        return record.progress
    cached = cache.get(_key(record.pk))
    return max(record.progress, int(cached)) if isinstance(cached, int) else record.progress


#: the figure reported once the sections are written; each batch of tasks reports above it
BATCH_PROGRESS_FLOOR = 10
