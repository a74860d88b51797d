"""``/healthz`` (the process answers) and ``/readyz`` (what it needs is reachable).

The container runtime restarts a process whose ``/healthz`` fails; a load balancer sends no
traffic to one whose ``/readyz`` answers 503. Each readiness check is bounded by a short timeout
and named in the answer; the reason of a failure goes to the log, not to the caller (it may name
internal hosts).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import celeryapp

logger = logging.getLogger("ipplan.health")

#: Seconds a broker or cache check may take before it counts as failed.
CHECK_TIMEOUT = 3.0


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process is up and answers; nothing else is touched."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close_if_unusable_or_obsolete()
        raise


def check_broker() -> None:
    """Opens (and closes) a connection to the Celery broker."""
    with celeryapp.get().connection_for_write(connect_timeout=CHECK_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
        # kombu's virtual transports (Redis) connect lazily: a channel makes the round trip.
        conn.default_channel  # noqa: B018
    if settings.CELERY_BROKER_URL == "filesystem://":
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise OSError(f"broker folder {folder} is not writable")


def check_storage() -> None:
    """The default storage (uploads, import files, exports) answers: writable folder, or a HEAD."""
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        existing = location if location.exists() else location.parent
        if not (existing.is_dir() and os.access(existing, os.W_OK)):
            raise OSError(f"{location} is not a writable folder")
        return
    meta = getattr(getattr(storage, "connection", None), "meta", None)
    bucket = getattr(storage, "bucket_name", None)
    if meta is not None and bucket:
        # An object store (S3): one HEAD of the bucket. Unlike a HEAD of a key, it fails when the
        # bucket is missing or the keys may not use it (a missing key answers 404 either way).
        meta.client.head_bucket(Bucket=bucket)
        return
    storage.exists(".ipplan-readyz")  # another remote store: one round trip, the answer is moot


def check_cache() -> None:
    """The shared cache (Redis), when one is configured: a write and a read."""
    cache.set("ipplan:readyz", "1", 10)
    if cache.get("ipplan:readyz") != "1":
        raise OSError("the cache did not return what was written")


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "broker": check_broker,
        "storage": check_storage,
    }
    if settings.REDIS_URL:
        checks["cache"] = check_cache
    return checks


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the ones that failed."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in readiness_checks().items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:
            logger.warning("readiness check %s failed: %r", name, error)
            results[name] = f"failed ({type(error).__name__})"
            failed.append(name)
        else:
            results[name] = f"ok ({(time.monotonic() - started) * 1000:.0f} ms)"
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": results}, status=503)
    return JsonResponse({"status": "ready", "checks": results})
