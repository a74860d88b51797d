"""A two-node ipplan on loopback, for tests/cluster: two gunicorn web nodes behind Debian's nginx
(deploy/nginx.conf with its upstream rewritten to the two nodes), two Celery workers and one beat,
on one PostgreSQL database of its own, one Redis server of its own, an SMTP sink and one shared
file store.

Every process is started in its own process group with the same settings, as separate hosts would
be given them; only ``GUNICORN_BIND`` differs between the web nodes.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..ops.drill import pg_admin
from ..reminders.test_workers import SMTPSink
from ..support.processes import (
    celery_worker,
    free_port,
    http_status,
    port_open,
    redis_server,
    spawn,
    stop,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct-horse-battery-9"
SECRET_KEY = "cluster-test-key-7Hq2v9KpL4mN8rT1wZ6bY3cF5gJ0dS2aE4uI7oP9kM1nB6vC8xQ3zR5tW7yU9"

SETUP = """
import json
import datetime as dt
from django.utils import timezone
from departments.choices import RegionLevel
from ipplan.roles import Role
from departments.services import department_create, region_create, user_create
from ipplan.services import api_token_create
from tasks.models import Assignment, Plan, Task
from tasks.services import plan_create
from notifications.services.policies import reminder_policy_set
from simple_history.utils import bulk_create_with_history

from notifications.calendar import working_day_on_or_after

today = timezone.localdate()
# the sweep runs for a working day (on a weekend or holiday a sweep of "today" does nothing), two
# weeks ahead: the nodes' beat sweeps the real today meanwhile, and must find nothing due soon
# (the policy's day-before reminder would fire if as_of were tomorrow)
as_of = working_day_on_or_after(today + dt.timedelta(days=14))
province = region_create(code="440000", name="广东省", level=RegionLevel.PROVINCE)
city = region_create(code="441900", name="东莞市", level=RegionLevel.CITY, parent=province)
plan = plan_create(actor=None, region=city, title="双节点测试方案")
Plan.objects.filter(pk=plan.pk).update(report_cadence="none")
# only the day's reminder: the sweep has a known number of notifications to make
reminder_policy_set(actor=None, plan=plan, days_before="1", on_day=True, repeat_every_days=0,
                    escalate_head_after=0, escalate_bureau_after=0)
due_departments = [department_create(actor=None, region=city, name=f"到期单位{i}") for i in range(10)]
for i, department in enumerate(due_departments):
    user_create(actor=None, username=f"due{i}", password=None, role=Role.DEPT_STAFF,
                department=department, email=f"due{i}@example.gov.cn")
# with their history rows, as the services write them (the task page shows the history)
due = bulk_create_with_history([
    Task(plan=plan, path=f"一.{n}", number=n, order=n, title=f"到期任务{n}", due_date=as_of)
    for n in range(1, {due} + 1)
], Task)
Assignment.objects.bulk_create(
    Assignment(task=t, department=due_departments[i % 10], role="lead") for i, t in enumerate(due)
)
clients = []
for c in range({clients}):
    department = department_create(actor=None, region=city, name=f"填报单位{c}")
    user = user_create(actor=None, username=f"load{c}", password="{password}", role=Role.DEPT_STAFF,
                       department=department)
    mine = bulk_create_with_history([
        Task(plan=plan, path=f"二.{c * 10 + k}", number=c * 10 + k, order=1000 + c * 10 + k,
             title=f"填报任务{c}-{k}", due_date=today + dt.timedelta(days=200))
        for k in range(1, 4)
    ], Task)
    Assignment.objects.bulk_create(Assignment(task=t, department=department, role="lead") for t in mine)
    _token, secret = api_token_create(actor=user, name="load", can_write=True, days=1)
    clients.append({"username": user.username, "token": secret, "tasks": [t.pk for t in mine]})
