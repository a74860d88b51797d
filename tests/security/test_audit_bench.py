"""Benchmark (prints figures, asserts only correctness): the cost of one security event and of
verifying the chain. Run with ``-s`` to see the figures:

    bin/test tests/security/test_audit_bench.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from ipplan.security.choices import EventAction
from ipplan.security.export import verify_chain
from ipplan.security.services import security_event

pytestmark = pytest.mark.django_db

EVENTS = 2000


def test_write_and_verify_figures() -> None:
    started = time.perf_counter()
    for i in range(EVENTS):
        security_event(action=EventAction.EXPORT, actor_name=f"bench{i % 7}", detail={"i": i, "q": "plan=1"})
    written = time.perf_counter() - started
    started = time.perf_counter()
    result = verify_chain()
    verified = time.perf_counter() - started
    assert result.ok and result.checked == EVENTS
    print(
        f"\n[{connection.vendor}] {EVENTS} security events: {written * 1000 / EVENTS:.2f} ms each "
        f"({EVENTS / written:.0f}/s); audit_verify {EVENTS / verified:.0f} records/s"
    )
