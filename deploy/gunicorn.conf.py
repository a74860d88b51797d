"""gunicorn settings of the web service (docker-compose.yml: ``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be changed with an environment variable. With ``PROMETHEUS_MULTIPROC_DIR`` set,
each worker writes its metrics there and ``/metrics`` sums them: the folder is emptied when
gunicorn starts and a worker's live gauges are dropped when it exits.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# about 2 × cores; sync workers, each request is short (uploads are buffered by nginx)
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# above nginx's proxy_read_timeout (60 s), so nginx answers a slow request before gunicorn kills it
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "75"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# workers are replaced now and then, so that a slow leak never grows for ever
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = "-"
if os.environ.get("IPPLAN_LOG_FORMAT", "plain").lower() == "json":
    access_log_format = (
        '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "forwarded_for": '
        '"%({x-forwarded-for}i)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
        '"bytes": "%(B)s", "duration_us": %(D)s, "user_agent": "%(a)s"}'
    )


def on_starting(server):  # type: ignore[no-untyped-def]
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)  # figures of a previous run would be summed in
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
