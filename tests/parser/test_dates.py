"""planparser.dates: Chinese deadline phrases to ISO dates."""

from __future__ import annotations

from datetime import date

import pytest

from planparser.dates import DATE, ONGOING, UNCLEAR, is_time_phrase, parse_deadline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年6月底前", "2026-06-30"),
        ("2027年2月", "2027-02-28"),
        ("2024年2月", "2024-02-29"),
        ("2026年12月31日前完成", "2026-12-31"),
        ("2025年", "2025-12-31"),
        ("2024年底前", "2024-12-31"),
        ("二〇二四年底前", "2024-12-31"),
        ("2025年启动,2026年9月完成", "2026-09-30"),
        ("2023—2025年", "2025-12-31"),
        ("2024年上半年", "2024-06-30"),
        ("2024年第三季度", "2024-09-30"),
        ("2024-06-30", "2024-06-30"),
        ("2023年3月起，2024年底前完成", "2024-12-31"),
    ],
)
def test_phrases_with_their_own_year(text: str, expected: str) -> None:
    found = parse_deadline(text)
    assert found is not None and (found.iso, found.status, found.text) == (expected, DATE, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6月底完成", "2022-06-30"),
        ("（6月底完成", "2022-06-30"),
        ("5月底取得阶段性成效并持续推进", "2022-05-31"),
        ("7月份取得明显成效", "2022-07-31"),
        ("十月底", "2022-10-31"),
        ("9月30日前", "2022-09-30"),
        ("9月底前", "2022-09-30"),
        ("年内", "2022-12-31"),
        ("年底前", "2022-12-31"),
        ("三季度", "2022-09-30"),
        ("上半年", "2022-06-30"),
        ("11月上旬", "2022-11-10"),
        ("明年6月底前", "2023-06-30"),
        ("次年", "2023-12-31"),
    ],
)
def test_phrases_taking_the_plans_year(text: str, expected: str) -> None:
    found = parse_deadline(text, year=2022)
    assert found is not None and (found.iso, found.status) == (expected, DATE)


@pytest.mark.parametrize(
    "text", ["持续推进", "长期坚持", "按进度推进", "持续优化", "常态化开展", "每年12月底前", "自2023年起"]
)
def test_continuous_work_has_no_date_and_is_understood(text: str) -> None:
    found = parse_deadline(text, year=2022)
    assert found is not None and (found.iso, found.status) == (None, ONGOING)


def test_relative_phrases_need_the_issue_date() -> None:
    found = parse_deadline("印发后3个月内", year=2023)
    assert found is not None and (found.iso, found.status) == (None, UNCLEAR)
    found = parse_deadline("本方案印发之日起30日内", issued_on=date(2023, 3, 5))
    assert found is not None and found.iso == "2023-04-04"
    found = parse_deadline("印发后3个月内", issued_on=date(2023, 11, 30))
    assert found is not None and found.iso == "2024-02-29"


@pytest.mark.parametrize("text", ["6月底完成", "年内", "2024年13月", "视情况而定", "近期"])
def test_not_understood(text: str) -> None:
    found = parse_deadline(text) if text != "视情况而定" else parse_deadline(text, year=2022)
    assert found is not None and found.status == UNCLEAR and found.iso is None


def test_empty_is_none() -> None:
    assert parse_deadline(None) is None
    assert parse_deadline("  ") is None


def test_time_phrase_or_names() -> None:
    assert is_time_phrase("6月底完成")
    assert is_time_phrase("持续推进")
    assert not is_time_phrase("市科技局")
    assert not is_time_phrase("各市人民政府")
