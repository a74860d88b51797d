"""Each page's time against its SQL floor, with its query count and size, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_bench_province \
        .venv/bin/python -m benchmarks.pages [--repeat 5]

For every page: the median wall time of a request through the whole Django stack (test client,
signed in as the page's usual reader), the CPU time the request took in this process (Python:
the part of the wall time that a loaded machine does not inflate much), the number of queries it
ran, and its SQL FLOOR: the same
queries (as PostgreSQL received them) re-executed alone, results fetched, nothing else. A page
near its floor is limited by its queries; a page far above it spends its time in Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")


@dataclass
class Figure:
    name: str
    ms: float
    cpu_ms: float
    floor_ms: float
    queries: int
    kib: float
    slowest_ms: float
    slowest_sql: str


def targets() -> list[tuple[str, str, str]]:
    """(label, username, url) of the pages the issue names, resolved against the generated data."""
    from django.db.models import Count

    from departments.models import User
    from tasks.models import Assignment, Plan

    staff = User.objects.get(username="staff")
    biggest = Plan.objects.annotate(n=Count("tasks")).order_by("-n").values_list("pk", flat=True).first()
    task = (
        Assignment.objects.filter(department_id=staff.department_id or 0, role="lead")
        .order_by("task_id")
        .values_list("task_id", flat=True)
        .first()
    )
    return [
        ("API tasks page 2 (bureau)", "bureau", "/api/v1/tasks/?page_size=100&page=2"),
        ("peer tasks page 2 (bureau)", "bureau", "/peer/api/tasks/?page_size=100&page=2"),
        ("API tasks cursor (bureau)", "bureau", "/api/v1/tasks/?page_size=100&cursor="),
        ("peer tasks cursor (bureau)", "bureau", "/peer/api/tasks/?page_size=100"),
        ("/my/ (市科技局 liaison)", "staff", "/my/"),
        ("/tasks/<id>/ (liaison)", "staff", f"/tasks/{task}/"),
        ("/plans/<biggest>/ (bureau)", "bureau", f"/plans/{biggest}/"),
        ("/dashboard/ (province)", "province", "/dashboard/"),
        ("/dashboard/ uncached (province)", "province", "/dashboard/"),
        ("/dashboard/ (bureau)", "bureau", "/dashboard/"),
        ("/tasks/?overdue=true (province)", "province", "/tasks/?overdue=true"),
        ("/review/ (bureau)", "bureau", "/review/"),
    ]


def floor(sqls: list[str], repeat: int) -> tuple[float, float, str]:
    """The queries alone: total ms (median of runs), and the slowest one."""
    from django.db import connection

    totals: list[float] = []
    each: dict[int, list[float]] = {}
    for _ in range(repeat):
        total = 0.0
        for i, sql in enumerate(sqls):
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
                spent = time.perf_counter() - started
            total += spent
            each.setdefault(i, []).append(spent)
        totals.append(total)
    if not sqls:
        return 0.0, 0.0, ""
    slowest = max(each, key=lambda i: statistics.median(each[i]))
    return statistics.median(totals) * 1000, statistics.median(each[slowest]) * 1000, sqls[slowest]


def measure(label: str, username: str, url: str, repeat: int) -> Figure:
    """One page's figures; an "uncached" label measures it with the figures cache off."""
    from django.test import override_settings

    if "uncached" in label:
        with override_settings(IPPLAN_FIGURES_CACHE_SECONDS=0):
            return _measure(label, username, url, repeat)
    return _measure(label, username, url, repeat)


def _measure(label: str, username: str, url: str, repeat: int) -> Figure:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from departments.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(url)  # warm: templates, caches, the session
    if response.status_code != 200:
        raise SystemExit(f"{label}: {url} answered {response.status_code}")
    times: list[float] = []
    cpu: list[float] = []
    captured: list[dict[str, Any]] = []
    size = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as context:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        captured = context.captured_queries
        size = len(response.content)
    # the session and sign-in bookkeeping are not the page's own queries; keep them anyway:
    # they are part of every request's floor too.
    sqls = []
    for query in captured:
        sql = query["sql"] or ""
        if sql.startswith("DECLARE"):  # a server-side cursor (iterator()): its query, fetched whole
            sql = sql.split(" FOR ", 1)[1]
        elif sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "FETCH", "CLOSE", "BEGIN", "COMMIT")):
            continue
        sqls.append(sql)
    floor_ms, slowest_ms, slowest_sql = floor(sqls, repeat)
    return Figure(
        label,
        statistics.median(times) * 1000,
        statistics.median(cpu) * 1000,
        floor_ms,
        len(captured),
        size / 1024,
        slowest_ms,
        slowest_sql,
    )


def profile(label: str, username: str, url: str, top: int) -> None:
    """One request under cProfile: the ``top`` functions by time spent in them and below."""
    import cProfile
    import io
    import pstats

    from django.test import Client, override_settings

    from departments.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(url)
    profiler = cProfile.Profile()
    with override_settings(IPPLAN_FIGURES_CACHE_SECONDS=0) if "uncached" in label else _nothing():
        profiler.enable()
        client.get(url)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print("\n".join("    " + line for line in out.getvalue().splitlines() if line.strip()))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", help="only the pages whose label contains this")
    parser.add_argument("--sql", action="store_true", help="print each page's slowest query")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the N costliest functions of one request"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tasks_task")
        (tasks,) = cursor.fetchone()  # type: ignore[misc]
    print(f"database {settings.DATABASES['default']['NAME']}: {tasks:,} tasks; load {os.getloadavg()[0]:.2f}")
    print(
        f"{'page':36} {'ms':>8} {'CPU ms':>7} {'floor ms':>9} {'x floor':>8} {'queries':>8} {'KiB':>8} {'slowest q ms':>13}"
    )
    for label, username, url in targets():
        if args.only and args.only not in label:
            continue
        f = measure(label, username, url, args.repeat)
        ratio = f.ms / f.floor_ms if f.floor_ms else 0.0
        print(
            f"{f.name:36} {f.ms:8.1f} {f.cpu_ms:7.1f} {f.floor_ms:9.1f} {ratio:8.1f} {f.queries:8d} {f.kib:8.1f} {f.slowest_ms:13.1f}"
        )
        if args.sql:
            print("    " + f.slowest_sql[:600])
        if args.profile:
            profile(label, username, url, args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
