"""Two web nodes behind nginx, two Celery workers and one beat on one PostgreSQL database, Redis and
a shared file store (tests/cluster/cluster.py starts them all on loopback).

Under a steady load (client threads reading task pages and the API and posting progress reports
with a file) one web node is killed with SIGKILL and started again. Every request that fails must
have been in flight on the killed node when it died (nginx's access log names the upstream each
request went to): nginx sends the safe ones on to the other node and never a POST twice. No
report is stored twice, and the reminder sweep that beat runs during the load mails each of its
reminders exactly once. The figures are printed, with the throughput of the pair against one node.

The cluster is started once for the module; each test finds it as started (no beat, no reminders,
empty access logs) and tells its own progress reports apart by its clients' names.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from ..support.processes import free_port, needs_redis_server
from .cluster import EXPECTED, Client, Cluster, Node, Record, percentile, run_load

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
        reason="needs Debian's nginx (apt-get install nginx)",
    ),
    needs_redis_server,
]

DUE = 150  # tasks due today: the sweep makes one reminder each
CLIENTS = 4
LOAD_SECONDS = float(os.environ.get("IPPLAN_CLUSTER_LOAD_SECONDS", "24"))
KILL_AFTER = LOAD_SECONDS / 3
# the evidence files of one test's progress reports (their texts start "load <tag>")
ATTACHMENTS = (
    "select {what} from tasks_attachment a join tasks_progressreport r on r.id = a.report_id "
    "where r.text like %s"
)


@pytest.fixture(scope="module")
def running_cluster(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    c = Cluster(tmp=tmp_path_factory.mktemp("cluster"), params=dict(connection.settings_dict))
    try:
        c.start(due=DUE, clients=2 * CLIENTS)
        yield c
    finally:
        c.close()


@pytest.fixture
def cluster(running_cluster: Cluster) -> Cluster:
    """The module's cluster, as it was started."""
    running_cluster.reset()
    return running_cluster


def _clients(cluster: Cluster, base: str, count: int = CLIENTS, tag: str = "") -> list[Client]:
    """Signed-in clients named ``<tag>c<i>``: their load ids and report texts carry the name."""
    clients = [
        Client(f"{tag}c{i}", item["username"], item["token"], item["tasks"])
        for i, item in enumerate(cluster.setup["clients"][:count])
    ]
    for client in clients:
        client.login(base)
    return clients


def _figures(records: list[Record]) -> str:
    times = [(r.end - r.start) * 1000 for r in records]
    return f"p50 {percentile(times, 0.5):.0f} ms, p95 {percentile(times, 0.95):.0f} ms"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("whole", [True, False], ids=["master-and-workers", "master-only"])
