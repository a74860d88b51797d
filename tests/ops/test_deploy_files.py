"""The compose file and nginx.conf, checked by reading (Docker does not run in the tests)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
NGINX = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def nginx_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def location_limit(pattern: str) -> int:
    block = NGINX[NGINX.index(pattern) :]
    block = block[: block.index("}")]
    return nginx_bytes(re.search(r"client_max_body_size\s+(\w+);", block).group(1))  # type: ignore[union-attr]


def test_nginx_body_limits_match_ipplans() -> None:
    server_default = re.search(r"^    client_max_body_size\s+(\w+);", NGINX, re.M)
    assert server_default and nginx_bytes(server_default.group(1)) == settings.IPPLAN_MAX_BODY_BYTES
    assert location_limit("tasks/[0-9]+/reports/$") == settings.IPPLAN_REPORT_MAX_BODY_BYTES
    assert location_limit("api/v1/imports)/$") == settings.IPPLAN_IMPORT_MAX_BODY_BYTES


def test_nginx_times_out_before_gunicorn_and_hides_metrics() -> None:
    read_timeout = int(re.search(r"proxy_read_timeout\s+(\d+)s;", NGINX).group(1))  # type: ignore[union-attr]
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text(encoding="utf-8")
    default = int(
        re.search(r'^timeout = int\(os.environ.get\("GUNICORN_TIMEOUT", "(\d+)"\)\)', gunicorn, re.M).group(1)
    )  # type: ignore[union-attr]
    assert default > read_timeout
    assert "location = /metrics { return 404; }" in NGINX
    assert "location /media/" not in NGINX  # downloads always go through the permission check
    assert "alias /srv/static/;" in NGINX


def test_compose_scales_web_and_worker() -> None:
    services = COMPOSE["services"]
    for name in ("web", "worker"):
        assert "container_name" not in services[name] and "ports" not in services[name], name
    assert services["nginx"]["ports"] and "container_name" not in services["nginx"]
    assert "web:8000 resolve" in NGINX  # nginx follows the replicas as they come and go
    volumes = services["nginx"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in volumes
    assert any(volume.startswith("ipplan-static:") for volume in volumes)
    assert any(volume.startswith("ipplan-static:") for volume in services["web"]["volumes"])
    # migrations run once, before web and worker
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "minio" in services
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
