"""Hole 3: webhooks and department robots must not reach internal addresses.

A real HTTP listener on 127.0.0.1 stands for an internal service. Every spelling of a blocked
address is refused when it is saved (service, browser form, API, the department's robot address)
and again when a request would go out (rows written before the check existed, and DNS rebinding);
the listener must receive nothing. With 127.0.0.0/8 allow-listed explicitly the same listener is
reachable, redirects are not followed, the request goes to the address that was checked, and the
receiver's body never reaches the delivery log.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from departments.models import Department
from ipplan import outbound
from notifications.services.delivery import DeliveryError, robot_post
from webhooks import delivery as sending
from webhooks import services
from webhooks.choices import DeliveryState
from webhooks.events import EventKind
from webhooks.models import Delivery, Subscription

from ..conftest import World
from ..factories import client_for
from ..support.http import QuietHandler, server_per_state

SECRET_BANNER = "INTERNAL-ONLY redis_version:7.0.15 root:x:0:0"


@dataclass
class Listener:
    """An internal service: records every request, answers ``status`` with a body that must
    never be shown (and ``Location`` when set)."""

    port: int = 0
    status: int = 200
    body: bytes = b""
    location: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(listener: Listener) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            listener.requests.append({"path": self.path, "host": self.headers.get("Host", "")})
            self.send_response(listener.status)
            if listener.location:
                self.send_header("Location", listener.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(listener.body)))
            self.end_headers()
            self.wfile.write(listener.body)

    return Handler


@pytest.fixture
def start_listener() -> Iterator[Callable[[], Listener]]:
    body = json.dumps({"errcode": 0, "banner": SECRET_BANNER}).encode()
    with server_per_state(lambda: Listener(body=body), _handler) as start:
        yield start


@pytest.fixture
def listener(start_listener: Callable[[], Listener]) -> Listener:
    return start_listener()


@pytest.fixture(autouse=True)
def _no_allow_list(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = ""
    settings.IPPLAN_WEBHOOK_TIMEOUT_SECONDS = 3
    settings.IPPLAN_WEBHOOK_BACKOFF_SECONDS = 0
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)


#: Spellings of 127.0.0.1 the C resolver accepts: each one would reach the listener.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "0x7f000001",
    "2130706433",
    "127.1",
    "017700000001",
    "0177.0.0.1",
    "localhost",
]

#: Other addresses a server must not call, IPv4 and IPv6 (hosts as they appear in a URL).
BLOCKED_HOSTS = [
    "169.254.169.254",  # cloud metadata
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "0251.0376.0251.0376",  # 169.254.169.254 in octal
    "0xa9fea9fe",  # 169.254.169.254 in hex
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:169.254.169.254]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[::127.0.0.1]",  # IPv4-compatible
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + BLOCKED_HOSTS)
def test_the_outbound_check_refuses_every_spelling(host: str) -> None:
    with pytest.raises(ValidationError):
        outbound.validate_url(f"http://{host}:8080/hook")
    with pytest.raises(outbound.OutboundRefused):
        outbound.post(f"http://{host}:8080/hook", b"{}", {}, timeout=1)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700:4700::1111", "2002:5db8:d822::1", "64:ff9b::5db8:d822"]
)
def test_public_addresses_pass(address: str) -> None:
    ip = ipaddress.ip_address(address)
    refused = outbound.address_refused(ip)
    # NAT64 is refused as a whole (a reserved range); 6to4 of a public address is allowed
    assert refused == address.startswith("64:ff9b")


def test_an_allow_list_opens_one_network_only(settings: Any) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8, 10.20.0.0/16"
    for allowed in ("127.0.0.1", "0x7f000001", "10.20.3.4", "[::ffff:127.0.0.1]"):
        outbound.validate_url(f"http://{allowed}/hook")
    for refused in ("10.21.0.1", "169.254.169.254", "[::1]", "192.168.1.1"):
        with pytest.raises(ValidationError):
            outbound.validate_url(f"http://{refused}/hook")


@pytest.mark.django_db
@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_each_spelling_is_refused_at_save_and_at_send(world: World, listener: Listener, host: str) -> None:
    bureau = world.users["bureau"]
    url = listener.url(host)
    # save time: the service (used by the form, the API and the admin) ...
    with pytest.raises(ValidationError) as refused:
        services.subscription_create(actor=bureau, url=url, events=[EventKind.TASK_STATUS_CHANGED])
    assert "url" in refused.value.message_dict
    # ... the browser form ...
    browser = Client()
    browser.force_login(bureau)
    page = browser.post(
        reverse("webhooks:create"),
        {"url": url, "events": ["task.status_changed"], "region": world.city.pk, "is_active": "on"},
    )
    assert page.status_code == 400 and "IPPLAN_OUTBOUND_ALLOW_NETWORKS" in page.content.decode()
    # ... the API (422 like any other unacceptable address: the service's rule, field named) ...
    answer = client_for(bureau).post(
        "/api/v1/webhooks/", {"url": url, "events": ["task.status_changed"]}, format="json"
    )
    assert answer.status_code == 422 and "url" in answer.json()["errors"]
    # ... and a department's robot address (the admin validates through the model)
    department = Department.objects.get(pk=world.lead_dept.pk)
    department.robot_webhook_url = url
    with pytest.raises(ValidationError) as robot_refused:
        department.full_clean()
    assert "robot_webhook_url" in robot_refused.value.message_dict
    assert Subscription.objects.count() == 0

    # send time: a row saved before the check existed is refused when it would go out
    subscription = services.subscription_create(
        actor=bureau, url="https://receiver.example.gov.cn/hook", events=[EventKind.TASK_STATUS_CHANGED]
    )
    Subscription.objects.filter(pk=subscription.pk).update(url=url)
    delivery = services.subscription_test_send(actor=bureau, subscription=subscription)
    sending.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.last_status_code is None
    assert "IPPLAN_OUTBOUND_ALLOW_NETWORKS" in delivery.last_error
    with pytest.raises(outbound.OutboundRefused):
        robot_post(url, {"msgtype": "text"})
    assert listener.requests == []


class _Rebinding:
    """A resolver for ``rebind.example`` that answers a public address first and 127.0.0.1
    afterwards (every other name resolves as usual)."""

    def __init__(self, real: Callable[..., Any], answers: list[str]) -> None:
        self.real = real
        self.answers = answers
        self.calls = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return self.real(host, port, *args, **kwargs)
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 80)))]


@pytest.mark.django_db
def test_dns_rebinding_is_refused_at_send(
    world: World, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = _Rebinding(socket.getaddrinfo, ["93.184.216.34", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    bureau = world.users["bureau"]
    url = listener.url("rebind.example")
    subscription = services.subscription_create(actor=bureau, url=url, events=[EventKind.TASK_STATUS_CHANGED])
    assert resolver.calls == 1  # checked at save time: a public address then
    delivery = services.subscription_test_send(actor=bureau, subscription=subscription)
    sending.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert resolver.calls >= 2 and delivery.state == DeliveryState.PENDING
    assert delivery.last_status_code is None and "rebind.example" in delivery.last_error
    with pytest.raises(outbound.OutboundRefused):
        robot_post(url, {"msgtype": "text"})
    assert listener.requests == []


@pytest.mark.django_db
def test_the_request_goes_to_the_address_that_was_checked(
    settings: Any, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"
    # allowed on the check; any later lookup would send it to an address that is not allowed
    resolver = _Rebinding(socket.getaddrinfo, ["127.0.0.1", "10.255.255.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    reply = outbound.post(
        listener.url("rebind.example"), b"{}", {"Content-Type": "application/json"}, timeout=3
    )
    assert reply.status == 200 and reply.body == b""  # nothing read unless asked for
    assert resolver.calls == 1
    assert listener.requests == [{"path": "/hook", "host": f"rebind.example:{listener.port}"}]


@pytest.mark.django_db
def test_robots_follow_no_redirect(settings: Any, start_listener: Callable[[], Listener]) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"
    target = start_listener()
    redirecting = start_listener()
    redirecting.status, redirecting.location, redirecting.body = 302, target.url(path="/moved"), b""
    with pytest.raises(DeliveryError) as failed:
        robot_post(redirecting.url(), {"msgtype": "text"})
    assert "302" in str(failed.value)
    assert len(redirecting.requests) == 1 and target.requests == []


@pytest.mark.django_db
def test_robot_errors_carry_the_code_not_the_body(settings: Any, listener: Listener) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"
    robot_post(listener.url(), {"msgtype": "text"})  # errcode 0: delivered
    listener.body = json.dumps({"errcode": 310000, "errmsg": SECRET_BANNER}).encode()
    with pytest.raises(DeliveryError) as refused:
        robot_post(listener.url(), {"msgtype": "text"})
    assert "310000" in str(refused.value) and SECRET_BANNER not in str(refused.value)
    listener.status, listener.body = 500, SECRET_BANNER.encode()
    with pytest.raises(DeliveryError) as failed:
        robot_post(listener.url(), {"msgtype": "text"})
    assert "500" in str(failed.value) and SECRET_BANNER not in str(failed.value)
    assert len(listener.requests) == 3


@pytest.mark.django_db
def test_the_delivery_log_shows_status_and_timing_only(
    world: World, settings: Any, listener: Listener
) -> None:
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"
    bureau = world.users["bureau"]
    subscription = services.subscription_create(
        actor=bureau, url=listener.url(), events=[EventKind.TASK_STATUS_CHANGED]
    )
    for status in (200, 500):
        listener.status = status
        delivery = services.subscription_test_send(actor=bureau, subscription=subscription)
        sending.delivery_send(delivery_id=delivery.pk)
    stored = list(Delivery.objects.values_list("last_status_code", "last_error", "last_response_excerpt"))
    assert sorted(row[0] for row in stored) == [200, 500]
    assert all(SECRET_BANNER not in (error + excerpt) for _code, error, excerpt in stored)
    browser = Client()
    browser.force_login(bureau)
    log = browser.get(reverse("webhooks:deliveries", args=[subscription.pk])).content.decode()
    assert "500" in log and SECRET_BANNER not in log and "redis_version" not in log
    assert len(listener.requests) == 2


@pytest.mark.django_db
def test_an_edit_to_an_internal_address_is_refused(world: World, listener: Listener) -> None:
    bureau = world.users["bureau"]
    subscription = services.subscription_create(
        actor=bureau, url="https://receiver.example.gov.cn/hook", events=[EventKind.TASK_STATUS_CHANGED]
    )
    with pytest.raises(ValidationError) as refused:
        services.subscription_update(actor=bureau, subscription=subscription, url=listener.url("0x7f000001"))
    assert "url" in refused.value.message_dict
    assert Subscription.objects.get(pk=subscription.pk).url == "https://receiver.example.gov.cn/hook"


@pytest.mark.django_db
def test_the_department_admin_form_refuses_an_internal_robot(world: World) -> None:
    from django.forms import modelform_factory

    form_class = modelform_factory(
        Department, fields=["region", "name", "kind", "active", "robot_webhook_url"]
    )
    department = Department.objects.get(pk=world.lead_dept.pk)
    data = {"region": world.city.pk, "name": department.name, "kind": department.kind, "active": "on"}
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/robot",
        "http://localhost/robot",
    ):
        form = form_class(data={**data, "robot_webhook_url": url}, instance=department)
        assert not form.is_valid() and "robot_webhook_url" in form.errors, url
    public = form_class(
        data={**data, "robot_webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        instance=department,
    )
    assert public.is_valid(), public.errors


@pytest.mark.embedded
def test_a_bad_allow_list_stops_the_start(tmp_path: Any) -> None:
    from ..support.processes import clean_env, manage

    bad = manage("check", env=clean_env(tmp_path, IPPLAN_OUTBOUND_ALLOW_NETWORKS="10.0.0.0/8,intranet"))
    assert bad.returncode != 0 and "IPPLAN_OUTBOUND_ALLOW_NETWORKS: 'intranet' is not a network" in bad.stderr
    good = manage("check", env=clean_env(tmp_path, IPPLAN_OUTBOUND_ALLOW_NETWORKS="10.0.0.0/8, fd00::/8"))
    assert good.returncode == 0, good.stderr
