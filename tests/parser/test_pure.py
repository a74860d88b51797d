"""planparser is pure: importing every module of it loads nothing of Django or of the project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: this one already holds Django and every app.
PROBE = """
import json, pkgutil, importlib, sys
import planparser
modules = [m.name for m in pkgutil.walk_packages(planparser.__path__, "planparser.")]
for name in modules:
    importlib.import_module(name)
print(json.dumps({"modules": modules, "loaded": sorted(sys.modules)}))
"""

FORBIDDEN = ("django", "rest_framework", "celery", "ipplan", "departments", "tasks", "webhooks", "config")


def test_planparser_imports_no_django_and_no_app() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False, env={}
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert "planparser.filetype" in found["modules"] and "planparser.regions" in found["modules"]
    leaked = [m for m in found["loaded"] if m.split(".")[0] in FORBIDDEN]
    assert leaked == []
