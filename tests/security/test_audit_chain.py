"""The security audit log's HMAC chain: append-only, verified, tamper found, pruned, concurrent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from ipplan.security.chain import GENESIS, canonical, chain_algorithm, compute_mac, fields_of
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.export import verify_chain
from ipplan.security.models import AppendOnlyError, SecurityChainHead, SecurityEvent
from ipplan.security.services import flush_pending, security_event, security_events_prune

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[SecurityEvent]:
    made = []
    for i in range(n):
        event = security_event(
            action=EventAction.EXPORT, actor_name=f"user{i}", detail={"i": i, "名": "台账"}
        )
        assert event is not None
        made.append(event)
    return made


def _raw_update(seq: int, column: str, value: object) -> None:
    """What someone with database access would do (on PostgreSQL past the append-only trigger)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE ipplan_securityevent DISABLE TRIGGER ipplan_securityevent_append_only"
            )
        cursor.execute(f"UPDATE ipplan_securityevent SET {column} = %s WHERE seq = %s", [value, seq])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE ipplan_securityevent ENABLE TRIGGER ipplan_securityevent_append_only")


def _raw_delete(seq: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL ipplan.audit_prune = 'on'")
        cursor.execute("DELETE FROM ipplan_securityevent WHERE seq = %s", [seq])


def _verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), err.getvalue()


def test_records_chain_to_each_other_with_sm3_where_available() -> None:
    first, second, third = _events(3)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_mac == GENESIS and second.prev_mac == first.mac and third.prev_mac == second.mac
    expected = "hmac-sm3" if "sm3" in hashlib.algorithms_available else "hmac-sha256"
    assert {e.algorithm for e in (first, second, third)} == {expected} == {chain_algorithm()}
    stored = SecurityEvent.objects.get(seq=2)
    assert stored.mac == compute_mac(fields_of(stored)) and len(stored.mac) == 64
    head = SecurityChainHead.objects.get(pk=1)
    assert (head.seq, head.mac) == (3, third.mac)
    assert _verify()[0] == 0 and "3 records #1..#3 verified" in _verify()[1]


def test_the_algorithm_is_stored_per_record_and_both_verify() -> None:
    with override_settings(IPPLAN_AUDIT_HMAC_ALGORITHM="hmac-sha256"):
        _events(2)
    _events(1)
    assert SecurityEvent.objects.get(seq=1).algorithm == "hmac-sha256"
    assert verify_chain().ok


def test_the_key_comes_from_the_setting() -> None:
    with override_settings(IPPLAN_AUDIT_HMAC_KEY="one key"):
        _events(2)
        assert verify_chain().ok
    with override_settings(IPPLAN_AUDIT_HMAC_KEY="another key"):
        result = verify_chain()
    assert result.broken_seq == 1 and "MAC" in result.reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_name", "someone else"),
        ("result", "refused"),
        ("detail", json.dumps({"i": 99})),
        ("source_ip", "10.9.9.9"),
    ],
)
def test_tampering_with_one_record_is_named_by_the_verify_command(column: str, value: object) -> None:
    _events(5)
    _raw_update(3, column, value)
    code, _out, message = _verify()
    assert code == 1
    assert "record #3" in message


def test_a_removed_record_is_named() -> None:
    _events(5)
    _raw_delete(2)
    code, _out, message = _verify()
    assert code == 1 and "record #3" in message and "missing" in message


def test_removing_the_newest_records_is_noticed_through_the_head() -> None:
    _events(4)
    _raw_delete(4)
    code, _out, message = _verify()
    assert code == 1 and "record #4" in message and "head" in message


def test_a_recomputed_mac_without_the_key_does_not_pass() -> None:
    _events(3)
    forged = fields_of(SecurityEvent.objects.get(seq=2)) | {"actor_name": "mallory"}
    import hmac as hmac_module

    _raw_update(2, "actor_name", "mallory")
    _raw_update(2, "mac", hmac_module.new(b"guessed key", canonical(forged), "sha256").hexdigest())
    assert verify_chain().broken_seq == 2


