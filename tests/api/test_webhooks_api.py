"""``/api/v1/webhooks/``: subscriptions through the API, with ETags and the same services."""

from __future__ import annotations

from typing import Any

from webhooks.models import Delivery, Subscription

URL = "https://receiver.example.gov.cn/hooks"


def _create(client: Any, **extra: Any) -> Any:
    body = {"url": URL, "events": ["task.status_changed", "report.submitted"], **extra}
    return client.post("/api/v1/webhooks/", body, format="json")


def test_create_shows_the_secret_once_and_the_detail_carries_an_etag(world: Any, api: Any) -> None:
    bureau = api("bureau")
    created = _create(bureau)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["region"]["code"] == "441900"
    assert created["ETag"] == f'"subscription-{body["id"]}-1"'
    detail = bureau.get(f"/api/v1/webhooks/{body['id']}/")
    assert detail.status_code == 200 and "secret" not in detail.json()
    assert detail["ETag"] == created["ETag"]
    assert bureau.get(f"/api/v1/webhooks/{body['id']}/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304
    listed = bureau.get("/api/v1/webhooks/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]


def test_changes_need_the_current_etag(world: Any, api: Any) -> None:
    bureau = api("bureau")
    created = _create(bureau)
    pk, etag = created.json()["id"], created["ETag"]
    path = f"/api/v1/webhooks/{pk}/"
    assert bureau.patch(path, {"description": "省平台"}, format="json").status_code == 428
    changed = bureau.patch(path, {"description": "省平台"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = bureau.patch(path, {"description": "again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale["Content-Type"] == "application/problem+json"
    assert Subscription.objects.get(pk=pk).description == "省平台"
    assert bureau.delete(path).status_code == 428
    assert bureau.delete(path, HTTP_IF_MATCH=etag).status_code == 412
    assert bureau.delete(path, HTTP_IF_MATCH=changed["ETag"]).status_code == 204
    assert bureau.get(path).status_code == 404
    assert not Subscription.objects.filter(pk=pk).exists()


def test_rotate_and_enable(world: Any, api: Any) -> None:
    bureau = api("bureau")
    created = _create(bureau, is_active=False)
    pk, etag, secret = created.json()["id"], created["ETag"], created.json()["secret"]
    rotated = bureau.post(f"/api/v1/webhooks/{pk}/rotate-secret/", HTTP_IF_MATCH=etag)
    assert rotated.status_code == 200 and rotated.json()["secret"] != secret
    assert Subscription.objects.get(pk=pk).secret == rotated.json()["secret"]
    enabled = bureau.post(f"/api/v1/webhooks/{pk}/enable/", HTTP_IF_MATCH=rotated["ETag"])
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True


def test_test_send_is_logged_as_a_delivery(world: Any, api: Any) -> None:
    bureau = api("bureau")
    pk = _create(bureau).json()["id"]
    sent = bureau.post(f"/api/v1/webhooks/{pk}/test/")
    assert sent.status_code == 201 and sent.json()["event_type"] == "webhook.test"
    assert sent.json()["webhook_id"].startswith("msg_")
    log = bureau.get(f"/api/v1/webhooks/{pk}/deliveries/").json()
    assert [row["id"] for row in log["results"]] == [sent.json()["id"]]
    assert Delivery.objects.filter(subscription_id=pk).count() == 1


def test_bad_input_names_the_field_and_writes_nothing(world: Any, api: Any) -> None:
    bureau = api("bureau")
    wrong_event = bureau.post("/api/v1/webhooks/", {"url": URL, "events": ["nope"]}, format="json")
    assert wrong_event.status_code == 400 and "events" in wrong_event.json()["errors"]
    not_http = bureau.post(
        "/api/v1/webhooks/", {"url": "ftp://x.example/", "events": ["task.overdue"]}, format="json"
    )
    assert not_http.status_code == 422 and "url" in not_http.json()["errors"]
    foreign = _create(bureau, region="440400")
    assert foreign.status_code == 422 and "region" in foreign.json()["errors"]
    assert not Subscription.objects.exists()


def test_who_may_manage_subscriptions(world: Any, api: Any) -> None:
    pk = _create(api("bureau")).json()["id"]
    for name in ("staff", "head", "leader"):
        client = api(name)
        assert client.get("/api/v1/webhooks/").status_code == 403
        assert client.get(f"/api/v1/webhooks/{pk}/").status_code == 403
        assert _create(client).status_code == 403
    other = api("other_bureau")
    assert other.get("/api/v1/webhooks/").json()["results"] == []
    assert other.get(f"/api/v1/webhooks/{pk}/").status_code == 404
    assert other.post(f"/api/v1/webhooks/{pk}/test/").status_code == 404
    assert api("province").get(f"/api/v1/webhooks/{pk}/").status_code == 200  # the region above
    assert api("bureau", write=False).post(f"/api/v1/webhooks/{pk}/test/").status_code == 403
    types = api("bureau").get("/api/v1/webhooks/event-types/").json()
    assert {row["type"] for row in types} == {
        "task.status_changed",
        "task.overdue",
        "report.submitted",
        "task.updated",
        "task.reassigned",
        "task.cancelled",
        "completion.approved",
    }