def test_a_web_node_killed_under_load_loses_only_its_requests_in_flight(
    cluster: Cluster, whole: bool
) -> None:
    base = cluster.base("pair")
    tag = "whole-" if whole else "master-"  # this test's reports: "load whole-c0-1", ...
    clients = _clients(cluster, base, tag=tag)
    killed = cluster.nodes[0]
    records: list[Record] = []
    cluster.start_beat()  # beat ticks delivery (and a sweep of today) every second or three
    started = time.monotonic()
    load = threading.Thread(target=run_load, args=(base, clients, LOAD_SECONDS, records))
    load.start()
    time.sleep(KILL_AFTER / 2)
    # the reminder sweep of the day the tasks are due, twice at once (to both workers)
    for _ in range(2):
        cluster.send("tasks.jobs.reminders_tick", as_of=cluster.setup["as_of"])
    time.sleep(KILL_AFTER / 2)
    kill_at = time.monotonic()
    cluster.kill_node(killed, whole=whole)
    dead_at = time.monotonic()  # master reaped, the port closed: the workers are gone too
    cluster.start_node(killed)
    cluster.wait_node(killed)
    back_after = time.monotonic() - kill_at
    load.join()
    elapsed = time.monotonic() - started

    # -- requests --------------------------------------------------------------------------
    log = cluster.access_log("pair")
    port = f"127.0.0.1:{killed.port}"
    failed = [r for r in records if r.status != EXPECTED[r.kind]]
    # in flight on the node while it died: started before it was gone, not answered when killed
    in_flight = [r for r in records if r.start < dead_at and r.end > kill_at]
    on_killed = [r for r in in_flight if port in log.get(r.load_id, ("", "", ""))[0]]
    retried = [r for r in on_killed if r.status == EXPECTED[r.kind]]
    after_restart = [r for r in records if r.start > kill_at + back_after]
    served_by_restarted = sum(1 for r in after_restart if log.get(r.load_id, ("",))[0].endswith(port))
    by_kind = Counter(r.kind for r in records)
    print(
        f"\nSIGKILL to {'a node' if whole else 'a master'}; two nodes x 2 gunicorn workers behind nginx, "
        f"{CLIENTS} clients, {elapsed:.1f} s: "
        f"{len(records)} requests ({dict(by_kind)}), {len(failed)} failed "
        f"({Counter((r.kind, r.status) for r in failed)}); at the kill {len(in_flight)} in flight, "
        f"{len(on_killed)} of them on the killed node ({len(retried)} answered by the other node), "
        f"gone {1000 * (dead_at - kill_at):.0f} ms after the SIGKILL; "
        f"node back in {back_after:.1f} s, then served {served_by_restarted} of {len(after_restart)}; "
        f"{_figures(records)}"
    )
    assert len(records) > 30 and by_kind["post"] > 5
    assert {r.load_id for r in failed} <= {r.load_id for r in on_killed}, [
        (r, log.get(r.load_id)) for r in failed
    ]
    assert len(failed) <= len(on_killed)
    assert all(r.kind == "post" for r in failed)  # reads in flight were sent on to the other node
    assert served_by_restarted > 0  # nginx uses the node again once it is back

    # -- progress reports: none twice, every acknowledged one stored ---------------------------
    mine = (f"load {tag}%",)
    rows = dict(
        cluster.query(
            "select text, count(*) from tasks_progressreport where text like %s group by text", mine
        )
    )
    posted = {f"load {r.load_id}": r for r in records if r.kind == "post"}
    assert max(rows.values()) == 1, [t for t, n in rows.items() if n > 1]
    assert all(rows.get(text) == 1 for text, r in posted.items() if r.status == 201)
    assert set(rows) <= set(posted)
    files = cluster.query(ATTACHMENTS.format(what="count(*)"), mine)[0][0]
    assert files == len(rows)  # one evidence file each, in the shared store

    # -- reminders: each of the sweep's once, mailed once -----------------------------------------
    def done() -> bool:
        return cluster.notification_states()[("due_today", "sent")] == DUE

    deadline = time.monotonic() + 180
    while not done() and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)  # a late copy would show up now
    states = cluster.notification_states()
    assert cluster.smtp is not None
    keys = cluster.smtp.keys()
    print(f"reminders: {dict(states)}; {sum(keys.values())} mails, {len(keys)} distinct")
    assert states == Counter({("due_today", "sent"): DUE})
    assert len(keys) == DUE and max(keys.values()) == 1

    # -- a file stored through one node is served by the other ---------------------------------
    attachment = cluster.query(ATTACHMENTS.format(what="min(a.id)"), mine)[0][0]
    client = clients[0]
    bodies = []
    for node in cluster.nodes:
        request = urllib.request.Request(
            f"http://127.0.0.1:{node.port}/api/v1/attachments/{attachment}/download/"
        )
        request.add_header("Authorization", f"Bearer {client.token}")
        status, body = client.open(request)
        bodies.append((status, body))
    assert bodies[0] == bodies[1] and bodies[0][0] == 200 and "进展材料".encode() in bodies[0][1]


@pytest.mark.benchmark
@pytest.mark.django_db(transaction=True)
def test_throughput_of_two_nodes_against_one(cluster: Cluster) -> None:
    """The same load through nginx to one node, to both, and (for comparison) to one node with as
    many gunicorn workers as the pair has (figures for README "Scaling out")."""
    seconds = float(os.environ.get("IPPLAN_CLUSTER_BENCH_SECONDS", "15"))
    wide = Node("web-c", free_port())
    cluster.nodes.append(wide)  # stopped with the rest
    cluster.start_node(wide, workers=4)
    cluster.wait_node(wide)
    cluster.start_nginx("wide", [wide.port])
    labels = {
        "single": "one node, 2 workers ",
        "pair": "two nodes, 2 workers each",
        "wide": "one node, 4 workers ",
    }
    results: dict[str, list[float]] = {}
    figures: dict[str, list[str]] = {}
    # alternated, and in the opposite order the second time: the machine is shared
    for name in ("single", "pair", "wide", "wide", "pair", "single"):
        base = cluster.base(name)
        clients = _clients(cluster, base, 2 * CLIENTS)
        for i, client in enumerate(clients):
            client.name = f"{name}{len(results.get(name, []))}-{i}"
        records: list[Record] = []
        run_load(base, clients, seconds, records)
        ok = [r for r in records if r.status == EXPECTED[r.kind]]
        assert len(ok) == len(records), Counter((r.kind, r.status) for r in records)
        results.setdefault(name, []).append(len(ok) / seconds)
        figures.setdefault(name, []).append(f"{len(ok) / seconds:.1f} req/s, {_figures(ok)}")
    print(f"\n{2 * CLIENTS} clients (pages, API reads, reports with a file), {os.cpu_count()} cores:")
    for name, label in labels.items():
        print(f"  {label}: {'; '.join(figures[name])}")
    mean = {name: sum(rates) / len(rates) for name, rates in results.items()}
    print(f"  pair / one node: {mean['pair'] / mean['single']:.2f}; pair / one node with 4 workers: "
          f"{mean['pair'] / mean['wide']:.2f}")  # fmt: skip
    assert all(rate > 0 for rate in mean.values())
