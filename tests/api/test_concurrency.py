"""The API under concurrent writers, and the sync protocol of its mirrors.

The PostgreSQL tests run real threads with their own connections and transactions (hence
``transaction=True``); on SQLite they are skipped by ``tests/conftest.py``, saying so. The last
tests check the cursor protocol without concurrency and run on both databases.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from ipplan.api.throttling import ClientRateThrottle
from ipplan.audit import delete_as
from ipplan.models import Tombstone
from tasks.choices import TaskStatus
from tasks.models import Plan, Section, Task
from tasks.services import plan_create, section_create, task_create

from ..conftest import World
from ..factories import client_for
from ..threads import guarded

PROBLEM = "application/problem+json"
SELF_SERVICE = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED]


def _client(user: Any) -> APIClient:
    """A token client that answers a server error with a 500 response instead of raising it."""
    client = client_for(user)
    client.raise_request_exception = False
    return client


def _task_url(pk: int) -> str:
    return f"/api/v1/tasks/{pk}/"


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-token budget (1200/min) is not under test; the writers below exceed it."""
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "1000000/min"})


# --- 1. one ETag, fifty writers ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_patches_with_the_same_etag_let_exactly_one_win(world: World) -> None:
    task = world.task
    n = 50
    clients = [_client(world.users["staff"]) for _ in range(n)]
    first = clients[0].get(_task_url(task.pk))
    assert first.status_code == 200
    etag = first["ETag"]
    version = first.json()["version"]
    assert etag == f'"task-{task.pk}-{version}"'
    history_before = task.history.count()

    barrier = threading.Barrier(n)
    answers: list[tuple[int, int, Any, str] | None] = [None] * n
    errors: list[BaseException] = []

    def patch(i: int) -> None:
        barrier.wait()
        response = clients[i].patch(
            _task_url(task.pk), {"progress": i + 1}, format="json", HTTP_IF_MATCH=etag
        )
        body = response.json() if response.content else None
        answers[i] = (i + 1, response.status_code, body, response.get("Content-Type", ""))

    threads = [threading.Thread(target=guarded(errors, patch), args=(i,)) for i in range(n)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    assert not errors, errors
    done = [a for a in answers if a is not None]
    assert len(done) == n
    statuses = Counter(status for _value, status, _body, _ctype in done)
    print(f"\n50 PATCHes: {dict(sorted(statuses.items()))} in {elapsed:.2f}s")
    assert not [a for a in done if a[1] >= 500], "server errors"
    assert statuses == {200: 1, 412: n - 1}

    (winner,) = [a for a in done if a[1] == 200]
    winning_progress, _status, winner_body, _ctype = winner
    assert winner_body["version"] == version + 1
    assert winner_body["progress"] == winning_progress
    for _value, status, body, content_type in done:
        if status == 412:
            assert content_type.startswith(PROBLEM)
            assert body["code"] == "precondition_failed"
            # whichever check refused it (If-Match or the row lock), it names the winner's version
            assert body["current"]["version"] == version + 1

    task.refresh_from_db()
    assert task.version == version + 1
    assert task.progress == winning_progress
    assert task.history.count() == history_before + 1  # one audit entry, from the winner
    latest = task.history.latest("history_date")
    assert latest.progress == winning_progress
    assert latest.history_user_id == world.users["staff"].pk


# --- 2. a mirror kept in sync while 600 updates run ----------------------------------------------


class TaskMirror:
    """A sync client: mirrors ``/api/v1/tasks/`` into ``tasks`` (by id) and drops deletions.

    The protocol (what the README describes for mirrors):

    1. First pass: walk ``/api/v1/tasks/?cursor=`` following ``next`` until it is null, upserting
       every row by id; the ``next_cursor`` of the last page marks where the walk ended (resuming
       from it alone is what step 2 shows to be insufficient under concurrent writes).
    2. ``updated_at`` is stamped when a write *starts*, but the row becomes visible when its
       transaction *commits*; a slow transaction can therefore commit a row whose ``updated_at``
       lies before rows the client has already passed, and resuming from the saved cursor alone
       would miss it. So the client keeps the highest ``updated_at`` it has seen and starts every
       later pass from an overlap: ``?updated_since=<highest - OVERLAP>&cursor=`` (OVERLAP = 5 s,
       far longer than any write transaction; a transaction open longer than the overlap could
       still be missed). Rows seen again are upserted again (idempotent).
    3. Then the same over ``/api/v1/deleted/?model=tasks.task&cursor=`` (later passes:
       ``deleted_since=<highest deleted_at - OVERLAP>``), dropping every ``object_id`` it lists.

    ``late_rows`` counts rows a pass found *behind* the end of the previous pass with a newer
    version than the mirror's: exactly what a cursor-only client would have missed.
    """

    OVERLAP = dt.timedelta(seconds=5)
    FIELDS = ("version", "progress", "status", "due_date", "updated_at")

    def __init__(self, client: APIClient, *, page_size: int = 100) -> None:
        self.client = client
        self.page_size = page_size
        self.tasks: dict[int, dict[str, Any]] = {}
        self.next_cursor: str | None = None
        self.highest: dt.datetime | None = None
        self.end_of_last_pass: tuple[dt.datetime, int] | None = None
        self.end_of_pass: tuple[dt.datetime, int] | None = None
        self.deleted_cursor: str | None = None
        self.highest_deleted: dt.datetime | None = None
        self.passes = 0
        self.pages = 0
        self.late_rows = 0
        self.dropped = 0

    def _walk(self, path: str, params: dict[str, str], apply: Any) -> str | None:
        url: str | None = f"{path}?{urlencode(params)}"
        next_cursor = None
        while url:
            response = self.client.get(url)
            self.pages += 1
            assert response.status_code == 200, (url, response.status_code, response.content[:500])
            body = response.json()
            apply(body["results"])
            next_cursor = body["next_cursor"]
            url = body["next"]
        return next_cursor

    def _upsert(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            moment = _moment(row["updated_at"])
            known = self.tasks.get(row["id"])
            if (
                self.end_of_last_pass is not None
                and (moment, row["id"]) <= self.end_of_last_pass
                and (known is None or known["version"] < row["version"])
            ):
                self.late_rows += 1
            self.tasks[row["id"]] = {field: row[field] for field in ("id", *self.FIELDS)}
            if self.highest is None or moment > self.highest:
                self.highest = moment
            if self.end_of_pass is None or (moment, row["id"]) > self.end_of_pass:
                self.end_of_pass = (moment, row["id"])

    def _drop(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            assert row["model"] == "tasks.task", row
            if self.tasks.pop(row["object_id"], None) is not None:
                self.dropped += 1
            moment = _moment(row["deleted_at"])
            if self.highest_deleted is None or moment > self.highest_deleted:
                self.highest_deleted = moment

    def sync(self) -> None:
        """One pass: tasks, then deletions."""
        self.end_of_pass = None
        params = {"page_size": str(self.page_size), "cursor": ""}
        if self.highest is not None:
            params["updated_since"] = (self.highest - self.OVERLAP).isoformat()
        self.next_cursor = self._walk("/api/v1/tasks/", params, self._upsert) or self.next_cursor
        if self.end_of_pass is not None:
            self.end_of_last_pass = max(self.end_of_pass, self.end_of_last_pass or self.end_of_pass)

        params = {"model": "tasks.task", "page_size": str(self.page_size), "cursor": ""}
        if self.highest_deleted is not None:
            params["deleted_since"] = (self.highest_deleted - self.OVERLAP).isoformat()
        self.deleted_cursor = self._walk("/api/v1/deleted/", params, self._drop) or self.deleted_cursor
        self.passes += 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sync_client_mirrors_tasks_exactly_during_concurrent_updates_and_deletions(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4 writers make 600 updates (progress/status as the lead department, now and then a
    deadline as the bureau) with If-Match, re-reading the ETag after a 412; an administrator
    deletes 10 tasks meanwhile; a TaskMirror (see its docstring for the protocol) syncs all along.
    After the writers stop, one more pass must leave the mirror equal to the database.

    600 updates over 190 tasks (three a task on average, a fifth of them outside the writer's
    share, so stale ETags and 412s) keep the writers busy for many sync passes and spread the ten
    deletions between them: every pass runs against uncommitted and committing writes, which is
    what the overlap must survive; more updates only repeat the same interleavings."""
    _unthrottled(monkeypatch)
    total_updates, n_writers, n_deletions = 600, 4, 10
    staff, bureau, admin = world.users["staff"], world.users["bureau"], world.users["admin"]

    plan = plan_create(actor=None, region=world.city, title="并发同步测试方案")
    section = section_create(plan=plan, label="一", title="任务")
    today = timezone.localdate()
    ids = [
        task_create(
            actor=None,
            plan=plan,
            section=section,
            path=f"一.{n}",
            number=n,
            order=n,
            title=f"同步任务{n}",
            due_date=today + dt.timedelta(days=30 + n),
            lead=[world.lead_dept],
        ).pk
        for n in range(1, 201)
    ]
    rng = random.Random(20260)
    victims = rng.sample(ids, n_deletions)
    # Writers leave the tasks to be deleted alone: a PATCH racing a deletion is the subject of
    # test_patch_racing_a_deletion_answers_without_a_server_error, not of this test.
    targets = [pk for pk in ids if pk not in set(victims)]

    mirror = TaskMirror(_client(bureau))
    # each writer works mostly on its own share of the tasks (as departments do), now and then on
    # any task: its cached ETags go stale now and then, and it re-reads them after the 412
    writers = [
        (_client(staff), _client(bureau), random.Random(i), targets[i::n_writers]) for i in range(n_writers)
    ]
    lock = threading.Lock()
    counts: Counter[str] = Counter()
    unexpected: list[tuple[str, int, int, bytes]] = []
    errors: list[BaseException] = []
    writers_done = threading.Event()

    def claim() -> bool:
        with lock:
            if counts["claimed"] >= total_updates:
                return False
            counts["claimed"] += 1
            return True

    def write(
        staff_client: APIClient, bureau_client: APIClient, wrng: random.Random, share: list[int]
    ) -> None:
        etags: dict[int, str] = {}  # this writer's idea of each task's ETag (often stale: a 412)
        while claim():
            pk = wrng.choice(share if wrng.random() < 0.8 else targets)
            deadline = wrng.random() < 0.03
            client = bureau_client if deadline else staff_client
            if deadline:
                payload: dict[str, Any] = {
                    "due_date": (today + dt.timedelta(days=wrng.randint(10, 400))).isoformat()
                }
            else:
                payload = {"progress": wrng.randint(0, 100)}
                if wrng.random() < 0.3:
                    payload["status"] = wrng.choice(SELF_SERVICE)
            for _attempt in range(100):
                if pk not in etags:
                    read = client.get(_task_url(pk))
                    with lock:
                        counts["reads"] += 1
                    if read.status_code != 200:
                        unexpected.append(("GET", pk, read.status_code, read.content[:300]))
                        return
                    etags[pk] = read["ETag"]
                response = client.patch(_task_url(pk), payload, format="json", HTTP_IF_MATCH=etags[pk])
                if response.status_code == 200:
                    etags[pk] = response["ETag"]
                    with lock:
                        counts["done"] += 1
                        counts["deadlines" if deadline else "progress"] += 1
                    break
                if response.status_code == 412:
                    assert response.json()["code"] == "precondition_failed"
                    with lock:
                        counts["412"] += 1
                    del etags[pk]  # re-read it
                    continue
                unexpected.append(("PATCH", pk, response.status_code, response.content[:300]))
                return
            else:
                unexpected.append(("PATCH", pk, 0, b"100 attempts in a row lost"))
                return

    def delete() -> None:
        for k, pk in enumerate(victims):
            # spread the deletions over the run
            while counts["done"] < (k + 1) * total_updates // (n_deletions + 2) and not writers_done.is_set():
                time.sleep(0.02)
            delete_as(Task.objects.get(pk=pk), actor=admin, reason="并发测试删除")

    def sync() -> None:
        while not writers_done.wait(0.2):  # a pass, a short pause, the next pass
            mirror.sync()

    threads = [threading.Thread(target=guarded(errors, write), args=w) for w in writers]
    deleter = threading.Thread(target=guarded(errors, delete))
    syncer = threading.Thread(target=guarded(errors, sync))
    started = time.perf_counter()
    for thread in [syncer, deleter, *threads]:
        thread.start()
    for thread in threads:
        thread.join()
    writers_done.set()
    deleter.join()
    syncer.join()
    mirror.sync()  # the final pass, after the writers stopped
    elapsed = time.perf_counter() - started

    print(
        f"\nsync under load: {counts['done']} updates ({counts['progress']} progress/status, "
        f"{counts['deadlines']} deadlines), {counts['412']} x 412 retried, {counts['reads']} ETag reads, "
        f"{n_deletions} deletions; mirror: {mirror.passes} passes, {mirror.pages} pages, "
        f"{mirror.late_rows} late rows caught by the overlap, {mirror.dropped} dropped; {elapsed:.1f}s"
    )
    assert not errors, errors
    assert not unexpected, unexpected[:5]
    assert counts["done"] == total_updates
    assert not Task.objects.filter(pk__in=victims).exists()

    expected = {
        row["id"]: row
        for row in Task.objects.filter(plan__region__path__startswith=world.city.path).values(
            "id", *TaskMirror.FIELDS
        )
    }
    assert set(mirror.tasks) == set(expected)
    assert not set(victims) & set(mirror.tasks)
    assert set(targets) <= set(mirror.tasks)
    mismatched = []
    for pk, row in expected.items():
        mirrored = mirror.tasks[pk]
        stored = {
            "version": row["version"],
            "progress": row["progress"],
            "status": row["status"],
            "due_date": row["due_date"].isoformat() if row["due_date"] else None,
            "updated_at": row["updated_at"],
        }
        seen = {**mirrored, "updated_at": _moment(mirrored["updated_at"])}
        seen.pop("id")
        if seen != stored:
            mismatched.append((pk, seen, stored))
    assert not mismatched, mismatched[:5]
    # the writers really moved things: 600 version bumps, less the few no-op PATCHes
    bumps = sum(expected[pk]["version"] - 1 for pk in targets)
    assert bumps > total_updates * 0.9


# --- 3. a PATCH racing a deletion ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_patch_racing_a_deletion_answers_without_a_server_error(world: World) -> None:
    """An administrator deletes a task while a PATCH of it waits for the row lock.

    The deletion runs in its own transaction and holds the task row; the PATCH has already read
    the task and passed the permission and If-Match checks, then blocks in ``lock_task``. When the
    deletion commits, the lock query finds no row. The task is gone: the answer should be a 404
    (or a 412), in problem+json, not a server error."""
    task = world.task
    staff = _client(world.users["staff"])
    etag = staff.get(_task_url(task.pk))["ETag"]
    deletion_holds_lock = threading.Event()
    patch_waits = threading.Event()
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def delete() -> None:
        with transaction.atomic():
            doomed = Task.objects.select_for_update().get(pk=task.pk)
            deletion_holds_lock.set()
            assert patch_waits.wait(30), "the PATCH never waited for the row lock"
            delete_as(doomed, actor=world.users["admin"])

    def patch() -> None:
        deletion_holds_lock.wait(30)
        response = staff.patch(_task_url(task.pk), {"progress": 40}, format="json", HTTP_IF_MATCH=etag)
        answer["status"], answer["type"] = response.status_code, response.get("Content-Type", "")
        answer["body"] = response.json() if response.content else None

    deleter = threading.Thread(target=guarded(errors, delete))
    patcher = threading.Thread(target=guarded(errors, patch))
    deleter.start()
    patcher.start()
    deletion_holds_lock.wait(30)
    # wait until the PATCH's backend is blocked on the deletion's row lock
    with connection.cursor() as cursor:
        for _ in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
            )
            if cursor.fetchone()[0]:
                patch_waits.set()
                break
            time.sleep(0.01)
    patch_waits.set()  # if it never blocked, let the deletion go on anyway (and the checks speak)
    deleter.join()
    patcher.join()
    assert not errors, errors
    assert not Task.objects.filter(pk=task.pk).exists()
    print(f"\nPATCH racing a deletion: {answer['status']} {answer['body']}")
    assert answer["status"] < 500, f"server error: {answer}"
    assert answer["status"] in (404, 412), answer
    assert answer["type"].startswith(PROBLEM)


# --- 4. the cursor protocol, without concurrency (both databases) ------------------------------


def _walk(client: APIClient, url: str) -> tuple[list[list[dict[str, Any]]], str | None]:
    """Follow ``next`` from ``url``: the pages' results and the last ``next_cursor``."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    cursor = None
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert set(body) >= {"next", "next_cursor", "results"}
        pages.append(body["results"])
        cursor, next_url = body["next_cursor"], body["next"]
        assert len(pages) < 100, "the cursor does not advance"
    return pages, cursor


@pytest.mark.django_db
def test_cursor_walks_every_task_once_in_change_order_and_resumes(world: World, api: Any) -> None:
    for n in range(3, 8):
        task_create(
            actor=None,
            plan=world.plan,
            path=f"二.(一).{n}",
            number=n,
            title=f"任务{n}",
            lead=[world.lead_dept],
        )
    in_city = Task.objects.filter(plan__region=world.city)
    # three tasks changed "at the same instant": the id breaks the tie, across page boundaries too
    tied = list(in_city.order_by("id").values_list("id", flat=True)[2:5])
    Task.objects.filter(pk__in=tied).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    expected = list(in_city.order_by("updated_at", "id").values_list("id", flat=True))
    assert len(expected) == 7

    bureau = api("bureau")
    pages, cursor = _walk(bureau, "/api/v1/tasks/?cursor=&page_size=2")
    seen = [row["id"] for page in pages for row in page]
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert seen == expected  # every task once, in (updated_at, id) order; not the foreign one
    assert world.foreign_task.pk not in seen
    keys = [(_moment(row["updated_at"]), row["id"]) for page in pages for row in page]
    assert keys == sorted(keys)
    assert cursor

    # nothing changed: resuming gives nothing and keeps the cursor
    response = bureau.get("/api/v1/tasks/", {"cursor": cursor, "page_size": 2})
    assert response.json() == {"next": None, "previous": None, "next_cursor": cursor, "results": []}

    # a task changes after the walk: the next resume brings it, and only it
    staff = api("staff")
    etag = staff.get(_task_url(world.task.pk))["ETag"]
    assert (
        staff.patch(_task_url(world.task.pk), {"progress": 55}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    pages, new_cursor = _walk(bureau, f"/api/v1/tasks/?{urlencode({'cursor': cursor, 'page_size': 2})}")
    changed = [row for page in pages for row in page]
    assert [(row["id"], row["progress"], row["version"]) for row in changed] == [(world.task.pk, 55, 2)]
    assert new_cursor and new_cursor != cursor


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/deleted/"])
def test_an_invalid_cursor_is_a_400_naming_the_cursor(world: World, api: Any, path: str) -> None:
    naive = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", 1]).encode()).decode()
    not_a_pk = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+08:00", "1"]).encode()).decode()
    for bad in ["garbage", "!!!", naive, not_a_pk, "eyJ4Ijo"]:
        response = api("bureau").get(path, {"cursor": bad})
        assert response.status_code == 400, (bad, response.status_code)
        assert response["Content-Type"].startswith(PROBLEM)
        body = response.json()
        assert body["code"] == "invalid"
        assert "cursor" in body["errors"], body


@pytest.mark.django_db
def test_deleted_lists_a_deleted_plan_with_its_tasks_and_sections_in_its_region_only(
    world: World, api: Any
) -> None:
    bureau, other_bureau = api("bureau"), api("other_bureau")
    pages, cursor = _walk(bureau, "/api/v1/deleted/?cursor=")
    assert pages == [[]]  # nothing deleted yet

    plan = world.plan
    task_ids = set(Task.objects.filter(plan=plan).values_list("id", flat=True))
    section_ids = set(Section.objects.filter(plan=plan).values_list("id", flat=True))
    assert len(task_ids) == 2 and len(section_ids) == 2
    admin = world.users["admin"]
    delete_as(Plan.objects.get(pk=plan.pk), actor=admin)
    delete_as(Plan.objects.get(pk=world.foreign_plan.pk), actor=admin)
    assert Tombstone.objects.filter(model="tasks.plan").count() == 2

    pages, cursor = _walk(bureau, "/api/v1/deleted/?cursor=&page_size=3")
    rows = [row for page in pages for row in page]
    listed = {(row["model"], row["object_id"]) for row in rows}
    assert ("tasks.plan", plan.pk) in listed
    assert {("tasks.task", pk) for pk in task_ids} <= listed
    assert {("tasks.section", pk) for pk in section_ids} <= listed
    assert ("tasks.plan", world.foreign_plan.pk) not in listed
    assert ("tasks.task", world.foreign_task.pk) not in listed
    assert len(listed) == len(rows)  # no duplicates across pages
    keys = [(_moment(row["deleted_at"]), row["id"]) for row in rows]
    assert keys == sorted(keys)

    only_tasks, _cursor = _walk(bureau, "/api/v1/deleted/?model=tasks.task&cursor=")
    assert {(row["model"], row["object_id"]) for page in only_tasks for row in page} == {
        ("tasks.task", pk) for pk in task_ids
    }

    theirs, _cursor = _walk(other_bureau, "/api/v1/deleted/?cursor=")
    their_listed = {(row["model"], row["object_id"]) for page in theirs for row in page}
    assert ("tasks.plan", world.foreign_plan.pk) in their_listed
    assert ("tasks.task", world.foreign_task.pk) in their_listed
    assert ("tasks.plan", plan.pk) not in their_listed
    assert not {("tasks.task", pk) for pk in task_ids} & their_listed

    # resuming after the walk: nothing new
    response = bureau.get("/api/v1/deleted/", {"cursor": cursor})
    assert response.json()["results"] == []
