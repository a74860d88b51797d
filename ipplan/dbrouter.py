"""An optional read replica (``DATABASE_REPLICA_URL``): which reads may go to it.

Reads go to the primary unless a request or a job asks for the replica, so a page that shows what
its user has just written always reads the primary. The replica serves the heavy, lag-tolerant
reads only: the dashboards, the exports and the REST API's list endpoints (GET), and not even
those for a few seconds after the same browser wrote something (``IPPLAN_REPLICA_STICKY_SECONDS``,
kept in a cookie), nor inside a transaction on the primary. Writes, ``select_for_update`` and
migrations always go to the primary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
STICKY_COOKIE = "ipplan_primary_until"

# URL names (namespace-free) of the pages whose reads may lag the primary a little.
REPLICA_URL_NAMES = frozenset(
    {"dashboard", "ledger_export", "briefing_export", "assessment", "assessment_export"}
)

logger = logging.getLogger("ipplan.dbrouter")

_use_replica: ContextVar[bool] = ContextVar("ipplan_use_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reachable() -> bool:
    """The replica's connection opens (a no-op while a persistent one is open); else the primary
    serves, so a replica that is down slows the dashboards instead of breaking them."""
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as error:
        logger.warning("read replica unreachable, reading the primary: %r", error)
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (when there is one)."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def read_alias() -> str:
    """Where a read made now goes."""
    if not (_use_replica.get() and replica_configured()):
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:  # read what this transaction wrote
        return PRIMARY
    return REPLICA


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database and its copy

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


def replica_eligible(request: HttpRequest, view_func: Callable[..., Any]) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    match = request.resolver_match
    if match is not None and match.url_name in REPLICA_URL_NAMES:
        return True
    actions = getattr(view_func, "actions", None)  # a REST framework viewset: its GET action
    return isinstance(actions, dict) and actions.get(request.method.lower()) == "list"


class ReplicaReadMiddleware:
    """Sends the reads of replica-eligible views to the replica; keeps a writer on the primary.

    Last in MIDDLEWARE: the replica is used from its ``process_view`` (after every other
    middleware's) until the view has answered; the other middlewares read the primary.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_ipplan_replica_token", None)
            if token is not None:
                _use_replica.reset(token)
        if replica_configured() and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            seconds = int(settings.IPPLAN_REPLICA_STICKY_SECONDS)
            response.set_cookie(
                STICKY_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        if not (replica_configured() and replica_eligible(request, view_func)) or _recent_writer(request):
            return
        if replica_reachable():
            request._ipplan_replica_token = _use_replica.set(True)  # type: ignore[attr-defined]


def _recent_writer(request: HttpRequest) -> bool:
    try:
        return int(request.COOKIES.get(STICKY_COOKIE, "0")) > time.time()
    except ValueError:
        return False
