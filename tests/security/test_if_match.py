"""Hole 6: ``If-Match: *`` no longer passes the optimistic lock.

``*`` would let a client overwrite whatever another client wrote since it read the object; the
API answers 412 with the current ETag in the body (``current.etag``), like a stale tag, so the
client reads the object again and sends its ETag. Nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.models import Task
from webhooks.models import Subscription

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", ["*", " * ", 'W/"x", *', '"task-1-99", *'])
def test_a_wildcard_is_refused_with_the_current_etag(world: World, api: Any, header: str) -> None:
    bureau = api("bureau")
    staff = api("staff")
    url = f"/api/v1/tasks/{world.task.pk}/"
    etag = bureau.get(url)["ETag"]
    before = Task.objects.get(pk=world.task.pk)
    for client, body in ((bureau, {"due_date": "2027-06-30"}), (staff, {"progress": 55})):
        refused = client.patch(url, body, format="json", HTTP_IF_MATCH=header)
        assert refused.status_code == 412, refused.json()
        problem = refused.json()
        assert problem["code"] == "precondition_failed" and problem["current"]["etag"] == etag
    completion = staff.post(
        f"/api/v1/tasks/{world.task.pk}/completion/", {"reason": "完成"}, format="json", HTTP_IF_MATCH=header
    )
    assert completion.status_code == 412
    after = Task.objects.get(pk=world.task.pk)
    assert (after.version, after.due_date, after.progress, after.status) == (
        before.version,
        before.due_date,
        before.progress,
        before.status,
    )
    # with the ETag it read, the same write goes through
    assert bureau.patch(url, {"due_date": "2027-06-30"}, format="json", HTTP_IF_MATCH=etag).status_code == 200


def test_a_wildcard_cannot_change_a_webhook_subscription(world: World, api: Any) -> None:
    bureau = api("bureau")
    created = bureau.post(
        "/api/v1/webhooks/",
        {"url": "https://receiver.example.gov.cn/h", "events": ["task.overdue"]},
        format="json",
    )
    pk = created.json()["id"]
    refused = bureau.patch(f"/api/v1/webhooks/{pk}/", {"description": "改"}, format="json", HTTP_IF_MATCH="*")
    assert refused.status_code == 412 and refused.json()["current"]["etag"] == created["ETag"]
    assert Subscription.objects.get(pk=pk).description == ""
