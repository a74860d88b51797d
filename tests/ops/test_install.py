"""bin/install accepts Python 3.11, 3.12 and 3.13 (the newest found first) and refuses others."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def fake_python(folder: Path, name: str, version: tuple[int, int]) -> Path:
    """A stand-in interpreter: answers the version check as ``version`` would, logs the rest."""
    path = folder / name
    ok = (3, 11) <= version <= (3, 13)
    path.write_text(
        "#!/bin/sh\n"
        f'echo "{name} $*" >> "$INSTALL_LOG"\n'
        'case "$1" in\n'
        f"  -c) exit {0 if ok else 1} ;;\n"
        f'  --version) echo "Python {version[0]}.{version[1]}.1" ;;\n'
        '  -m) mkdir -p .venv/bin && printf \'#!/bin/sh\\necho "venv $*" >> "$INSTALL_LOG"\\n\' > .venv/bin/python'
        " && chmod +x .venv/bin/python ;;\n"
        "esac\n"
    )
    path.chmod(0o755)
    return path


def run_install(tmp_path: Path, pythons: dict[str, tuple[int, int]], **env: str) -> tuple[int, str, str]:
    project = tmp_path / "project"
    (project / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "bin" / "install", project / "bin" / "install")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "requirements.lock").write_text("")
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    for name, version in pythons.items():
        fake_python(fakes, name, version)
    log = tmp_path / "install.log"
    log.touch()
    # the fakes shadow the real interpreters; soffice is faked too, so nothing is installed
    (fakes / "soffice").write_text("#!/bin/sh\n")
    (fakes / "soffice").chmod(0o755)
    path = f"{fakes}:/usr/bin:/bin"
    environment = {"PATH": path, "HOME": str(tmp_path), "INSTALL_LOG": str(log), **env}
    result = subprocess.run(
        ["bash", "bin/install"], cwd=project, env=environment, capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stderr, log.read_text()


def test_install_prefers_the_newest_supported_python(tmp_path: Path) -> None:
    code, stderr, log = run_install(
        tmp_path, {"python3.13": (3, 13), "python3.12": (3, 12), "python3.11": (3, 11)}
    )
    assert code == 0, stderr
    assert "python3.13 -m venv .venv" in log
    assert "venv -m pip install" in log


def test_install_accepts_3_12_and_3_11(tmp_path: Path) -> None:
    for version in ((3, 12), (3, 11)):
        folder = tmp_path / f"v{version[1]}"
        folder.mkdir()
        code, stderr, log = run_install(
            folder, {"python3.x": version}, PYTHON=str(folder / "fakes" / "python3.x")
        )
        assert code == 0, stderr
        assert "python3.x -m venv .venv" in log


def test_install_refuses_other_versions(tmp_path: Path) -> None:
    code, stderr, log = run_install(
        tmp_path, {"python3.10": (3, 10)}, PYTHON=str(tmp_path / "fakes" / "python3.10")
    )
    assert code == 1
    assert "ipplan needs Python 3.11, 3.12 or 3.13 (found: Python 3.10.1)" in stderr
    assert "-m venv" not in log
    assert os.path.exists(tmp_path / "project" / ".venv") is False
