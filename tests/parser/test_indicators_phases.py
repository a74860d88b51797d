"""Numeric targets and dated phases."""

from __future__ import annotations

import pytest

from .helpers import PLAN, parse


def _indicators(goal: str) -> list[tuple[float, str, str, int | None]]:
    plan = parse(f"一、工作目标\n{goal}\n二、主要任务\n1.加强创造。(市科技局)\n")
    return [(i.value, i.unit, i.comparator, i.year) for i in plan.indicators]


def test_plan_indicators() -> None:
    plan = parse(PLAN)
    assert [(i.value, i.unit, i.comparator, i.year, i.path) for i in plan.indicators] == [
        (8000, "件", ">=", 2023, "一"),
        (5, "亿元", ">", 2023, "一"),  # 超过: more than
        (95, "%", ">=", 2023, "一"),
    ]
    assert plan.indicators[0].text == "全市有效发明专利拥有量达到8000件"


@pytest.mark.parametrize(
    ("goal", "expected"),
    [
        ("到2022年,有效注册商标拥有量达到8.5万件。", [(8.5, "万件", ">=", 2022)]),
        ("年结案率达到95%以上。", [(95, "%", ">=", None)]),
        ("2010年达到年专利申请量5000件左右。", [(5000, "件", "~", 2010)]),
        ("培育100余户优势单位。", [(100, "户", ">=", None)]),
        ("普及培训科技人员5万人次。", [(5, "万人次", "=", None)]),
        ("每万人有效发明专利拥有量达到75件。", [(75, "件", ">=", None)]),
        (
            "审查周期控制在30个工作日以内,侵权率不超过5%。",
            [(30, "个工作日", "<=", None), (5, "%", "<=", None)],
        ),
        ("力争授权专利2件以上的企业数量达10家以上。", [(10, "家", ">=", None)]),
        (
            "建立服务机构3家以上服务机构和企业建立数据库1个以上。",
            [(3, "家", ">=", None), (1, "个", ">=", None)],
        ),
        ("商标注册量约1.2万件。", [(1.2, "万件", "~", None)]),
        ("培育“33618”产业集群,开展“4·26”宣传周,打造十大品牌,办好“3.15”活动。", []),
        ("实施《2021-2025年规划》,落实国发〔2020〕5号文件。", []),
        ("第3批试点,排名第5位。", []),
    ],
)
def test_indicator_forms(goal: str, expected: list[tuple[float, str, str, int | None]]) -> None:
    assert _indicators(goal) == expected


def test_year_from_subsection_title() -> None:
    text = "一、工作目标\n(一)到2010年的具体目标\n专利申请量达到5000件。\n二、主要任务\n1.甲。(市科技局)\n"
    plan = parse(text)
    assert [(i.value, i.year, i.path) for i in plan.indicators] == [(5000, 2010, "一.(一)")]


def test_phases_with_typos() -> None:
    text = (
        "一、重点工作\n1.甲。(市科技局)\n二、工作步骤\n(一)工作启动阶段(20238月一202310月)\n召开启动会。\n"
        "(二)组织实施阶段(2023年11月—2025年12月)\n全面实施。\n(三)总结验收阶段(20261月﹣20267月)\n总结。\n"
        "(四)巩固提高阶段(20267月以后)\n巩固。\n"
    )
    plan = parse(text)
    assert [(p.name, p.start, p.end) for p in plan.phases] == [
        ("工作启动阶段", "2023-08", "2023-10"),
        ("组织实施阶段", "2023-11", "2025-12"),
        ("总结验收阶段", "2026-01", "2026-07"),
        ("巩固提高阶段", "2026-07", None),
    ]
    assert plan.sections[1].children[0].title == "工作启动阶段"
    assert sum(w.code == "date_typo" for w in plan.warnings) == 3
    assert plan.indicators == []


def test_phase_items_and_same_year_end() -> None:
    text = (
        "一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n1.动员部署阶段(2023年8月—10月)。开展动员。\n"
        "2.集中攻坚阶段(2023年11月至2024年6月15日)。攻坚。\n"
    )
    plan = parse(text)
    assert [(p.name, p.start, p.end) for p in plan.phases] == [
        ("动员部署阶段", "2023-08", "2023-10"),
        ("集中攻坚阶段", "2023-11", "2024-06-15"),
    ]


def test_no_phases_without_dates() -> None:
    plan = parse("一、重点工作\n1.甲。(市科技局)\n二、工作步骤\n(一)启动阶段\n召开会议。\n")
    assert plan.phases == []


def test_phase_with_end_date_only() -> None:
    plan = parse("一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n(一)、动员阶段(2023年10月底前)\n部署。\n")
    assert [(p.name, p.start, p.end) for p in plan.phases] == [("动员阶段", None, "2023-10")]


def test_trillion_units_mixed_quotes_baselines_and_descriptions() -> None:
    from tasks.parser.indicators import Chunk, find_indicators
    from tasks.parser.text import AStr

    def found(text: str) -> list[tuple[float, str]]:
        return [(i.value, i.unit) for i in find_indicators([Chunk(1, AStr.plain(text))], "一", 2025)]

    assert found("到2025年,产业总规模达到2万亿元。") == [(2, "万亿元")]
    # an opening “ closed by a plain " must not hide the rest of the text
    assert found('完善“前台综合受理、后台分类办理"模式,各级大厅综合一窗率达90%以上。') == [(90, "%")]
    assert found('在现有62项“一站式"便民服务的基础上,持续拓展。') == []
    assert found("涵盖话务、业务和可视化3大平台、19类功能模块。") == []
