"""API throughput and latency, ipplan against the peer, over gunicorn (2 sync workers).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_bench_province \
        .venv/bin/python -m benchmarks.api_load [--seconds 20] [--clients 4]

Signed in with one API token of the city bureau (the first city), page size 100. Three ways of
walking the task list: page 2 again and again, a random page, and the cursor from the start
(following ``next``). Before measuring, page 2 of both is compared: the same task ids in the same
order, or the run stops.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8618"))
BASE = f"http://127.0.0.1:{PORT}"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0


def token_for(username: str) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from departments.models import User
    from ipplan.services import api_token_create

    _token, secret = api_token_create(
        actor=User.objects.get(username=username), name=f"bench {time.time():.0f}"
    )
    return secret


def start_server(workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{PORT}",
         "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    http = urllib3.PoolManager()
    for _ in range(120):
        try:
            http.request("GET", f"{BASE}/healthz", timeout=2, retries=False)
            return server
        except Exception:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def get(http: urllib3.PoolManager, url: str, headers: dict[str, str]) -> tuple[int, Any, float]:
    started = time.perf_counter()
    response = http.request("GET", url, headers=headers, timeout=120, retries=False)
    spent = time.perf_counter() - started
    return response.status, response, spent


def run(kind: str, base: str, headers: dict[str, str], seconds: float, clients: int, pages: int) -> Tally:
    tally = Tally()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(seed: int) -> None:
        http = urllib3.PoolManager(maxsize=1)
        rng = random.Random(seed)
        next_url: str | None = None
        while time.perf_counter() < deadline:
            if kind == "page":
                url = f"{base}?page_size=100&page=2"
            elif kind == "random":
                url = f"{base}?page_size=100&page={rng.randint(1, pages)}"
            else:
                start = (
                    f"{base}?page_size=100&cursor="
                    if "/api/v1/" in base
                    else f"{base}?page_size=100&cursor_walk=1"
                )
                url = next_url or start
            status, response, spent = get(http, url, headers)
            with lock:
                if status == 200:
                    tally.latencies.append(spent)
                elif status == 412:
                    tally.conflicts += 1
                else:
                    tally.errors += 1
            if kind == "cursor" and status == 200:
                next_url = response.json().get("next")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def describe(tally: Tally, seconds: float) -> str:
    if not tally.latencies:
        return f"{'-':>8} {'-':>8} {'-':>8} {tally.errors:>6}"
    lat = sorted(tally.latencies)
    p50 = statistics.median(lat) * 1000
    p95 = lat[int(len(lat) * 0.95) - 1 if len(lat) > 1 else 0] * 1000
    return f"{len(lat) / seconds:8.1f} {p50:8.0f} {p95:8.0f} {tally.errors:>6}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--user", default="bureau")
    args = parser.parse_args(argv)
    secret = token_for(args.user)
    headers = {"Authorization": f"Bearer {secret}"}
    server = start_server(args.workers)
    try:
        http = urllib3.PoolManager()
        ours = http.request("GET", f"{BASE}/api/v1/tasks/?page_size=100&page=2", headers=headers).json()
        peer = http.request("GET", f"{BASE}/peer/api/tasks/?page_size=100&page=2", headers=headers).json()
        our_ids = [row["id"] for row in ours["results"]]
        if our_ids != [row["id"] for row in peer["results"]] or ours["count"] != peer["count"]:
            raise SystemExit("ipplan and the peer do not list the same rows in the same order")
        pages = max(1, (ours["count"] + 99) // 100)
        print(
            f"{ours['count']:,} tasks visible to {args.user} ({pages} pages of 100); same rows as the peer: yes"
        )
        print(f"{args.clients} clients x {args.seconds:.0f} s, gunicorn {args.workers} sync workers; "
              f"load before {os.getloadavg()[0]:.2f}")  # fmt: skip
        print(f"{'walk':10} {'server':7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
        for kind in ("page", "random", "cursor"):
            for name, base in (("ipplan", f"{BASE}/api/v1/tasks/"), ("peer", f"{BASE}/peer/api/tasks/")):
                tally = run(kind, base, headers, args.seconds, args.clients, pages)
                print(f"{kind:10} {name:7} {describe(tally, args.seconds)}", flush=True)
        print(f"load after {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
