"""Schemathesis against the live API: every operation of the OpenAPI schema, every check.

Runs the ``schemathesis`` command line (``--checks all``, 100 examples per operation) against a
live server on PostgreSQL holding the demo plans, authenticated with a read-write token of the
city bureau. Any server error, schema violation or other failed check fails the test; the
settings in ``schemathesis.toml`` say which statuses domain rules may add for schema-valid writes.

The operations are fuzzed in groups of paths (``GROUPS``), one test each, so that pytest-xdist
runs the groups side by side; every operation of the schema belongs to exactly one group (checked
by ``test_the_groups_cover_every_operation_once``), so a new endpoint cannot fall out of the run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.throttling import SimpleRateThrottle

from departments.models import User
from ipplan.services import api_token_create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("IPPLAN_FUZZ_EXAMPLES", "100"))

#: Path groups of /api/v1/, each fuzzed by one schemathesis run; together they are the whole API.
GROUPS = {
    "tasks": r"^/api/v1/tasks/",
    "plan-parts": r"^/api/v1/(plans|sections|phases|indicators|reports|attachments|deleted)/",
    "workflow": r"^/api/v1/(requests|imports|webhooks)/",
    "people-and-figures": r"^/api/v1/(notifications|departments|assessment|dashboard|me)/",
}


def test_the_groups_cover_every_operation_once() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert len(paths) > 40
    for path in paths:
        matching = [name for name, pattern in GROUPS.items() if re.search(pattern, path)]
        assert len(matching) == 1, f"{path} is in the fuzz groups {matching}: it must be in exactly one"


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    group: str, live_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
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
        "--include-path-regex",
        GROUPS[group],
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        # one schemathesis worker per group: the groups already run side by side on xdist workers,
        # and CPython 3.11's ast module is not safe under Hypothesis in several threads at once
        # ("AST constructor recursion depth mismatch")
        "--workers",
        "1",
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
    print(f"\nschemathesis [{group}]: {EXAMPLES} examples per operation, {elapsed:.0f} s\n{summary}")
    assert run.returncode == 0, output[-20000:]
    assert "Server error" not in output
    # the group really fuzzed something (a regex that matched nothing would pass silently)
    assert re.search(r"Tested: +[1-9]", summary), summary
