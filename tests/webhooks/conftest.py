"""A real HTTP receiver on 127.0.0.1 that verifies Standard Webhooks signatures, and the settings
the webhook tests run with."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from departments.models import Region, User
from webhooks import services
from webhooks.events import EventKind
from webhooks.models import Subscription

from ..support.http import QuietHandler, server_per_state


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server answers (``statuses`` in turn, then ``default_status``) and what it got."""

    port: int = 0
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    #: When set, the first request waits for it (``holding`` tells that it is being held).
    hold_first: threading.Event | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ipplan"

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status

    def ids(self) -> Counter[str]:
        return Counter(r.headers["webhook-id"] for r in self.requests)

    @property
    def delivered(self) -> list[Received]:
        """Requests with a valid signature that were answered 2xx."""
        return [r for r in self.requests if r.verified and 200 <= r.status < 300]


def _handler(receiver: Receiver) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                verified = True
            except (WebhookVerificationError, ValueError, KeyError):
                verified = False
            if receiver.hold_first is not None and not receiver.holding.is_set():
                receiver.holding.set()
                receiver.hold_first.wait(timeout=30)
            status = receiver.answer() if verified else 400
            if receiver.delay:
                time.sleep(receiver.delay)
            with receiver.lock:
                receiver.requests.append(Received(self.path, headers, body, verified, status))
            answer = json.dumps({"ok": 200 <= status < 300, "status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Handler


@pytest.fixture
def start_receiver() -> Iterator[Callable[[], Receiver]]:
    """Start as many receivers as a test needs (each its own port and secret)."""
    with server_per_state(Receiver, _handler) as start:
        yield start


@pytest.fixture
def receiver(start_receiver: Callable[[], Receiver]) -> Receiver:
    return start_receiver()


@pytest.fixture(autouse=True)
def webhook_settings(settings: Any) -> None:
    settings.IPPLAN_WEBHOOK_BACKOFF_SECONDS = 0
    settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS = 8
    settings.IPPLAN_WEBHOOK_DISABLE_AFTER = 10
    settings.IPPLAN_WEBHOOK_TIMEOUT_SECONDS = 5
    settings.IPPLAN_BASE_URL = "https://ipplan.example.gov.cn"
    # the receivers run on loopback, which the outbound client refuses unless allow-listed
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"


@pytest.fixture(autouse=True)
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Delivery ids handed to Celery after commit (no broker in these tests: the loop is driven
    directly)."""
    calls: list[int] = []
    monkeypatch.setattr(services, "_enqueue", lambda ids: calls.extend(ids))
    return calls


def subscribe(
    actor: User,
    receiver: Receiver,
    *,
    events: list[str] | None = None,
    region: Region | None = None,
    description: str = "",
) -> Subscription:
    """A subscription to ``receiver`` (whose secret it sets, so the receiver can verify)."""
    subscription = services.subscription_create(
        actor=actor,
        url=receiver.url,
        events=events or [EventKind.TASK_STATUS_CHANGED],
        region=region,
        description=description,
    )
    receiver.secret = subscription.secret
    return subscription
