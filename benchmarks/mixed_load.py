"""100 simulated users for 60 s against gunicorn (2 sync workers): locust, headless.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_bench_province \
        .venv/bin/python -m benchmarks.mixed_load [--users 100] [--seconds 60] [--workers 2]

The liaisons of the first city's departments are signed in beforehand (a session each, an API
token that may write); locust then runs ``benchmarks/locustfile.py``. Printed: requests, req/s,
p50 and p95 per page and in all, failures (5xx, timeouts, refused connections), and the 412
conflicts apart (an update that lost the race is the lock working, not an error).
``LOCUST_PYTHON`` names another interpreter for locust (a virtualenv with only the ``bench``
extra), when the project's has no locust.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def people(n: int) -> list[dict[str, Any]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from departments.models import User
    from ipplan.services import api_token_create
    from tasks.models import Assignment

    city = User.objects.get(username="bureau").region_id
    staff = list(User.objects.filter(role="dept_staff", region_id=city or 0).order_by("id")[:n])
    found: list[dict[str, Any]] = []
    for user in staff:
        client = Client()
        client.force_login(user)
        _token, secret = api_token_create(actor=user, name="mixed load", can_write=True, days=1)
        tasks = list(
            Assignment.objects.filter(department_id=user.department_id or 0).values_list(
                "task_id", flat=True
            )[:50]
        )
        led = list(
            Assignment.objects.filter(
                department_id=user.department_id or 0, role="lead", task__status="in_progress"
            ).values_list("task_id", flat=True)[:50]
        )
        if not tasks or not led:
            continue
        found.append(
            {
                "username": user.username,
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "token": secret,
                "tasks": tasks,
                "led": led,
            }
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8618")) + 1)
    args = parser.parse_args(argv)
    accounts = people(args.users)
    from .api_load import start_server

    os.environ["BENCH_PORT"] = str(args.port)
    from . import api_load

    api_load.PORT, api_load.BASE = args.port, f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        users_file = Path(tmp) / "users.json"
        users_file.write_text(json.dumps(accounts), encoding="utf-8")
        server = start_server(args.workers)
        try:
            load = os.getloadavg()[0]
            done = subprocess.run(
                [os.environ.get("LOCUST_PYTHON", sys.executable), "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
                 "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.seconds}s",
                 "--host", api_load.BASE, "--csv", str(Path(tmp) / "run"), "--only-summary", "--loglevel", "WARNING"],
                cwd=ROOT, env={**os.environ, "BENCH_USERS": str(users_file)}, capture_output=True, text=True,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(10)
        conflicts = [
            line for line in (done.stdout + done.stderr).splitlines() if line.startswith("412 conflicts")
        ]
        stats = Path(tmp) / "run_stats.csv"
        if not stats.exists():
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 1
        print(f"{args.users} users ({len(accounts)} liaisons) x {args.seconds} s, gunicorn {args.workers} sync workers; "
              f"load before {load:.2f}, after {os.getloadavg()[0]:.2f}")  # fmt: skip
        print(f"{'request':28} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
        with stats.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                print(
                    f"{(row['Type'] + ' ' + row['Name'])[:28]:28} {row['Request Count']:>7} {row['Failure Count']:>5} "
                    f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7}"
                )
        failures = Path(tmp) / "run_failures.csv"
        if failures.exists():
            for row in list(csv.DictReader(failures.open(encoding="utf-8")))[:10]:
                print(f"failure: {row['Method']} {row['Name']}: {row['Error'][:120]} x{row['Occurrences']}")
        for line in conflicts:
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
