"""python -m planparser PATH --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from planparser.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_json_only(tmp_path: Path) -> None:
    src = tmp_path / "plan.txt"
    src.write_text("某市工作方案\n一、主要任务\n1.加强创造。(市科技局、财政局)\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "planparser", str(src), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["tasks"][0]["responsible"] == ["市财政局"]
    assert "市科技局" in run.stdout  # ensure_ascii=False


def test_cli_error_exit_code(tmp_path: Path, capsys: object) -> None:
    src = tmp_path / "empty.txt"
    src.write_bytes(b"")
    assert main([str(src), "--json"]) == 2
    out = capsys.readouterr()  # type: ignore[attr-defined]
    assert out.out == ""
    assert "empty" in out.err.lower() or "空" in out.err


def test_cli_missing_file(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.txt"), "--json"]) == 2