def test_the_model_refuses_update_and_delete() -> None:
    event = _events(1)[0]
    event.actor_name = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(actor_name="x")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get(pk=event.pk).actor_name == "user0"


@pytest.mark.postgres
def test_postgresql_trigger_refuses_update_and_delete_in_sql() -> None:
    from django.db import DatabaseError

    _events(2)
    for sql in (
        "UPDATE ipplan_securityevent SET actor_name = 'x' WHERE seq = 1",
        "DELETE FROM ipplan_securityevent WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert SecurityEvent.objects.count() == 2 and verify_chain().ok


def test_prune_refuses_fewer_than_180_days() -> None:
    _events(2)
    with pytest.raises(CommandError, match="180"):
        call_command("audit_prune", "--days", "179")
    with override_settings(IPPLAN_AUDIT_KEEP_DAYS=30), pytest.raises(CommandError, match="180"):
        call_command("audit_prune")
    with pytest.raises(ValueError):
        security_events_prune(days=10)
    assert SecurityEvent.objects.count() == 2


def test_prune_with_a_later_clock_keeps_the_chain_verifiable() -> None:
    _events(4)
    cutoff_clock = timezone.now() + dt.timedelta(days=200)
    # Two more records written 25 days from now: after the cutoff (200 - 180 = 20 days from now).
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(days=25)):
        _events(2)
    deleted = security_events_prune(days=180, now=cutoff_clock)
    assert deleted == 4
    seqs = list(SecurityEvent.objects.order_by("seq").values_list("seq", "action"))
    assert seqs == [(5, EventAction.EXPORT), (6, EventAction.EXPORT), (7, EventAction.LOG_PRUNED)]
    anchor = SecurityEvent.objects.get(seq=7)
    assert anchor.detail["first_kept_seq"] == 5 and anchor.detail["deleted"] == 4
    assert _verify()[0] == 0
    _events(1)
    assert verify_chain().ok
    # The first kept record is still protected: tampering with it is found.
    _raw_update(5, "actor_name", "x")
    assert verify_chain().broken_seq == 5


def test_pruning_everything_leaves_the_anchor_as_the_chain() -> None:
    _events(3)
    assert security_events_prune(days=180, now=timezone.now() + dt.timedelta(days=365)) == 3
    assert list(SecurityEvent.objects.values_list("seq", flat=True)) == [4]
    assert verify_chain().ok
    _events(1)
    assert verify_chain().ok


def test_a_first_record_without_anchor_is_broken() -> None:
    _events(3)
    _raw_delete(1)
    assert verify_chain().broken_seq == 2


def test_a_refusal_inside_a_rolled_back_transaction_is_still_logged() -> None:
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        security_event(action=EventAction.ROLE_CHANGE, actor_name="ok-but-undone")
        kept = security_event(
            action=EventAction.ACCESS_REFUSED, result=EventResult.REFUSED, actor_name="refused"
        )
        assert kept is None  # kept aside until the transaction ends
        raise Refused
    flush_pending()
    names = list(SecurityEvent.objects.values_list("actor_name", flat=True))
    assert names == ["refused"]  # the undone success is not logged, the refusal is
    assert verify_chain().ok


def test_an_event_inside_a_committed_transaction_is_written_with_it() -> None:
    with transaction.atomic():
        event = security_event(action=EventAction.ROLE_CHANGE, actor_name="done")
        assert event is not None and event.seq == 1
    assert SecurityEvent.objects.get().actor_name == "done"


def test_nul_and_long_values_are_stored_cleaned() -> None:
    event = security_event(
        action=EventAction.EXPORT, actor_name="a\x00b", object_label="x" * 400, detail={"t": "c\x00d"}
    )
    assert event is not None
    stored = SecurityEvent.objects.get(pk=event.pk)
    assert stored.actor_name == "ab" and len(stored.object_label) == 255 and stored.detail == {"t": "cd"}
    assert verify_chain().ok
