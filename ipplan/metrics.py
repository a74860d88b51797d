"""Prometheus metrics at ``/metrics`` (prometheus_client).

Two kinds of figures:

- **per process**: request latency, measured by :class:`RequestMetricsMiddleware`. Under gunicorn
  set ``PROMETHEUS_MULTIPROC_DIR`` (``deploy/gunicorn.conf.py`` empties it at start and marks dead
  workers), so that one scrape sums every worker of the host;
- **from the shared state**, read at scrape time (and kept ``IPPLAN_METRICS_CACHE_SECONDS``):
  Celery queue lengths from the broker, the outboxes' backlog and failures from the database,
  reminders sent, the age of each beat job's last run. Any web process answers the same figures,
  whichever worker or host did the work.

The endpoint is not public: a caller needs an address in ``IPPLAN_METRICS_ALLOW_NETWORKS`` or
``Authorization: Bearer <IPPLAN_METRICS_TOKEN>``; everyone else gets 403.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from . import celeryapp, health
from .models import JobHeartbeat
from .outbox import Outbox

logger = logging.getLogger("ipplan.metrics")

#: Not registered globally: each scrape builds its registry (multiprocess files or this object).
REQUEST_LATENCY = Histogram(
    "ipplan_http_request_duration_seconds",
    "Time from the first middleware to the response, by route pattern, method and status.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=None,
)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + (match.route or match.view_name or "")


def _probe_views() -> dict[str, Callable[[HttpRequest], HttpResponse]]:
    return {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics}


class RequestMetricsMiddleware:
    """Times every request (first in MIDDLEWARE, so the whole stack is measured).

    It also answers ``GET /healthz``, ``/readyz`` and ``/metrics`` itself, before the rest of the
    stack: probes and scrapers address a process by its IP (not a name in ALLOWED_HOSTS), need no
    session, and should not cost a session lookup every few seconds. These answers build no URL
    from the Host header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.probes = _probe_views()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        probe = self.probes.get(request.path_info) if request.method == "GET" else None
        if probe is not None:
            response = probe(request)
            route = request.path_info
        else:
            response = self.get_response(request)
            # route patterns, not paths: one series per URL pattern whatever the ids
            route = _route(request)
        REQUEST_LATENCY.labels(route, request.method or "", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


# --- figures from the shared state --------------------------------------------------------------

Sample = tuple[str, str, list[str], list[tuple[list[str], float]]]  # name, help, labels, values


def celery_queue_names() -> list[str]:
    app = celeryapp.get()

    queues = app.conf.task_queues
    if queues:
        return sorted({queue.name for queue in queues})
    return [app.conf.task_default_queue]


def queue_lengths(names: Iterable[str]) -> list[tuple[list[str], float]]:
    """Messages waiting in each Celery queue, asked of the broker (Redis, RabbitMQ, folders)."""
    app = celeryapp.get()

    values: list[tuple[list[str], float]] = []
    with app.connection_for_read(connect_timeout=3) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        for name in names:
            channel = conn.channel()  # one each: AMQP closes a channel on NOT_FOUND
            try:
                values.append(([name], float(channel.queue_declare(queue=name, passive=True).message_count)))
            except Exception:  # a queue nothing was ever sent to does not exist yet
                values.append(([name], 0.0))
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
    return values


#: The outboxes whose backlog and failures are reported (``register_outbox``), by label.
_outboxes: dict[str, Outbox] = {}
#: Other figures an app reads from the database at scrape time (``register_figures``).
_figures: list[Callable[[], list[Sample]]] = []


def register_outbox(label: str, outbox: Outbox) -> None:
    """Report ``outbox``'s backlog, oldest waiting message and failures as ``outbox="<label>"``.
    Apps call it in ``AppConfig.ready()``; the kernel imports no app."""
    _outboxes[label] = outbox


def register_figures(read: Callable[[], list[Sample]]) -> None:
    """Add figures read from the database at scrape time (once per function)."""
    if read not in _figures:
        _figures.append(read)


def outbox_figures() -> list[Sample]:
    now = timezone.now()
    backlog: list[tuple[list[str], float]] = []
    oldest: list[tuple[list[str], float]] = []
    failed: list[tuple[list[str], float]] = []
    for label, outbox in _outboxes.items():
        waiting = outbox.rows.filter(state__in=[outbox.pending, outbox.sending]).aggregate(
            n=Count("id"), first=Min("created_at")
        )
        backlog.append(([label], float(waiting["n"])))
        age = (now - waiting["first"]).total_seconds() if waiting["first"] else 0.0
        oldest.append(([label], max(age, 0.0)))
        failed.append(([label], float(outbox.rows.filter(state=outbox.failed_state).count())))
    return [
        ("ipplan_outbox_backlog", "Messages waiting to be sent (pending or sending).", ["outbox"], backlog),
        (
            "ipplan_outbox_oldest_waiting_seconds",
            "Age of the oldest message still waiting (0: none).",
            ["outbox"],
            oldest,
        ),
        ("ipplan_deliveries_failed", "Messages given up after their last attempt.", ["outbox"], failed),
    ]


def registered_figures() -> list[Sample]:
    return [sample for read in _figures for sample in read()]


def job_figures() -> list[Sample]:
    now = timezone.now()
    ages = [
        ([name], max((now - last).total_seconds(), 0.0))
        for name, last in JobHeartbeat.objects.values_list("name", "last_run_at").order_by("name")
    ]
    return [("ipplan_job_last_run_age_seconds", "Seconds since each beat job last ran.", ["job"], ages)]


def shared_figures() -> list[Sample]:
    """Every figure read from the database and the broker; a source that fails is reported as such."""
    samples: list[Sample] = []
    errors: list[tuple[list[str], float]] = []
    sources: list[tuple[str, Callable[[], list[Sample]]]] = [
        ("database", lambda: outbox_figures() + registered_figures() + job_figures()),
        (
            "broker",
            lambda: [
                (
                    "ipplan_celery_queue_length",
                    "Messages waiting in each Celery queue.",
                    ["queue"],
                    queue_lengths(celery_queue_names()),
                )
            ],
        ),
    ]
    for source, read in sources:
        try:
            samples.extend(read())
            errors.append(([source], 0.0))
        except Exception as error:
            logger.warning("metrics: reading %s failed: %r", source, error)
            errors.append(([source], 1.0))
    samples.append(
        ("ipplan_metrics_source_error", "1 when the source could not be read.", ["source"], errors)
    )
    return samples


class SharedStateCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        key = "ipplan:metrics:shared"
        samples: list[Sample] | None = cache.get(key)
        if samples is None:
            samples = shared_figures()
            if settings.IPPLAN_METRICS_CACHE_SECONDS > 0:
                cache.set(key, samples, settings.IPPLAN_METRICS_CACHE_SECONDS)
        for name, documentation, labels, values in samples:
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for label_values, value in values:
                family.add_metric(label_values, value)
            yield family


# --- the endpoint -------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.IPPLAN_METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "")
        if hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return True
    try:
        # the scraper connects to the process directly: never X-Forwarded-For here
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.IPPLAN_METRICS_NETWORKS)


def build_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every worker's files, this one's included
    else:
        registry.register(REQUEST_LATENCY)
        ProcessCollector(registry=registry)
    registry.register(SharedStateCollector())
    return registry


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        logger.warning("metrics refused to %s", request.META.get("REMOTE_ADDR", "?"))
        return HttpResponse("403 Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(build_registry()), content_type=CONTENT_TYPE_LATEST)
