"""Shared fixtures: a small world of regions, departments, users of every role, and a plan."""

from __future__ import annotations

import os
import re

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.signals import clear_cache_handlers
from django.utils import translation

from ipplan.hashers import PBKDF2SM3PasswordHasher

from .factories import PASSWORD, World, make_world
from .support.matrix import _fresh_state, _media, _world_once, _world_rows, matrix_world
from .support.querycount import ConstantQueries, constant_queries_check

__all__ = ["PASSWORD", "World", "make_world"]
# the API matrix's fixtures, for any test module that checks an endpoint with ``matrix_case`` or takes
# ``world_once``
MATRIX_FIXTURES = (_fresh_state, _media, _world_once, _world_rows, matrix_world)


def pytest_configure(config: pytest.Config) -> None:
    # Hashing is not under test here; the default hasher costs a quarter second per user. With
    # IPPLAN_PASSWORD_HASHER=sm3 (one CI run) the SM3 hasher runs everywhere, at fewer rounds.
    if settings.IPPLAN_PASSWORD_HASHER == "sm3":
        settings.PASSWORD_HASHERS = ["tests.conftest.QuickSM3PasswordHasher"]
    else:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Most tests sign in with force_login or the password form; the security tests switch the
    # two-factor requirement on (production: IPPLAN_2FA_REQUIRED_ROLES).
    settings.IPPLAN_2FA_REQUIRED_ROLES = []
    # The test client speaks plain HTTP; production keeps the redirect (see test_startup).
    settings.SECURE_SSL_REDIRECT = False
    # A test's writes never commit (each test is rolled back), so the dashboard figures cache,
    # dropped on commit, would serve one test's figures to the next: off, except in its own tests.
    settings.IPPLAN_FIGURES_CACHE_SECONDS = 0
    # The same for the dashboard ranking's stored department counts (marked stale on commit).
    settings.IPPLAN_STORED_DEPARTMENT_FIGURES = False
    # Every test client loads the middleware afresh, and whitenoise would walk and stat every static
    # file of the finders each time (~10 ms a client, thousands of clients a run): it looks a file
    # up when it is asked for instead (what it does in development), serving the same files.
    settings.WHITENOISE_AUTOREFRESH = True
    _own_redis_databases()
    config.pluginmanager.register(_LongestFirst(), "ipplan-longest-first")


#: how many Redis databases one pytest-xdist worker takes: the cache's and the broker's
REDIS_DATABASES_PER_WORKER = 2


def _worker_redis_url(url: str, worker: int) -> str:
    """``url`` moved ``worker`` blocks of Redis databases up (redis://host:port/1 → /3 for gw1)."""
    match = re.fullmatch(r"(rediss?://[^/]*)(?:/(\d+))?(.*)", url)
    if not match:
        return url
    number = int(match.group(2) or 0) + worker * REDIS_DATABASES_PER_WORKER
    if number > 15:
        raise pytest.UsageError(
            f"{url}: pytest-xdist worker gw{worker} would use Redis database {number} (Redis has 0-15); "
            "start from a lower database number or run fewer workers (-n)"
        )
    return f"{match.group(1)}/{number}{match.group(3)}"


def _own_redis_databases() -> None:
    """Under pytest-xdist every worker gets Redis databases of its own (cache and broker), so that
    one worker's ``cache.clear()`` (a FLUSHDB) never empties another's throttles and counters.
    Worker gwN adds 2N to the database numbers of REDIS_URL and CELERY_BROKER_URL, in the settings
    and in the environment that the processes a test starts inherit."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0":
        return
    index = int(worker[2:])
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = getattr(settings, name, "")
        if url.startswith(("redis://", "rediss://")):
            moved = _worker_redis_url(url, index)
            setattr(settings, name, moved)
            if os.environ.get(name):
                os.environ[name] = _worker_redis_url(os.environ[name], index)
    if settings.REDIS_URL:
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
        clear_cache_handlers(setting="CACHES")
    if settings.CELERY_BROKER_URL.startswith("redis"):
        current_app.conf.broker_url = settings.CELERY_BROKER_URL


class QuickSM3PasswordHasher(PBKDF2SM3PasswordHasher):
    """PBKDF2-HMAC-SM3 as in production, with fewer rounds so that the suite stays fast."""

    iterations = 1000  # type: ignore[assignment]


#: Tests that share something costly to start run on one pytest-xdist worker (``--dist loadgroup``):
#: a server started once per worker session (slapd and the OIDC provider, the S3 server) or once
#: per module (gunicorn), or a broker heavy enough that two at a time only slow each other down.
#: Everything else binds free ports and uses databases of its own, and is spread test by test.
XDIST_GROUPS = {
    "tests/directory/": "directory",  # session: slapd, the OIDC provider
    "tests/storage/": "storage",  # session: moto's S3 server
    "tests/ops/test_gunicorn_metrics.py": "gunicorn-metrics",  # module: gunicorn, 3 workers
    "tests/security/test_bodies.py": "gunicorn-bodies",  # module: gunicorn under a memory limit
    "tests/broker/test_routing.py": "broker-routing",  # module: its own broker set-up
    "tests/broker/test_rabbitmq": "rabbitmq",  # a RabbitMQ server per test: one at a time
    "tests/cluster/": "cluster",  # module: two web nodes, two workers, nginx, Redis, a database
}


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Long binary parameters (generated files) are named by their argument's name: their bytes, even
    their size, may differ from one process to the next (the timestamps inside a zip), and
    pytest-xdist needs every worker to collect the same test ids. pytest numbers ids that come out
    alike, by position."""
    if isinstance(val, bytes | bytearray) and len(val) > 32:
        return argname
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL tests on SQLite, saying so; in the CI PostgreSQL run such a skip fails.
    Mark the tests of ``XDIST_GROUPS`` with their group."""
    on_pg = connection.vendor == "postgresql"
    if os.environ.get("IPPLAN_REQUIRE_POSTGRES") == "1" and not on_pg:
        raise pytest.UsageError("IPPLAN_REQUIRE_POSTGRES=1 but DATABASE_URL is not a PostgreSQL database")
    for item in items:
        if item.get_closest_marker("postgres") and not on_pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: this run uses SQLite"))
        group = next((name for prefix, name in XDIST_GROUPS.items() if item.nodeid.startswith(prefix)), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


#: Tests long enough that a pass would end waiting for them if they started late: they are put at the
#: head of the collection, so that pytest-xdist hands them out first (pytest itself moves a test that
#: uses the session's live server towards the end, which started the fuzz six minutes into the pass
#: and left one worker running it alone for its last four).
START_FIRST = ("tests/api/test_fuzz.py",)


class _LongestFirst:
    @pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture scope
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=lambda item: not item.nodeid.startswith(START_FIRST))


@pytest.fixture(autouse=True)
def _site_language_afterwards() -> object:
    """A request in English leaves English active in the test's thread (LocaleMiddleware activates
    the request's language and nothing switches it back), and code that runs later in that thread,
    a worker's job called in a test for one, would then write English where the site's language is
    expected: every test ends in the site's language, as a fresh worker process starts."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def constant_queries(client: Client, world: World) -> ConstantQueries:
    """``constant_queries(url, user="staff")``: the page's query count does not grow with the rows
    it lists (tests/support/querycount.py); ``grow=`` adds other rows than the world's tasks."""
    return constant_queries_check(client, world)
