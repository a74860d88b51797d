"""Fuzzing the issue-13 conventions: attachments, 专栏 boxes, scores, time nodes, table rows.

Text input is never "malformed": a ParseError other than empty/no_tasks/binary here would be a
parser bug hidden behind the catch-all in ``parse_text``.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planparser import ParseError, parse_text
from planparser.dates import DATE, ONGOING, UNCLEAR, context_year, parse_deadline

TOKENS = st.sampled_from(
    [
        "一、",
        "二、",
        "(一)",
        "(二)",
        "1.",
        "2.",
        "1．",
        "2﹒",
        "3、",
        "\n",
        "。",
        "，",
        "；",
        "：",
        "(",
        ")",
        "（",
        "）",
        "附件",
        "附件1",
        "专栏1",
        "（3分）",
        "（0.5分）",
        "牵头单位：",
        "牵头考核单位：",
        "配合单位：",
        "责任单位:",
        "市科技局",
        "审批服务局",
        "各市人民政府",
        "等和",
        "等有关部门",
        "会同有关部门",
        "负责",
        "牵头",
        "配合",
        "6月底完成",
        "2024年底前",
        "年内",
        "印发后3个月内",
        "持续推进",
        "序号",
        "工作任务",
        "\t",
        "  ",
        "达到90%以上",
        "行动步骤",
        "保障措施",
        "排在第一位的部门为牵头部门，下同",
        "“",
        '"',
    ]
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(TOKENS, min_size=1, max_size=60))
def test_convention_soup_never_breaks_the_parser(tokens: list[str]) -> None:
    try:
        plan = parse_text("".join(tokens))
    except ParseError as err:
        assert err.code in {"empty", "no_tasks", "binary"}, str(err)
        return
    for t in plan.tasks:
        assert t.deadline is None or date.fromisoformat(t.deadline)
        assert t.flags == sorted(set(t.flags), key=t.flags.index)
    plan.to_expected_json()


@SETTINGS
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789年月日底前内上下半季度第一二三四五六七八九十〇个天周后印发-./ 持续长期")
        ),
        max_size=30,
    ),
    st.one_of(st.none(), st.integers(min_value=1990, max_value=2100)),
    st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))),
)
def test_any_deadline_phrase_gives_a_valid_date_or_none(
    text: str, year: int | None, issued: date | None
) -> None:
    found = parse_deadline(text, year=year, issued_on=issued)
    if found is None:
        assert not text.strip()
        return
    assert found.status in (DATE, ONGOING, UNCLEAR)
    assert (found.iso is not None) == (found.status == DATE)
    if found.iso is not None:
        date.fromisoformat(found.iso)


def test_context_year() -> None:
    assert context_year((2022, 2022), date(2021, 12, 1)) == 2022
    assert context_year((2021, 2023), date(2021, 5, 1)) == 2021
    assert context_year((2021, 2023), None) == 2021
    assert context_year(None, None) is None


CELL = st.sampled_from(
    ["序号", "工作任务", "牵头单位", "配合单位", "处室", "1", "2", "市科技局", "/", "", "甲。", "6月底"]
)
SPAN = st.sampled_from(["", "0", "1", "2", "3", "x", "-1", "99"])


@SETTINGS
@given(st.lists(st.lists(st.tuples(CELL, SPAN, SPAN), min_size=1, max_size=6), min_size=1, max_size=8))
def test_html_tables_with_any_spans(rows: list[list[tuple[str, str, str]]]) -> None:
    from planparser import parse_document

    body = "".join(
        "<tr>" + "".join(f'<td rowspan="{r}" colspan="{c}">{text}</td>' for text, r, c in row) + "</tr>"
        for row in rows
    )
    html = f"<html><body><p>一、主要任务</p><p>1.加强创造。(市科技局)</p><table>{body}</table></body></html>"
    try:
        plan = parse_document(html.encode("utf-8"), "plan.html")
    except ParseError as err:
        assert err.code in {"empty", "no_tasks"}, str(err)
        return
    plan.to_expected_json()