print("CLUSTER " + json.dumps({"clients": clients, "as_of": as_of.isoformat()}))
"""


def storage_env(shared: Path) -> dict[str, str]:
    """Where every node keeps its files: one shared folder (``IPPLAN_DATA_DIR/media``) today.

    Hook for the object store: once ``IPPLAN_STORAGE=s3`` is in settings, start moto's server
    here and return its variables instead (bucket, endpoint, keys); the test reads stored files
    back through the nodes' download URLs, so it needs no other change.
    """
    return {"IPPLAN_DATA_DIR": str(shared)}


@dataclass
class Record:
    """One request of the load, as the client saw it."""

    load_id: str
    kind: str
    start: float
    end: float
    status: int


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Cluster:
    tmp: Path
    params: dict
    database: str = ""
    env: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: dict[str, tuple[subprocess.Popen[bytes], int]] = field(default_factory=dict)
    smtp: SMTPSink | None = None
    setup: dict = field(default_factory=dict)
    beat: subprocess.Popen[bytes] | None = None

    # -- start ------------------------------------------------------------------------------

    def start(self, *, due: int, clients: int) -> None:
        params = self.params
        self.database = f"{params['NAME']}_cluster_{uuid.uuid4().hex[:8]}"
        pg_admin(params, f'CREATE DATABASE "{self.database}"')
        user = params["USER"] or "postgres"
        password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
        host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        redis_port = free_port()
        self.smtp = SMTPSink(free_port())
        threading.Thread(target=self.smtp.serve_forever, daemon=True).start()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "IPPLAN_", "PROMETHEUS_"))
        }
        self.env.update(storage_env(self.tmp / "shared"))
        self.env.update(
            DATABASE_URL=f"postgres://{user}{password}@{host}/{self.database}",
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/1",
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.server_address[1]}",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=SECRET_KEY,
            DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS ends in front in production
            DJANGO_SECURE_COOKIES="0",
            IPPLAN_PROXY_COUNT="1",
            IPPLAN_API_RATE="100000/min",  # the limiter is not under test here
            IPPLAN_LOG_LEVEL="WARNING",
            IPPLAN_TICK_SECONDS="3",
            IPPLAN_DELIVERY_TICK_SECONDS="1",
            IPPLAN_REMINDER_DIGEST_HOUR="24",  # no digests: only the day's reminders are due
            IPPLAN_REMINDER_SENDING_LEASE_SECONDS="10",
            IPPLAN_REMINDER_BACKOFF_SECONDS="1",
            GUNICORN_MAX_REQUESTS="0",
        )
        self.others.append(redis_server(redis_port, self.env, self.tmp / "redis.log"))
        self._manage("migrate", "--noinput")
        script = (
            SETUP.replace("{due}", str(due))
            .replace("{clients}", str(clients))
            .replace("{password}", PASSWORD)
        )
        out = self._manage("shell", "-c", script)
        line = next(x for x in out.splitlines() if x.startswith("CLUSTER "))
        self.setup = json.loads(line[len("CLUSTER ") :])
        self.nodes = [Node("web-a", free_port()), Node("web-b", free_port())]
        # every process started at once, then each waited for
        for node in self.nodes:
            self.start_node(node)
        workers = ("worker-a", "worker-b")
        for name in workers:
            self.others.append(spawn(celery_worker(name, concurrency=2), self.env, self.tmp / f"{name}.log"))
        for node in self.nodes:
            self.wait_node(node)
        for name in workers:
            log = self.tmp / f"{name}.log"
            assert wait_for(lambda log=log: "ready." in log.read_text(), 90), log.read_text()[-3000:]
        self.start_nginx("pair", [n.port for n in self.nodes])
        self.start_nginx("single", [self.nodes[0].port])

    def send(self, job: str, **kwargs: object) -> None:
        """Queue a job on the cluster's broker, as beat or an operator would."""
        from celery import Celery
        from kombu import Connection

        with Connection(self.env["CELERY_BROKER_URL"]) as conn:
            Celery(broker=self.env["CELERY_BROKER_URL"], set_as_current=False).send_task(
                job, kwargs=kwargs, connection=conn
            )

    def start_beat(self) -> None:
        assert self.beat is None, "one beat at a time"
        command = [str(Path(sys.executable).parent / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                   f"--schedule={self.tmp / 'beat-schedule'}"]  # fmt: skip
        self.beat = spawn(command, self.env, self.tmp / "beat.log")

    def stop_beat(self) -> None:
        if self.beat is not None:
            stop(self.beat, timeout=20)
            self.beat = None

    def reset(self) -> None:
        """The cluster as ``start`` left it, for the next test of a module that shares it: no beat,
        no reminders made or mailed, empty nginx access logs (the tests tell their progress
        reports apart by the clients' names, which the report texts and load ids carry)."""
        self.stop_beat()
        self.query("delete from tasks_notification")
        assert self.smtp is not None
        self.smtp.messages.clear()
        for name in self.nginx:
            (self.tmp / f"nginx-{name}" / "access.log").write_text("")  # nginx appends (O_APPEND)

    def _manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, f"{args[0]}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def start_node(self, node: Node, workers: int = 2) -> None:
        env = dict(
            self.env,
            GUNICORN_WORKERS=str(workers),
            GUNICORN_BIND=f"127.0.0.1:{node.port}",
            PROMETHEUS_MULTIPROC_DIR=str(self.tmp / f"{node.name}-metrics"),
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "config.wsgi:application",
        ]
        with (self.tmp / f"{node.name}.log").open("a") as out:
            node.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_node(self, node: Node, timeout: float = 120) -> None:
        base = f"http://127.0.0.1:{node.port}"
        ok = wait_for(lambda: http_status(f"{base}/readyz")[0] == 200, timeout)
        assert ok, (self.tmp / f"{node.name}.log").read_text()[-3000:]

    def kill_node(self, node: Node, *, whole: bool = True) -> None:
        """SIGKILL to the node's gunicorn master and, with ``whole``, in the same instant to its
        workers (the host or container dies). The master alone: its workers notice they are
        orphaned, finish the request in hand and exit. Returns once nothing listens on the port."""
        assert node.process is not None
        if whole:
            os.killpg(node.process.pid, signal.SIGKILL)
        else:
            node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)
        deadline = time.monotonic() + 60
        while port_open(node.port) and time.monotonic() < deadline:  # until the workers are gone too
            time.sleep(0.01)
        assert not port_open(node.port), f"{node.name}: workers still listen after their master died"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.process.pid, signal.SIGKILL)  # nothing should be left; make sure

    # -- nginx ------------------------------------------------------------------------------

    def nginx_conf(self, ports: list[int], listen: int) -> str:
        """deploy/nginx.conf, with its one upstream server (Docker's DNS name) replaced by the
        given loopback ports, each keeping the file's own parameters."""
        conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
        retry = re.search(r"(?m)^\s*proxy_next_upstream\s+([^;]*);", conf)
        # a dead node's safe requests go to the other one; a POST is never sent twice
        assert retry and "error" in retry.group(1).split() and "non_idempotent" not in retry.group(1)
        conf = re.sub(r"(?m)^resolver .*;$", "", conf)
        match = re.search(r"(?m)^(\s*)server web:8000 resolve( [^;]*)?;$", conf)
        assert match, "deploy/nginx.conf: the upstream line changed; update tests/cluster"
        indent, parameters = match.group(1), match.group(2) or ""
        servers = "\n".join(f"{indent}server 127.0.0.1:{port}{parameters};" for port in ports)
        conf = conf[: match.start()] + servers + conf[match.end() :]
        conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
        return conf.replace("alias /srv/static/;", f"alias {ROOT / 'static'}/;")

    def start_nginx(self, name: str, ports: list[int]) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        folder = self.tmp / f"nginx-{name}"
        folder.mkdir()
        listen = free_port()
        (folder / "site.conf").write_text(self.nginx_conf(ports, listen))
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'}; daemon off;\n"
            "worker_processes 1;\n"
            f"events {{}}\nhttp {{ include /etc/nginx/mime.types; {temp}\n"
            "log_format load '$http_x_load_id|$upstream_addr|$upstream_status|$status|$request_time';\n"
            f"access_log {folder / 'access.log'} load;\n"
            f"include {folder / 'site.conf'}; }}\n"
        )
        proc = subprocess.Popen(
            [nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder)], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.nginx[name] = (proc, listen)
        base = f"http://127.0.0.1:{listen}"
        assert wait_for(lambda: http_status(f"{base}/healthz")[0] == 200, 20), (
            folder / "error.log"
        ).read_text()

    def base(self, name: str) -> str:
        return f"http://127.0.0.1:{self.nginx[name][1]}"

    def access_log(self, name: str) -> dict[str, tuple[str, str, str]]:
        """load id → (upstream addresses, upstream statuses, status), from nginx's access log."""
        found = {}
        for row in (self.tmp / f"nginx-{name}" / "access.log").read_text().splitlines():
            load_id, upstreams, upstream_status, status, _seconds = row.split("|")
            if load_id != "-":
                found[load_id] = (upstreams, upstream_status, status)
        return found

    # -- the database -----------------------------------------------------------------------

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg2

        p = self.params
        conn = psycopg2.connect(
            dbname=self.database, user=p["USER"], password=p["PASSWORD"], host=p["HOST"], port=p["PORT"]
        )
        try:
            with conn, conn.cursor() as cursor:  # committed on leaving (a delete)
                cursor.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            conn.close()

    def notification_states(self) -> Counter[tuple[str, str]]:
        rows = self.query("select kind, state, count(*) from tasks_notification group by kind, state")
        return Counter({(kind, state): n for kind, state, n in rows})

    # -- stop -------------------------------------------------------------------------------

    def close(self) -> None:
        procs = [n.process for n in self.nodes if n.process is not None]
        procs += [p for p, _ in self.nginx.values()] + ([self.beat] if self.beat else []) + self.others[::-1]
        for proc in procs:
            if proc.poll() is None:
                stop(proc, timeout=20)
        if self.smtp is not None:
            self.smtp.shutdown()
            self.smtp.server_close()
        if self.database:
            pg_admin(self.params, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


class Client:
    """One user of the load: a browser session for pages, an API token for the API."""

    def __init__(self, name: str, username: str, token: str, tasks: list[int]) -> None:
        self.name = name
        self.username = username
        self.token = token
        self.tasks = tasks
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.count = 0

    def open(self, request: urllib.request.Request, timeout: float = 90) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def login(self, base: str) -> None:
        status, _body = self.open(urllib.request.Request(f"{base}/accounts/login/"))
        assert status == 200, status
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": self.username, "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=data, method="POST")
        request.add_header("Referer", f"{base}/accounts/login/")
        self.open(request)
        assert any(c.name == "sessionid" for c in self.jar), f"{self.username} could not sign in"

    def one(self, base: str, kind: str) -> Record:
        self.count += 1
        load_id = f"{self.name}-{self.count}"
        # pages read the first task, reports go to the others: a page does not grow with the load
        task = self.tasks[1 + self.count % (len(self.tasks) - 1)]
        if kind == "page":
            request = urllib.request.Request(f"{base}/tasks/{self.tasks[0]}/")
        elif kind == "api":
            request = urllib.request.Request(f"{base}/api/v1/tasks/?page_size=20")
            request.add_header("Authorization", f"Bearer {self.token}")
        else:
            boundary = uuid.uuid4().hex
            parts = [
                ("text", f"load {load_id}"),
                ("percent", str(self.count % 100)),
                ("period", "2026-11"),
            ]
            body = b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                for key, value in parts
            )
            body += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="evidence.txt"\r\n'
                f"Content-Type: text/plain\r\n\r\n进展材料 {load_id}\r\n--{boundary}--\r\n"
            ).encode()
            request = urllib.request.Request(f"{base}/api/v1/tasks/{task}/reports/", data=body, method="POST")
            request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
            request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("X-Load-Id", load_id)
        start = time.monotonic()
        status, _body = self.open(request)
        return Record(load_id, kind, start, time.monotonic(), status)


EXPECTED = {"page": 200, "api": 200, "post": 201}
MIX = ("page", "api", "post")


def run_load(base: str, clients: list[Client], seconds: float, records: list[Record]) -> None:
    """Each client in its own thread, pages, API reads and progress reports in turn, for ``seconds``."""
    stop_at = time.monotonic() + seconds

    def work(client: Client) -> None:
        n = 0
        while time.monotonic() < stop_at:
            records.append(client.one(base, MIX[n % len(MIX)]))
            n += 1

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
