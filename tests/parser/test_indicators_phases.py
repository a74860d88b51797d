"""Numeric targets and dated phases."""

from __future__ import annotations

import pytest

from planparser.indicators import Chunk, find_indicators
from planparser.model import ParsedIndicator, ParsedPlan
from planparser.text import AStr

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
    assert _phases(plan) == [
        ("工作启动阶段", "2023-08", "2023-10"),
        ("组织实施阶段", "2023-11", "2025-12"),
        ("总结验收阶段", "2026-01", "2026-07"),
        ("巩固提高阶段", "2026-07", None),
    ]
    assert plan.sections[1].children[0].title == "工作启动阶段"
    assert sum(w.code == "date_typo" for w in plan.warnings) == 3
    assert plan.indicators == []


def _phases(plan: ParsedPlan) -> list[tuple[str, str | None, str | None]]:
    return [(p.name, p.start, p.end) for p in plan.phases]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n1.动员部署阶段(2023年8月—10月)。开展动员。\n"
            "2.集中攻坚阶段(2023年11月至2024年6月15日)。攻坚。\n",
            [("动员部署阶段", "2023-08", "2023-10"), ("集中攻坚阶段", "2023-11", "2024-06-15")],
            id="items-and-same-year-end",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、工作步骤\n(一)启动阶段\n召开会议。\n",
            [],
            id="no-phases-without-dates",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n(一)、动员阶段(2023年10月底前)\n部署。\n",
            [("动员阶段", None, "2023-10")],
            id="end-date-only",
        ),
        pytest.param(
            "2017年高层建筑整治工作方案\n一、重点工作\n1.甲。(市科技局)\n二、工作步骤\n(一)动员部署阶段(8月31日前)\n部署。\n"
            "(二)排查整治阶段(9月1日至11月30日)\n排查。\n",
            [("动员部署阶段", None, "2017-08-31"), ("排查整治阶段", "2017-09-01", "2017-11-30")],
            id="dates-without-a-year-take-the-plans",
        ),
        pytest.param(
            "2026年电动自行车充电场所建设方案\n一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n(一)第一季度:立项。\n(二)第四季度:验收。\n",
            [("第一季度", "2026-01", "2026-03"), ("第四季度", "2026-10", "2026-12")],
            id="quarters",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、工作步骤\n(一)建立工作机制(2021年8月)。编制方案。\n"
            "(二)长效阶段(2024年7月起至2025年12月)\n巩固。\n",
            [("建立工作机制", "2021-08", "2021-08"), ("长效阶段", "2024-07", "2025-12")],
            id="one-month-and-from-until",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、实施步骤\n(一)制定实施方案。2019年上半年,试点城市印发实施方案。\n",
            [("制定实施方案", "2019-01", "2019-06")],
            id="half-year",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、基本步骤\n(一)第一阶段:集中攻坚\n2023年9月底前,排查。2023年11月底前,整治。\n"
            "1.组织排查。\n2.建立台账。\n",
            [("第一阶段:集中攻坚", None, "2023-11")],
            id="a-stage-heading-with-a-colon-and-its-last-step",
        ),
        pytest.param(
            "一、重点工作\n1.甲。(市科技局)\n二、计划安排\n(一)制定方案阶段\n1.2024年8月底前,梳理任务。\n"
            "2.2024年9月底前,制定方案。\n(二)总结阶段\n2026年12月,各区总结。\n"
            "(三)运行阶段。系统上线运行。(责任部门:市交通委。时间节点:2027年5月)\n",
            [
                ("制定方案阶段", None, "2024-09"),
                ("总结阶段", "2026-12", "2026-12"),
                ("运行阶段", "2027-05", "2027-05"),
            ],
            id="stages-dated-by-what-they-hold",
        ),
    ],
)
def test_phases(text: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert _phases(parse(text)) == expected


def test_trillion_units_mixed_quotes_baselines_and_descriptions() -> None:
    assert _found("到2025年,产业总规模达到2万亿元。") == [(2, "万亿元")]
    # an opening “ closed by a plain " must not hide the rest of the text
    assert _found('完善“前台综合受理、后台分类办理"模式,各级大厅综合一窗率达90%以上。') == [(90, "%")]
    assert _found('在现有62项“一站式"便民服务的基础上,持续拓展。') == []
    assert _found("涵盖话务、业务和可视化3大平台、19类功能模块。") == []


def test_units_of_power_area_and_vehicles() -> None:
    assert _found("全国农机总动力稳定在11亿千瓦左右。") == [(11, "亿千瓦")]
    assert _found("新增光伏装机容量300兆瓦。") == [(300, "兆瓦")]
    assert _found("海绵城市达标面积不少于50平方公里。") == [(50, "平方公里")]
    assert _found("推广新能源公交车2000辆。") == [(2000, "辆")]


def test_quotas_frequencies_and_durations_are_not_targets() -> None:
    assert _found("优先支持其行政区域内1家符合条件的国家高新区。") == []
    assert _found("原则上每5年修订1次职业院校专业目录,每年调整1次专业。") == []
    assert _found("用3个月左右时间开展集中攻坚。") == []
    assert _found("可申请最高不超过15万元的创业担保贷款。") == []
    assert _found("可返还其上年度实际缴纳失业保险费的50%。") == []
    assert _found("或按6个月的企业及其职工应缴纳社会保险费50%的标准确定。") == []
    assert _found("符合申请条件的人员数量达到企业现有在职职工人数25%(超过100人的企业达到15%)。") == []
    assert _found("(一)县道截至2020年底,全区县道总里程427公里,桥梁371座。") == []
    assert _found("专项养护工程按照总里程13%的维修率测算相关养护费用。") == []
    assert _found("目前已建成10个中心。到2025年,建成30个中心。") == [(30, "个")]
    assert _found("到2022年,建设50所高水平高等职业学校。") == [(50, "所")]


def test_goals_paragraph_between_the_title_and_the_first_chapter() -> None:
    plan = parse(
        "国家职业教育改革实施方案\n职业教育与普通教育是两种不同教育类型。\n"
        "具体指标:到2022年,建设50所高水平高等职业学校和150个骨干专业(群)。\n"
        "一、完善制度体系\n(一)健全国家职业教育制度框架。(教育部负责)\n"
    )
    assert [(i.value, i.unit, i.year) for i in plan.indicators] == [(50, "所", 2022), (150, "个", 2022)]


def _found(text: str) -> list[tuple[float, str]]:
    """(value, unit) of each target :func:`_find` reads in ``text``."""
    return [(i.value, i.unit) for i in _find(text)]


def _find(text: str) -> list[ParsedIndicator]:
    """The indicators of one sentence of section 一, in a plan of 2025."""
    return find_indicators([Chunk(1, AStr.plain(text))], "一", 2025)


def _read(sentence: str) -> list[tuple[str, str, float, str, int, float | None, int | None]]:
    return [
        (i.comparator, i.basis, i.value, i.unit, i.multiplier, i.baseline, i.baseline_year)
        for i in _find(sentence)
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # phrase: comparator, basis, value, unit as written, its multiplier, baseline, baseline year
        ("新增发明专利授权1500件", (">=", "increment", 1500, "件", 1, None, None)),
        ("新增“皖企登云”企业2万家", (">=", "increment", 2, "万家", 10_000, None, None)),
        ("累计建设5G基站4600个", (">=", "cumulative", 4600, "个", 1, None, None)),
        ("有效注册商标拥有量达到8.5万件", (">=", "level", 8.5, "万件", 10_000, None, None)),
        ("质押融资额达到5亿元", (">=", "level", 5, "亿元", 100_000_000, None, None)),
        ("专利实施率提高到60%", (">=", "level", 60, "%", 1, None, None)),
        ("专利实施率由2020年的45%提高到60%", (">=", "level", 60, "%", 1, 45, 2020)),
        ("平均审查周期由50个工作日压缩到30个工作日", ("<=", "level", 30, "个工作日", 1, 50, None)),
        ("专利授权率比2020年提高5个百分点", (">=", "rise", 5, "个百分点", 1, None, 2020)),
        ("在2020年45%的基础上提高5个百分点", (">=", "rise", 5, "个百分点", 1, 45, 2020)),
        ("覆盖率每年提升1～3个百分点", (">=", "rise", 3, "个百分点", 1, None, None)),
        ("重点企业生产效率提高20%以上", (">=", "rise", 20, "%", 1, None, None)),
        ("侵权案件数下降到20件", ("<=", "level", 20, "件", 1, None, None)),
        ("平均处理时间降低15%", ("<=", "fall", 15, "%", 1, None, None)),
        ("侵权投诉率较2020年下降2个百分点", ("<=", "fall", 2, "个百分点", 1, None, 2020)),
        ("审查周期控制在30个工作日以内", ("<=", "level", 30, "个工作日", 1, None, None)),
        ("年专利申请量5000件左右", ("~", "level", 5000, "件", 1, None, None)),
        ("累计约3600户", ("~", "cumulative", 3600, "户", 1, None, None)),
        ("结案率不低于95%", (">=", "level", 95, "%", 1, None, None)),
        ("侵权率不高于5%", ("<=", "level", 5, "%", 1, None, None)),
        ("质押融资额超过5亿元", (">", "level", 5, "亿元", 100_000_000, None, None)),
        ("为各区至少培育1家示范基地", (">=", "level", 1, "家", 1, None, None)),
        ("培养专利管理工作人员300人", ("=", "level", 300, "人", 1, None, None)),
        ("普及培训科技人员5万人次", ("=", "level", 5, "万人次", 10_000, None, None)),
    ],
)
def test_phrase_gives_comparator_basis_and_baseline(sentence: str, expected: tuple[object, ...]) -> None:
    assert _read(sentence) == [expected]


def test_a_list_after_xinzeng_inherits_it_and_a_baseline_is_not_a_target() -> None:
    assert [r[:3] for r in _read("新增A企业10家、B企业20家")] == [
        (">=", "increment", 10),
        (">=", "increment", 20),
    ]
    # the starting 45% is the baseline of the 60%, not a target of its own; 2020 is not the target year
    assert [(i.value, i.year) for i in _find("专利实施率由2020年的45%提高到60%")] == [(60, 2025)]


def test_steps_under_a_stage_heading_with_a_colon_are_not_tasks() -> None:
    plan = parse(
        "一、重点工作\n1.甲。(市科技局)\n二、基本步骤\n(一)第一阶段:集中攻坚\n2023年9月底前,排查。\n"
        "1.组织排查。\n2.建立台账。\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1"]
    assert plan.sections[1].children[0].title == "第一阶段:集中攻坚"


def test_the_span_of_a_five_year_plan_is_a_deadline() -> None:
    plan = parse(
        "一、重点工作\n1.改造燃气管网。“十四五”期间完成1000公里改造。(市住房城乡建设管理委牵头负责)\n"
    )
    assert plan.tasks[0].deadline == "2025-12-31"
