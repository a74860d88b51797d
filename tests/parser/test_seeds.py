"""Each seed plan in shared/ imports with a perfect score."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from planparser import parse_document

CHECKOUT = Path(__file__).resolve().parents[2]
# The annotated seeds live outside the repository, in shared/ beside the checkout.
SHARED = CHECKOUT.parent / "shared"
SEEDS = SHARED / "seeds"
FIXTURES = CHECKOUT / "fixtures" / "plans"


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location("score_import", SHARED / "tools" / "score_import.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def _seed_names() -> list[str]:
    if not SEEDS.is_dir():
        return []
    return sorted(p.name[: -len(".expected.json")] for p in SEEDS.glob("*.expected.json"))


@pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"{SEEDS} is absent: the annotated seeds live in ../shared beside the checkout"
)
@pytest.mark.parametrize("stem", _seed_names())
def test_seed_scores_perfectly(stem: str) -> None:
    score = _scorer()
    source = next(p for p in SEEDS.glob(stem + ".*") if not p.name.endswith(".json"))
    truth = json.loads((SEEDS / f"{stem}.expected.json").read_text(encoding="utf-8"))
    got = parse_document(source.read_bytes(), source.name).to_expected_json()
    result = score(truth, got)
    figures = {k: v for k, v in result.items() if not k.startswith("_")}
    assert all(v == 1.0 for v in figures.values()), (
        figures,
        result["_missing"],
        result["_extra"],
        result["_wrong_roles"],
    )


def test_fixture_copies_parse() -> None:
    names = sorted(p.name for p in FIXTURES.glob("*.txt"))
    assert names == [
        "dongguan-2011.txt",
        "guangzhou-2017.txt",
        "harbin-2007.txt",
        "wugang-2023.txt",
        "zhuhai-2019.txt",
    ]
    counts = {p.name: len(parse_document(p.read_bytes(), p.name).tasks) for p in FIXTURES.glob("*.txt")}
    assert counts == {
        "dongguan-2011.txt": 80,
        "guangzhou-2017.txt": 12,
        "harbin-2007.txt": 15,
        "wugang-2023.txt": 8,
        "zhuhai-2019.txt": 20,
    }


#: The top-level keys of a seed (``expected.json``), in order.
SEED_KEYS = [
    "title",
    "doc_number",
    "issuer",
    "issued_on",
    "period",
    "sections",
    "tasks",
    "indicators",
    "phases",
]


def test_expected_json_schema() -> None:
    plan = parse_document((FIXTURES / "wugang-2023.txt").read_bytes(), "wugang-2023.txt")
    data = plan.to_expected_json()
    assert list(data) == SEED_KEYS
    assert list(data["sections"][0]) == ["label", "title", "task_count", "subsections"]
    assert list(data["sections"][0]["subsections"][0]) == ["label", "title", "task_count"]
    assert list(data["tasks"][0]) == [
        "path",
        "title",
        "lead",
        "responsible",
        "cooperating",
        "deadline",
        "deadline_text",
        "flags",
    ]
    assert list(data["indicators"][0]) == ["text", "value", "unit", "comparator", "year", "path"]
    assert list(data["phases"][0]) == ["name", "start", "end"]
    json.dumps(data, ensure_ascii=False)
