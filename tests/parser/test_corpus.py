"""The importer scored on annotated real plans: the seeds, ``../shared/corpus`` and ``fixtures/corpus``.

Each set's documents are parsed in-process and scored with ``../shared/tools/score_import.py``
(loaded from the directory beside the checkout); the mean of each measure over a set must reach
the floor in ``FLOORS``, the one place the bar is kept (``.ci/run`` gates on this same test).
``pytest -s`` prints every document's figures and each set's means.

Where ``../shared`` is not beside the checkout the scoring tool, the seeds and the shared corpus
are absent and the tests skip with a message; ``IPPLAN_REQUIRE_CORPUS=1`` (set by CI) turns every
such skip into a failure, so the gate can never pass by not running.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from planparser import parse_document

CHECKOUT = Path(__file__).resolve().parents[2]
SHARED = CHECKOUT.parent / "shared"
SCORER = SHARED / "tools" / "score_import.py"
OWN_CORPUS = CHECKOUT / "fixtures" / "corpus"

# The floors: the mean of each measure over a set must be at least this. Measures a set does not
# state are not checked (deadlines only where a truth file has per-task deadlines). Each floor is
# what the importer reaches now, rounded down: a change that loses ground fails CI. Issue 13's bar
# is 1.000 on the seeds, tasks >= 0.95 and roles >= 0.90 on the shared corpus (both met: 1.000),
# and >= 0.95 on tasks and roles on our own corpus of 32 documents (met: task precision and recall
# 1.000, roles 0.997, department F1 0.966, deadlines 1.000): raise these as the parser gets further.
FLOORS: dict[str, dict[str, float]] = {
    "seeds": {
        "task_precision": 1.0,
        "task_recall": 1.0,
        "roles_exact": 1.0,
        "dept_f1": 1.0,
        "sections": 1.0,
        "indicator_precision": 0.95,
        "indicator_recall": 0.95,
        "phase_precision": 1.0,
        "phase_recall": 1.0,
        "meta": 1.0,
    },
    "shared-corpus": {
        "task_precision": 1.0,
        "task_recall": 1.0,
        "roles_exact": 1.0,
        "dept_f1": 1.0,
        "sections": 1.0,
        "indicator_precision": 1.0,
        "indicator_recall": 1.0,
        "phase_precision": 1.0,
        "phase_recall": 1.0,
        "meta": 1.0,
        "deadlines": 1.0,
    },
    "own-corpus": {
        "task_precision": 0.99,
        "task_recall": 0.99,
        "roles_exact": 0.99,
        "dept_f1": 0.965,
        "sections": 0.99,
        "indicator_precision": 0.85,
        "indicator_recall": 0.85,
        "phase_precision": 0.99,
        "phase_recall": 0.95,
        "meta": 0.94,
        "deadlines": 0.95,
    },
}

SOURCE_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".xlsx", ".pdf", ".doc", ".wps", ".ofd")


@dataclass(frozen=True)
class CorpusSet:
    """One annotated set: where its truth files are, and where their documents may be found."""

    name: str
    truth_dir: Path
    doc_dirs: tuple[Path, ...]


SETS = (
    CorpusSet("seeds", SHARED / "seeds", (SHARED / "seeds",)),
    CorpusSet("shared-corpus", SHARED / "corpus", (SHARED / "corpus",)),
    CorpusSet("own-corpus", OWN_CORPUS, (OWN_CORPUS,)),
)


def _require() -> bool:
    return os.environ.get("IPPLAN_REQUIRE_CORPUS", "") not in ("", "0")


def _skip_or_fail(message: str) -> None:
    if _require():
        pytest.fail(message + " (IPPLAN_REQUIRE_CORPUS is set)")
    pytest.skip(message)


@cache
def _score_function() -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """``score`` from the shared scoring tool, so the test and the issue's figures are the same."""
    spec = importlib.util.spec_from_file_location("score_import", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    score: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = module.score
    return score


def _document_for(stem: str, dirs: tuple[Path, ...]) -> Path | None:
    for directory in dirs:
        for suffix in SOURCE_SUFFIXES:
            candidate = directory / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def _documents(corpus: CorpusSet) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(truth file, document) pairs of a set, and the stems whose document is nowhere to be found."""
    pairs: list[tuple[Path, Path]] = []
    missing: list[str] = []
    for truth in sorted(corpus.truth_dir.glob("*.expected.json")):
        stem = truth.name[: -len(".expected.json")]
        document = _document_for(stem, corpus.doc_dirs)
        if document is None:
            missing.append(stem)
        else:
            pairs.append((truth, document))
    return pairs, missing


def _means(per_document: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for figures in per_document:
        for key, value in figures.items():
            if key.startswith("_"):
                continue
            totals[key] = totals.get(key, 0.0) + float(value)
            counts[key] = counts.get(key, 0) + 1
    return {key: totals[key] / counts[key] for key in totals}


def _line(name: str, figures: dict[str, Any]) -> str:
    shown = "  ".join(f"{k}={float(v):.3f}" for k, v in figures.items() if not k.startswith("_"))
    return f"{name}: {shown}"


def score_set(corpus: CorpusSet) -> tuple[dict[str, float], list[str]]:
    """Parse and score every document of a set; the means and the printable report."""
    pairs, missing = _documents(corpus)
    score = _score_function()
    per_document: list[dict[str, Any]] = []
    report: list[str] = []
    for truth_path, document in pairs:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        got = parse_document(document.read_bytes(), document.name).to_expected_json()
        figures = score(truth, got)
        per_document.append(figures)
        report.append(_line(document.name, figures))
        for key in ("_missing", "_extra", "_wrong_roles"):
            if figures.get(key):
                report.append(f"    {key[1:]}: {' '.join(figures[key][:40])}")
    for stem in missing:
        report.append(f"{stem}: no document found in {', '.join(str(d) for d in corpus.doc_dirs)}")
    means = _means(per_document)
    report.append(_line(f"MEAN {corpus.name} ({len(pairs)} documents)", means))
    return means, report


def test_floors_name_real_measures() -> None:
    """A typo in FLOORS would silently never be checked: every key must be a measure the tool reports."""
    known = {
        "task_precision",
        "task_recall",
        "roles_exact",
        "dept_f1",
        "sections",
        "indicator_precision",
        "indicator_recall",
        "phase_precision",
        "phase_recall",
        "meta",
        "deadlines",
    }
    assert {corpus.name for corpus in SETS} == set(FLOORS)
    for name, floors in FLOORS.items():
        assert set(floors) <= known, (name, set(floors) - known)
        assert all(0.0 <= v <= 1.0 for v in floors.values()), name


def test_own_corpus_truth_files_follow_the_schema() -> None:
    """Each truth file in fixtures/corpus has the shared schema and a notes string listing its traps."""
    truths = sorted(OWN_CORPUS.glob("*.expected.json"))
    if not truths:
        _skip_or_fail(f"no truth files in {OWN_CORPUS}")
    for path in truths:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = ["title", "doc_number", "issuer", "issued_on", "period", "sections", "tasks"]
        keys += ["indicators", "phases", "indicator_scope", "notes"]
        assert list(data) == keys, path.name
        assert data["indicator_scope"] in ("all", "goals"), path.name
        assert isinstance(data["notes"], str) and data["notes"].strip(), path.name
        paths = [task["path"] for task in data["tasks"]]
        assert paths and len(paths) == len(set(paths)), path.name
        for task in data["tasks"]:
            assert list(task) == ["path", "title", "lead", "responsible", "cooperating", "deadline"], (
                path.name
            )
            named = task["lead"] + task["responsible"] + task["cooperating"]
            assert len(named) == len(set(named)), (path.name, task["path"])
            deadline = task["deadline"]
            assert deadline is None or len(deadline) in (7, 10), (path.name, task["path"])
        # a numbered item that is itself a task (path '二') lies in no section
        labels = {s["label"] for s in data["sections"]}
        inside = sum(1 for task in data["tasks"] if task["path"].split(".")[0] in labels)
        counted = sum(s["task_count"] for s in data["sections"])
        assert counted == inside, (path.name, counted, inside)
        stem = path.name[: -len(".expected.json")]
        assert stem in OWN_CORPUS.joinpath("SOURCES.md").read_text(encoding="utf-8"), (
            f"{stem} not in SOURCES.md"
        )


@pytest.mark.parametrize("corpus", SETS, ids=[corpus.name for corpus in SETS])
def test_importer_reaches_the_floors(corpus: CorpusSet) -> None:
    """The mean of each measure over the set is at least its floor; the figures are printed."""
    if not SCORER.is_file():
        _skip_or_fail(f"{SCORER} is absent: ../shared is not beside the checkout")
    pairs, missing = _documents(corpus)
    if not pairs:
        _skip_or_fail(f"no annotated documents found for {corpus.name} in {corpus.truth_dir}")
    # our own documents are committed beside their truth files, so one missing is always an error
    if missing and (_require() or corpus.name == "own-corpus"):
        pytest.fail(f"{corpus.name}: truth files without their document: {missing}")
    means, report = score_set(corpus)
    print("\n" + "\n".join(report))
    below = {
        key: (round(means[key], 3), floor)
        for key, floor in FLOORS[corpus.name].items()
        if key in means and means[key] < floor
    }
    assert not below, f"{corpus.name} below its floors (mean, floor): {below}"
