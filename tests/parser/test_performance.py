"""Big and hostile inputs parse completely; the times are printed (``-s``), never asserted.

The figures to watch are those of ``python -m planparser.bench``; a timed assertion here would
only measure how busy the machine is.
"""

from __future__ import annotations

import time

from planparser import ParseError, parse_document
from planparser.bench import synthetic_plan


def _timed(data: bytes) -> tuple[object, float]:
    start = time.perf_counter()
    try:
        result: object = parse_document(data, "big.txt")
    except ParseError as err:
        result = err
    return result, time.perf_counter() - start


def test_one_megabyte_plan_parses_whole() -> None:
    data = synthetic_plan().encode("utf-8")
    assert len(data) >= 1024 * 1024
    plan, elapsed = _timed(data)
    assert not isinstance(plan, ParseError)
    assert len(plan.tasks) > 4000  # type: ignore[attr-defined]
    print(f"1 MB plan: {elapsed:.2f} s")


def test_one_megabyte_single_line_parses_whole() -> None:
    plan, elapsed = _timed(synthetic_plan().replace("\n", "").encode("utf-8"))
    assert not isinstance(plan, ParseError)
    assert len(plan.tasks) > 4000  # type: ignore[attr-defined]
    print(f"1 MB one-line plan: {elapsed:.2f} s")


def test_pathological_input_ends_with_a_result_or_a_parse_error() -> None:
    nasty = ("(" * 20000 + "市科技局、" * 5000 + "1.2.3." * 5000 + "一是二是" * 3000) * 2
    result, elapsed = _timed(nasty.encode())
    assert isinstance(result, ParseError) or hasattr(result, "tasks")
    print(f"pathological input: {elapsed:.2f} s")
