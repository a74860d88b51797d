"""The ledger export at scale: time, queries, peak memory and the SQL floor, in-process.

    .venv/bin/python -m benchmarks.ledger --db h_bench_province [--out /tmp/ledger.xlsx]

Writes the ledger (台账) of every task of a generated database (``benchmarks.generate``) through
``write_ledger``, as the export view and ``export_ledger`` do, and prints: wall time, rows, the
number of queries, the process's peak RSS (and what it was before the export), the file's size,
and the SQL FLOOR: the same queries (with their parameters) re-executed alone afterwards, every
row fetched, nothing else done with them.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Recorder:
    """Keeps each query (and its parameters) the export ran, to re-execute them alone."""

    queries: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sql_floor(queries: list[tuple[str, Any]]) -> float:
    from django.db import connection

    started = time.perf_counter()
    for sql, params in queries:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.description is not None:
                while cursor.fetchmany(2000):
                    pass
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="h_bench_province", help="a database made by benchmarks.generate")
    parser.add_argument("--out", help="keep the .xlsx here (default: a temporary file, removed)")
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from tasks.exports import write_ledger
    from tasks.models import Task

    print(f"{args.db}: {Task.objects.count():,} tasks")
    before = peak_rss_mib()
    recorder = Recorder()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or str(Path(tmp) / "ledger.xlsx")
        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(recorder):
            rows = write_ledger(Task.objects.all(), out, title="基准台账")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = Path(out).stat().st_size / 1024 / 1024
    peak = peak_rss_mib()
    floor = sql_floor(recorder.queries)
    print(
        f"ledger  {rows:,} rows  {wall:6.2f} s (Python CPU {cpu:.2f} s)  queries {len(recorder.queries)}  "
        f"peak RSS {peak:6.1f} MiB (before the export {before:.1f} MiB)  file {size:.1f} MiB"
    )
    print(
        f"        SQL floor {floor:6.2f} s (the same queries alone): export = {wall / floor:.2f}× its floor"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
