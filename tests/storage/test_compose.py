"""docker-compose.yml, read (Docker does not run here): MinIO for the files, RabbitMQ as an
alternative broker, a worker per queue."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_uses_the_object_store_and_offers_rabbitmq_and_workers_per_queue() -> None:
    services = COMPOSE["services"]
    app = services["web"]["environment"]
    assert app["IPPLAN_STORAGE"] == "${IPPLAN_STORAGE:-s3}"
    assert app["IPPLAN_S3_ENDPOINT_URL"] == "http://minio:9000"
    for name in ("web", "worker", "beat", "migrate", "worker-imports"):
        assert services[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    init = services["minio-init"]["command"][0]
    assert 'mc anonymous set none "store/$$BUCKET"' in init  # never public
    assert "ipplan-files" in init and "--user" in init  # ipplan's own account, not MinIO's root
    assert services["rabbitmq"]["profiles"] == ["rabbitmq"]
    assert services["web"]["depends_on"]["rabbitmq"]["required"] is False
    assert app["CELERY_BROKER_URL"] == "${CELERY_BROKER_URL:-redis://redis:6379/0}"
    for name in ("reminders", "webhooks", "imports"):
        service = services[f"worker-{name}"]
        command = service["command"]
        assert service["profiles"] == ["queues"] and command[command.index("-Q") + 1] == name
    assert "${IPPLAN_WORKER_QUEUES:-celery,reminders,webhooks,imports}" in services["worker"]["command"]
