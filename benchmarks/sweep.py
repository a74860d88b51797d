"""The reminder sweep at scale: time, queries, peak memory and the SQL floor, in-process.

    .venv/bin/python -m benchmarks.sweep --db h_bench_province [--as-of 2026-11-30] [--dry-run]

Runs ``reminders_sweep`` (digests included, as ``send_reminders --as-of`` does) on a generated
database (``benchmarks.generate``), twice: the first sweep of the day creates every reminder due,
the second creates nothing (the once-only re-run). Printed per run: wall time, the number of
queries and per 1,000 open tasks, the SQL FLOOR (the time the database spent executing those
queries, measured around each execute), the rest (Python), notifications created, and the
process's peak RSS. The notifications the run created are deleted afterwards, so the figures
can be taken again on the same database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class QueryMeter:
    """Counts queries and the time spent executing them (the SQL floor), keeping no SQL text."""

    queries: int = 0
    seconds: float = 0.0
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.seconds += spent
            self.queries += 1
            self.slowest = sorted([*self.slowest, (spent, " ".join(sql.split())[:150])], reverse=True)[:5]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(today: dt.date, *, dry_run: bool, label: str, open_tasks: int) -> int:
    from django.db import connection

    from tasks.services.reminders import reminders_sweep

    meter = QueryMeter()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(meter):
        result = reminders_sweep(today=today, dry_run=dry_run)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    created = sum(result.created.values())
    per_thousand = meter.queries / max(open_tasks, 1) * 1000
    print(
        f"{label:28} {wall:8.2f} s  queries {meter.queries:5} ({per_thousand:.2f} per 1,000 tasks)  "
        f"SQL floor {meter.seconds:7.2f} s  Python {wall - meter.seconds:6.2f} s (CPU {cpu:.2f} s)  "
        f"created {created:>9,}  peak RSS {peak_rss_mib():7.1f} MiB"
    )
    if created:
        print(f"{'':28} by kind: {result.as_dict()}")
    for spent, sql in meter.slowest:
        print(f"{'':28} {spent * 1000:8.0f} ms  {sql}")
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="h_bench_province", help="a database made by benchmarks.generate")
    parser.add_argument("--as-of", default="2026-11-30", help="the day swept (default 2026-11-30, a Monday)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be created, change nothing")
    parser.add_argument(
        "--dump",
        help="write what the first sweep created (key, recipient, kind, task, message; sorted) to this file, "
        "to compare two versions of the sweep on the same database",
    )
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("ipplan.reminders").setLevel(logging.WARNING)
    from tasks.choices import CLOSED_STATUSES, PlanStatus
    from tasks.models import Notification, Task

    today = dt.date.fromisoformat(args.as_of)
    open_tasks = (
        Task.objects.filter(plan__status=PlanStatus.ACTIVE).exclude(status__in=CLOSED_STATUSES).count()
    )
    print(f"{args.db}: {Task.objects.count():,} tasks, {open_tasks:,} open in active plans; as of {today}")
    print(f"{'':28} peak RSS after setup {peak_rss_mib():.1f} MiB")
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        run(
            today,
            dry_run=args.dry_run,
            label="sweep (dry run)" if args.dry_run else "sweep, first of the day",
            open_tasks=open_tasks,
        )
        if args.dump and not args.dry_run:
            created = Notification.objects.filter(pk__gt=before).order_by("dedup_key")
            with open(args.dump, "w", encoding="utf-8") as out:
                for row in created.values_list(
                    "dedup_key", "recipient_id", "kind", "task_id", "message"
                ).iterator():
                    out.write(repr(row) + "\n")
        if not args.dry_run:
            run(today, dry_run=False, label="sweep again (creates 0)", open_tasks=open_tasks)
    finally:
        Notification.objects.filter(pk__gt=before).delete()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
