"""Notification and ReminderPolicy moved from the tasks app to the notifications app on their own
tables: migrating a database that has rows in both keeps every row, and back again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from departments.choices import RegionLevel
from departments.models import Region, User
from departments.services import region_create
from ipplan.roles import Role
from notifications.models import Notification, ReminderPolicy
from tasks.services import plan_create

BEFORE = [("tasks", "0015_perf2_notification_dedup_unique"), ("notifications", None)]
AFTER = [("tasks", "0016_outbox_notifications_moved"), ("notifications", "0001_outbox_notifications_move")]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _head() -> list[tuple[str, str | None]]:
    """Every app's latest migration: where the test database was, and where it must be left for
    the tests that run after this one (migrations added after the move included)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return list(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_rows_stay_where_they_are_through_the_move_and_back() -> None:
    province = region_create(code="440000", name="广东省", level=RegionLevel.PROVINCE)
    city = region_create(code="441900", name="东莞市", level=RegionLevel.CITY, parent=province)
    user = User.objects.create(username="mover", role=Role.ADMIN)
    plan = plan_create(actor=None, region=city, title="迁移方案", period=(2026, 2026))
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE[:1]).apps
        with pytest.raises(LookupError):
            old.get_model("notifications", "Notification")
        old.get_model("tasks", "Notification").objects.create(
            recipient_id=user.pk, kind="urge", message="旧通知", dedup_key="move:1"
        )
        old.get_model("tasks", "ReminderPolicy").objects.create(plan_id=plan.pk, days_before="5,1")
        new = _migrate(AFTER).loader.project_state(AFTER).apps
        with pytest.raises(LookupError):
            new.get_model("tasks", "Notification")
    finally:
        _migrate(_head())
    assert Notification.objects.get(dedup_key="move:1").message == "旧通知"
    assert ReminderPolicy.objects.get(plan=plan).offsets_before == [5, 1]
    assert Region.objects.get(pk=city.pk).plans.get().reminder_policy.days_before == "5,1"
