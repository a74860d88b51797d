"""A 500 KB saved web page previews quickly in the browser flow (issue 13 item 5); bigger files go
to the job. The figures are printed (no timed assertion)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tasks.models import PlanImport

from ..conftest import World

pytestmark = pytest.mark.django_db

PAGE = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "01_guangzhou_2023_jiatingyisheng.html"


@pytest.mark.skipif(not PAGE.exists(), reason="the shared corpus is not next to this checkout")
def test_benchmark_500_kb_html_preview(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    data = PAGE.read_bytes()
    assert 400_000 < len(data) < settings.IPPLAN_IMPORT_INLINE_BYTES  # read in the request, not by the job
    figures = []
    for _run in ("first request of the process", "warm"):
        started = time.perf_counter()
        response = client.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile(PAGE.name, data)})
        uploaded = time.perf_counter()
        assert response.status_code == 302, response.content.decode()[:1000]
        record = PlanImport.objects.latest("pk")
        assert record.state == "previewed"
        page = client.get(response["Location"])
        done = time.perf_counter()
        assert page.status_code == 200 and "家庭医生" in page.content.decode()
        figures.append(
            f"{_run}: upload+read {uploaded - started:.2f} s, preview page {done - uploaded:.2f} s, "
            f"total {done - started:.2f} s"
        )
    print(
        f"\nBENCH preview of {PAGE.name} ({len(data) / 1024:.0f} KB; goal under 2 s): " + "; ".join(figures)
    )
