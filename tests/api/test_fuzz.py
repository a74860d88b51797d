"""Schemathesis against the live API: every operation of the OpenAPI schema, every check.

Runs the ``schemathesis`` command line (``--checks all``, 100 examples per operation) against a
live server on PostgreSQL holding the demo plans, authenticated with a read-write token of the
city bureau. Any server error, schema violation or other failed check fails the test; the
settings in ``schemathesis.toml`` say which statuses domain rules may add for schema-valid writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.throttling import SimpleRateThrottle

from departments.models import User
from ipplan.services import api_token_create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("IPPLAN_FUZZ_EXAMPLES", "100"))


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    call_command("load_demo", verbosity=0)
    bureau = User.objects.get(username="bureau")
    _token, secret = api_token_create(actor=bureau, name="schemathesis", can_write=True, days=1)
    # the fuzzer sends thousands of requests a minute: lift the per-token budget for this run
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"client": "1000000/min", "anonymous": "1000000/min"}
    )

    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--url",
        live_server.url,
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "2",
        "--seed",
        os.environ.get("IPPLAN_FUZZ_SEED", "20261121"),
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3000)
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    print(f"\nschemathesis: {EXAMPLES} examples per operation, {elapsed:.0f} s\n{summary}")
    assert run.returncode == 0, output[-20000:]
    assert "Server error" not in output
