"""Title, 文号, issuer, issue date and period."""

from __future__ import annotations

from datetime import date

import pytest

from .helpers import PLAN, parse

BODY = "\n一、主要任务\n1.加强创造。(市科技局)\n"


def test_plan_metadata() -> None:
    plan = parse(PLAN)
    assert plan.title == "某市知识产权强市建设工作方案(2021—2023年)"  # joined over two lines, wrapper dropped
    assert plan.doc_number == "某府办〔2021〕12号"  # not the cited 中发〔2021〕1号
    assert plan.issuer == "某市人民政府办公室"
    assert plan.issued_on == date(2021, 3, 5)  # 二○二一年三月五日
    assert plan.period == (2021, 2023)  # not the cited (2021—2035年)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("呼政字 〔2019〕 84号", "呼政字〔2019〕84号"),
        ("哈政办发[2008]11号", "哈政办发[2008]11号"),
        ("某政发(2020)3号", "某政发(2020)3号"),
        ("发布文号: 哈政办发[2007]11号", "哈政办发[2007]11号"),
        ("文号 舞政办〔2023〕26号 索引号 00wgs-00000-2023-00026", "舞政办〔2023〕26号"),
    ],
)
def test_doc_number_forms(line: str, expected: str) -> None:
    plan = parse(f"{line}\n某市知识产权工作方案{BODY}")
    assert plan.doc_number == expected


def test_cited_doc_number_is_not_the_plans() -> None:
    plan = parse(
        "某市知识产权工作方案\n为落实《国务院关于印发纲要的通知》(国发〔2008〕18号),制定本方案。" + BODY
    )
    assert plan.doc_number is None


def test_title_from_wrapper_when_no_own_heading() -> None:
    text = (
        "广州市人大常委会关于《广州市知识产权事业发展第十三个五年规划》的决议\n"
        "(2017年6月30日广州市人大常委会第五次会议通过)\n会议同意。\n一、科学部署。一要健全体系。二要促进合作。\n"
    )
    plan = parse(text)
    assert plan.title == "广州市知识产权事业发展第十三个五年规划"
    assert plan.period == (2016, 2020)
    assert plan.issued_on == date(2017, 6, 30)
    assert plan.issuer == "广州市人大常委会"


def test_web_markers_removed_from_title() -> None:
    plan = parse("关于印发《某市专利工作方案》的通知(已失效)\n正文。" + BODY)
    assert plan.title == "某市专利工作方案"


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("2011-2012年实施某市知识产权战略纲要工作方案", (2011, 2012)),
        ("某市知识产权工作方案(2019—2022年)", (2019, 2022)),
        ("某县强县建设示范县(2023-2026)实施方案", (2023, 2026)),
        ("某市知识产权“十四五”规划", (2021, 2025)),
        ("某市知识产权事业发展第十三个五年规划", (2016, 2020)),
        ("某市2023年知识产权工作要点", (2023, 2023)),
    ],
)
def test_period_from_title(title: str, period: tuple[int, int]) -> None:
    assert parse(f"{title}{BODY}").period == period


def test_period_from_goals_when_title_has_none() -> None:
    text = (
        "某市创建示范城市工作方案\n一、工作目标\n(一)总体目标\n在“十一五”期间,建成示范城市。\n"
        "二、工作重点\n1.加强创造。(市科技局)\n"
    )
    assert parse(text).period == (2006, 2010)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("二○一一年九月八日", date(2011, 9, 8)),
        ("二〇二三年十二月三十一日", date(2023, 12, 31)),
        ("2023年8月15日", date(2023, 8, 15)),
        ("二○○七年九月二十九日", date(2007, 9, 29)),
    ],
)
def test_signature_dates(line: str, expected: date) -> None:
    plan = parse(f"某市人民政府办公室\n{line}\n某市知识产权工作方案{BODY}")
    assert plan.issued_on == expected
    assert plan.issuer == "某市人民政府办公室"


def test_posting_time_is_not_the_issue_date() -> None:
    text = "发布时间:2019-08-31 22:14:15\n某市人民政府办公厅\n二○○七年九月二十九日\n某市工作方案" + BODY
    assert parse(text).issued_on == date(2007, 9, 29)


def test_metadata_date_as_fallback() -> None:
    assert parse("成文日期:2022-03-04\n某市工作方案" + BODY).issued_on == date(2022, 3, 4)


def test_no_metadata() -> None:
    plan = parse(BODY)
    assert (plan.title, plan.doc_number, plan.issuer, plan.issued_on, plan.period) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_a_remark_closing_the_notice_is_not_part_of_the_title() -> None:
    plan = parse(
        "国务院办公厅关于印发“无废城市”建设试点工作方案的通知\n各省人民政府：\n现将方案印发给你们，请认真贯彻执行。\n"
        "国务院办公厅\n2018年12月29日\n（此件公开发布）\n\n“无废城市”建设试点工作方案\n"
        "一、主要任务\n1.甲。（生态环境部负责）\n"
    )
    assert plan.title == "“无废城市”建设试点工作方案"


def test_a_notice_that_is_the_document_keeps_its_whole_heading() -> None:
    plan = parse(
        "国务院关于支持自由贸易试验区深化改革创新若干措施的通知\n各省人民政府:\n一、营造优良投资环境\n(一)甲。(负责部门:商务部)\n"
    )
    assert plan.title == "国务院关于支持自由贸易试验区深化改革创新若干措施的通知"
    wrapped = parse("关于印发某市专利工作方案的通知\n各区:\n一、主要任务\n1.甲。(市科技局)\n")
    assert wrapped.title == "某市专利工作方案"


@pytest.mark.parametrize(
    "wrapper",
    [
        "上海市长宁区人民政府办公室印发《关于进一步加强长宁区公共消防安全的工作意见》的通知",
        "上海市徐汇区人民政府办公室关于转发区绿化市容局制订的《关于进一步加强长宁区公共消防安全的工作意见》的通知",
    ],
)
def test_the_title_named_in_the_wrapper_is_taken_whole(wrapper: str) -> None:
    plan = parse(wrapper + "\n各街道:\n一、主要任务\n1.甲。(区消防救援支队)\n")
    assert plan.title == "关于进一步加强长宁区公共消防安全的工作意见"


def test_a_sentence_citing_a_decision_is_not_a_title() -> None:
    plan = parse(
        "为深入贯彻科学发展观，根据《中共广州市委、广州市人民政府关于全面推进新型城市化发展的决定》，"
        "现就推进科技创新工程提出以下实施意见。\n一、主要任务\n1.甲。（牵头单位：市科技局）\n"
    )
    assert plan.title is None
