"""Concurrent writers keep the security audit chain whole (PostgreSQL: real transactions, threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction

from ipplan.security.choices import EventAction
from ipplan.security.export import verify_chain
from ipplan.security.models import SecurityChainHead, SecurityEvent
from ipplan.security.services import security_event

from ..threads import in_threads

WRITERS, EACH = 8, 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_valid() -> None:
    counter = iter(range(WRITERS))
    lock = threading.Lock()

    def write() -> int:
        with lock:
            writer = next(counter)
        for i in range(EACH):
            if i % 5 == 0:
                # some events inside a caller's transaction that does other work first
                with transaction.atomic():
                    security_event(action=EventAction.ROLE_CHANGE, actor_name=f"w{writer}", detail={"i": i})
            else:
                security_event(action=EventAction.EXPORT, actor_name=f"w{writer}", detail={"i": i})
        return writer

    assert sorted(in_threads(write, n=WRITERS)) == list(range(WRITERS))
    seqs = list(SecurityEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    result = verify_chain()
    assert result.ok, result.reason
    assert result.checked == WRITERS * EACH
    assert SecurityChainHead.objects.get(pk=1).seq == WRITERS * EACH
