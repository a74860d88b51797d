"""A throw-away RabbitMQ node (Debian's rabbitmq-server) on loopback, for one test.

Everything it writes lives under a temporary folder: its own node name, AMQP and distribution
ports, its own epmd port (so it never meets another node on the machine), an empty config and no
plugins. ``stop`` kills it outright (as a crash would) or stops it; ``start`` again on the same
folder brings back what was durable: queues and persistent messages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from ..support.processes import free_port, port_open, spawn, stop, wait_for

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def available() -> bool:
    return os.path.exists(SERVER) and shutil.which("erl") is not None


class RabbitMQ:
    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base = base
        self.port = free_port()
        self.epmd_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        base.mkdir(parents=True, exist_ok=True)
        (base / "empty.conf").write_text("")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
        )
        (base / "enabled_plugins").write_text("[].\n")
        self.env = {
            **{k: v for k, v in env.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(base),  # the Erlang cookie is written here
            "RABBITMQ_CONF_ENV_FILE": str(base / "empty.conf"),  # not /etc/rabbitmq's
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_NODENAME": f"ipplan-test-{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_LOGS": "-",  # to standard output, i.e. the log file below
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> None:
        self.launch()
        self.started()

    def launch(self) -> None:
        """Start the node without waiting for it (``started`` waits): a test sets up meanwhile."""
        self.starts += 1
        self.proc = spawn([SERVER], self.env, self.base / f"rabbitmq-{self.starts}.log")

    def started(self) -> None:
        """Wait until the node launched last has started and listens."""
        log, proc = self.base / f"rabbitmq-{self.starts}.log", self.proc
        assert proc is not None, "launch it first"
        assert wait_for(lambda: "Server startup complete" in log.read_text() or proc.poll() is not None, 120)
        assert proc.poll() is None and port_open(self.port), log.read_text()[-4000:]

    def stop(self, *, crash: bool = True) -> None:
        """SIGKILL (a crash: nothing flushed on the way out) or SIGTERM (an orderly stop)."""
        assert self.proc is not None
        stop(self.proc, signal.SIGKILL if crash else signal.SIGTERM, timeout=60)
        self.proc = None
        assert wait_for(lambda: not port_open(self.port), 20)

    def close(self) -> None:
        if self.proc is not None:
            self.stop()
        # epmd daemonised itself out of the node's process group: stop the one on our own port
        subprocess.run(
            ["epmd", "-port", str(self.epmd_port), "-kill"], env=self.env, capture_output=True, timeout=10
        )


class OnRabbitMQ:
    """Mixed in before a test's stack of processes (tests/reminders', tests/webhooks'): a RabbitMQ
    of its own is the broker instead of the stack's Redis, closed with the stack."""

    env: dict[str, str]

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)  # type: ignore[call-arg]
        self.rabbit = RabbitMQ(tmp_path / "rabbitmq", self.env)
        self.env["CELERY_BROKER_URL"] = self.rabbit.url

    def close(self) -> None:
        try:
            super().close()  # type: ignore[misc]
        finally:
            self.rabbit.close()


def publish(url: str, job: str, times: int = 1, **kwargs: object) -> None:
    """Send ``job`` as ipplan does on RabbitMQ: to its routed queue, persistent, confirmed."""
    from celery import Celery
    from django.conf import settings
    from kombu import Connection

    producer = Celery(broker=url, set_as_current=False)
    producer.conf.update(
        task_queues=settings.CELERY_TASK_QUEUES,
        task_routes=settings.CELERY_TASK_ROUTES,
        task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        task_default_exchange=settings.CELERY_TASK_DEFAULT_EXCHANGE,
        task_default_routing_key=settings.CELERY_TASK_DEFAULT_ROUTING_KEY,
        task_default_delivery_mode="persistent",
    )
    with Connection(url, transport_options={"confirm_publish": True}) as connection:
        for _ in range(times):
            producer.send_task(job, kwargs=kwargs, connection=connection)
