"""The optional read replica: which reads go to it, and PgBouncer's setting."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from ipplan import dbrouter
from ipplan.dbrouter import ReplicaReadMiddleware, ReplicaRouter, read_alias, replica_reads

from ..support.processes import clean_env, manage, migrated_sqlite


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    monkeypatch.setattr(dbrouter, "replica_reachable", lambda: True)


def test_without_a_replica_everything_reads_the_primary() -> None:
    with replica_reads():
        assert read_alias() == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_go_to_the_replica_only_when_asked_and_outside_a_transaction(with_replica: None) -> None:
    from django.db import transaction

    router = ReplicaRouter()
    assert router.db_for_read(object) == "default"
    with replica_reads():
        assert router.db_for_read(object) == "replica"
        assert router.db_for_write(object) == "default"
        with transaction.atomic():  # what this transaction wrote is only on the primary
            assert router.db_for_read(object) == "default"
    assert router.db_for_read(object) == "default"
    assert router.allow_migrate("default", "tasks") and not router.allow_migrate("replica", "tasks")


def _through(request: HttpRequest, view: Any) -> tuple[str, HttpResponse]:
    """The middleware around ``view`` as Django calls them; returns where the view's reads went."""
    seen: list[str] = []

    def wrapped(req: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seen.append(read_alias())
        return HttpResponse()

    wrapped.actions = getattr(view, "actions", None)  # type: ignore[attr-defined]

    def get_response(req: HttpRequest) -> HttpResponse:
        middleware.process_view(req, wrapped, (), {})
        return wrapped(req)

    middleware = ReplicaReadMiddleware(get_response)
    request.resolver_match = resolve(request.path)
    response = middleware(request)
    assert read_alias() == "default"  # reset once the view has answered
    return seen[0], response


def test_dashboards_exports_and_api_lists_read_the_replica(with_replica: None, rf: RequestFactory) -> None:
    for path in ("/dashboard/", "/tasks/ledger.xlsx", "/assessment/export.xlsx"):
        assert _through(rf.get(path), resolve(path).func)[0] == "replica", path
    api_list = resolve("/api/v1/tasks/").func
    assert _through(rf.get("/api/v1/tasks/"), api_list)[0] == "replica"
    api_detail = resolve("/api/v1/tasks/1/").func
    assert _through(rf.get("/api/v1/tasks/1/"), api_detail)[0] == "default"
    # the task page and every other page: the primary
    assert _through(rf.get("/tasks/1/"), resolve("/tasks/1/").func)[0] == "default"


def test_a_write_keeps_the_browser_on_the_primary_for_a_while(with_replica: None, rf: RequestFactory) -> None:
    alias, response = _through(rf.post("/dashboard/"), resolve("/dashboard/").func)
    assert alias == "default"  # a POST is never sent to the replica
    cookie = response.cookies[dbrouter.STICKY_COOKIE]
    assert int(cookie.value) > time.time() and cookie["httponly"]
    after = rf.get("/dashboard/")
    after.COOKIES[dbrouter.STICKY_COOKIE] = cookie.value
    assert _through(after, resolve("/dashboard/").func)[0] == "default"
    expired = rf.get("/dashboard/")
    expired.COOKIES[dbrouter.STICKY_COOKIE] = str(int(time.time()) - 1)
    assert _through(expired, resolve("/dashboard/").func)[0] == "replica"


def test_a_replica_that_is_down_leaves_the_dashboard_on_the_primary(
    with_replica: None, monkeypatch: pytest.MonkeyPatch, rf: RequestFactory
) -> None:
    monkeypatch.setattr(dbrouter, "replica_reachable", lambda: False)
    assert _through(rf.get("/dashboard/"), resolve("/dashboard/").func)[0] == "default"


CHECK = """
import json
from django.conf import settings
from django.db import connections
from departments.choices import RegionLevel
from departments.models import Region
from ipplan.dbrouter import replica_reachable, replica_reads
Region.objects.create(code="440000", name="广东省", level=RegionLevel.PROVINCE)
with replica_reads():
    on_replica = Region.objects.count()
    names = list(Region.objects.values_list("name", flat=True))
print("CHECK " + json.dumps({
    "primary": Region.objects.count(), "replica": on_replica, "reachable": replica_reachable(),
    "last_middleware": settings.MIDDLEWARE[-1],
    "cursors": [connections[a].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS") for a in ("default", "replica")],
}))
"""


@pytest.mark.embedded
def test_two_real_databases_reads_in_replica_block_see_the_copy(tmp_path: Path) -> None:
    """Two SQLite files: the replica is a copy taken before a write to the primary, so a read
    that reaches it does not see that write (as a lagging replica would not)."""
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{primary}")
    migrated_sqlite(primary)
    shutil.copy(primary, replica)
    env |= {"DATABASE_REPLICA_URL": f"sqlite:///{replica}", "DATABASE_PGBOUNCER": "1"}
    result = manage("shell", "-c", CHECK, env=env)
    line = next((x for x in result.stdout.splitlines() if x.startswith("CHECK ")), None)
    assert line is not None, result.stdout + result.stderr
    found = json.loads(line[6:])
    assert found == {
        "primary": 1,
        "replica": 0,
        "reachable": True,
        "last_middleware": "ipplan.dbrouter.ReplicaReadMiddleware",
        "cursors": [True, True],
    }
    env["DATABASE_REPLICA_URL"] = f"sqlite:///{tmp_path / 'missing' / 'replica.sqlite3'}"
    down = manage(
        "shell",
        "-c",
        "from ipplan.dbrouter import replica_reachable; print('UP', replica_reachable())",
        env=env,
    )
    assert "UP False" in down.stdout, down.stdout + down.stderr
