"""A 1 MB plan parses well under a second on a developer machine (the bound here leaves CI headroom)."""

from __future__ import annotations

import time

from tasks.parser import parse_document
from tasks.parser.bench import synthetic_plan


def test_one_megabyte_plan_is_fast() -> None:
    data = synthetic_plan().encode("utf-8")
    assert len(data) >= 1024 * 1024
    start = time.perf_counter()
    plan = parse_document(data, "big.txt")
    elapsed = time.perf_counter() - start
    assert len(plan.tasks) > 4000
    assert elapsed < 3.0, elapsed


def test_one_megabyte_single_line_is_fast() -> None:
    data = synthetic_plan().replace("\n", "").encode("utf-8")
    start = time.perf_counter()
    plan = parse_document(data, "big.txt")
    assert time.perf_counter() - start < 3.0
    assert len(plan.tasks) > 4000


def test_pathological_input_is_linear() -> None:
    nasty = ("(" * 20000 + "市科技局、" * 5000 + "1.2.3." * 5000 + "一是二是" * 3000) * 2
    start = time.perf_counter()
    try:
        parse_document(nasty.encode(), "x.txt")
    except Exception as err:  # only ParseError is possible; the point is the time
        assert type(err).__name__ == "ParseError"
    assert time.perf_counter() - start < 3.0
