"""Attributions in every form, name restoration and roles (DESIGN §3)."""

from __future__ import annotations

import pytest

from planparser.departments import find_attribution, parse_roles
from planparser.text import AStr

from .helpers import parse, roles


def _roles(text: str) -> tuple[list[str], list[str], list[str]]:
    plan = parse("一、主要任务\n1." + text + "\n")
    return roles(plan, "一.1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加强创造。(市科技局、知识产权局、经信局)", (["市科技局"], ["市知识产权局", "市经信局"], [])),
        (
            "加强创造。(牵头单位:市市场监管局;责任单位:市工信局、市财政局)",
            (["市市场监管局"], ["市工信局", "市财政局"], []),
        ),
        ("加强创造。(牵头单位;市市场监管局;责任单位:市教体局)", (["市市场监管局"], ["市教体局"], [])),
        ("加强创造。\n责任单位:市科技局、市财政局", (["市科技局"], ["市财政局"], [])),
        (
            "加强创造。\n牵头单位:市科技局\n配合单位:市财政局、市教育局",
            (["市科技局"], [], ["市财政局", "市教育局"]),
        ),
        ("加强创造。(市公安局负责)", (["市公安局"], [], [])),
        ("加强创造。(市市场监管局、市公安局按职责分工负责)", (["市市场监管局"], ["市公安局"], [])),
        ("加强创造。市司法局、市仲裁委负责。", (["市司法局"], ["市仲裁委"], [])),
        (
            "加强创造。(责任单位:市市场监管局(知识产权局)牵头,市发展改革局(市信用办)、市公安局配合)",
            (["市市场监管局(知识产权局)"], [], ["市发展改革局(市信用办)", "市公安局"]),
        ),
        (
            "加强创造。(责任单位:横琴新区管委会、市市场监管局(知识产权局)牵头,市科技创新局配合)",
            (["横琴新区管委会", "市市场监管局(知识产权局)"], [], ["市科技创新局"]),
        ),
        (
            "加强创造。(责任单位:各区政府(管委会)、市市场监管局(知识产权局)负责)",
            (["各区政府(管委会)"], ["市市场监管局(知识产权局)"], []),
        ),
        ("加强创造。(责任单位:各区政府(管委会))", (["各区政府(管委会)"], [], [])),
        (
            "加强创造。(市科技局、知识产权局、经信局,松山湖管委会、虎门港管委会)",
            (["市科技局"], ["市知识产权局", "市经信局", "松山湖管委会", "虎门港管委会"], []),
        ),
        ("加强创造。(市知识产权、工商、版权局)", (["市知识产权局"], ["市工商局", "市版权局"], [])),
        (
            "加强创造。(市知识产权办公会议各成员单位、各镇街)",
            (["市知识产权办公会议各成员单位"], ["各镇街"], []),
        ),
        ("加强创造。(东莞海关)", (["东莞海关"], [], [])),
        ("加强创造。(市科技局,各区、县级市等部门)", (["市科技局"], ["各区、县级市"], [])),
        (
            "加强创造。(市科技局、财政局，各有关区、县级市政府)",
            (["市科技局"], ["市财政局", "各有关区、县级市政府"], []),
        ),
        ("加强创造。(市场监管总局、知识产权局)", (["市场监管总局"], ["知识产权局"], [])),
        ("加强创造。(市科技局、市场监管局)", (["市科技局"], ["市市场监管局"], [])),
        ("加强创造。(市教育局、人社局等部门)", (["市教育局"], ["市人社局"], [])),
        ("加强创造。(牵头单位:市商务局市;配合单位:市财政局)", (["市商务局"], [], ["市财政局"])),
        ("加强创造。(市教育局、各区政府(管委会)、配合)", ([], [], ["市教育局", "各区政府(管委会)"])),
        ("加强创造。(牵头单位:市科技局;协同单位:市财政局)", (["市科技局"], [], ["市财政局"])),
        ("加强创造。(市科技局、财政局)。", (["市科技局"], ["市财政局"], [])),
        ("加强创造。(区科技局、财政局)", (["区科技局"], ["区财政局"], [])),
        pytest.param(
            "加强标准。(工业和信息化部、发展改革委、科技部等负责。列第一位者为牵头单位,下同)",
            (["工业和信息化部"], ["发展改革委", "科技部"], []),
            id="a-rule-sentence-after-the-units",
        ),
        pytest.param(
            "建立体系。(自然资源部、工业和信息化部指导)",
            (["自然资源部"], ["工业和信息化部"], []),
            id="guides",
        ),
        pytest.param(
            "推广回收。(商务部指导,供销合作总社参与)",
            (["商务部"], [], ["供销合作总社"]),
            id="guides-and-takes-part",
        ),
        pytest.param(
            "加强监管。(市局特种设备安全监察处牵头,执法稽查处、网络交易和市场规范监督管理处、反垄断和价格监督检查办公室"
            "按职责分工负责;区市场监管局组织落实)",
            (
                ["市局特种设备安全监察处"],
                [
                    "市局执法稽查处",
                    "市局网络交易和市场规范监督管理处",
                    "市局反垄断和价格监督检查办公室",
                    "区市场监管局",
                ],
                [],
            ),
            id="divisions-of-the-bureau-named-once",
        ),
        pytest.param(
            "建设平台。(责任部门:市水务局、交通运输部上海海事局、自然资源部东海局)",
            (["市水务局"], ["交通运输部上海海事局", "自然资源部东海局"], []),
            id="a-ministrys-body-in-the-city-takes-no-city-prefix",
        ),
        pytest.param(
            "深化改革。(负责部门:发展改革委、粮食和储备局,适用范围:浙江自贸试验区)",
            (["发展改革委"], ["粮食和储备局"], []),
            id="another-field-after-the-units",
        ),
        pytest.param(
            "降低成本。(财政部、人力资源社会保障部、民政部等有关部门和单位按职责分工负责)",
            (["财政部"], ["人力资源社会保障部", "民政部"], []),
            id="generic-tail-of-departments-and-units",
        ),
        pytest.param(
            "加强管理。(市交通委牵头负责、各区政府组织落实)",
            (["市交通委"], ["各区政府"], []),
            id="comma-after-a-role-word",
        ),
        pytest.param(
            "完善政策。(市住房城乡建设管理委、市财政局牵头负责,市民政局按职责组织配合)",
            (["市住房城乡建设管理委", "市财政局"], [], ["市民政局"]),
            id="by-their-duties-cooperate",
        ),
        pytest.param(
            "排查隐患。(各部门按职责分工牵头负责、各区政府组织落实)",
            (["各部门"], ["各区政府"], []),
            id="by-their-duties-lead",
        ),
        pytest.param("附件清单。(试行)", ([], [], []), id="trial-is-not-a-unit"),
    ],
)
def test_attribution_forms(text: str, expected: tuple[list[str], list[str], list[str]]) -> None:
    assert _roles(text) == expected


def test_marker_clause_then_cooperating_style() -> None:
    # "X牵头,Y" without 配合, in a document that writes "X牵头,Y配合" elsewhere: Y cooperates
    text = (
        "一、任务\n1.甲。(责任单位:市科技局牵头,市财政局配合)\n2.乙。(责任单位:横琴新区管委会牵头,"
        "市市场监管局(知识产权局)\n3.丙。(市教育局)\n"
    )
    plan = parse(text)
    assert roles(plan, "一.2") == (["横琴新区管委会"], [], ["市市场监管局(知识产权局)"])
    codes = {w.code for w in plan.warnings if w.line == 3}
    assert {"unclosed_bracket", "role_guessed"} <= codes


def test_department_bracket_split_across_lines() -> None:
    plan = parse("一、任务\n1.加强创造。(市科技局、\n财政局)\n2.乙。(市教育局)\n")
    assert roles(plan, "一.1") == (["市科技局"], ["市财政局"], [])


def test_body_role_words_are_not_attributions() -> None:
    plan = parse("一、任务\n1.落实责任制。市科技局负责战略纲要实施的统筹、协调和指导。\n2.乙。(市教育局)\n")
    assert roles(plan, "一.1") == ([], [], [])


@pytest.mark.parametrize(
    "text",
    ["(PCT)", "(加速器)", "(2008-2020年)", "(以下简称“平台”)", "(横琴)", "(区)", "(包括仲裁、调解、协商等)"],
)
def test_parentheticals_that_are_not_departments(text: str) -> None:
    assert find_attribution(AStr.plain("建设某某平台" + text)) is None


def test_deadline_in_attribution_and_trailing() -> None:
    first = parse("一、任务\n1.甲。(牵头单位:市科技局;完成时限:2023年底前)\n").tasks[0]
    assert (first.deadline, first.deadline_text) == ("2023-12-31", "2023年底前")
    plan = parse("一、任务\n1.甲。(市科技局)(2023年12月底前完成)\n")
    assert (plan.tasks[0].deadline, plan.tasks[0].deadline_text) == ("2023-12-31", "2023年12月底前完成")
    assert plan.tasks[0].lead == ["市科技局"]


def test_traditional_names_keep_their_characters() -> None:
    plan = parse(
        "一、主要任務\n1.建立維權機制。(牽頭單位:市知識產權局;責任單位:市財政局、科技局)\n"
        "2.開展宣傳。(市文化局負責)\n"
    )
    assert roles(plan, "一.1") == (["市知識產權局"], ["市財政局", "市科技局"], [])
    assert roles(plan, "一.2") == (["市文化局"], [], [])
    assert plan.tasks[0].title == "建立維權機制"
    assert any(w.code == "traditional" for w in plan.warnings)


def test_full_width_punctuation() -> None:
    plan = parse("一、主要任务\n1．加强创造。（牵头单位：市科技局；责任单位：市财政局，市教育局）\n")
    assert roles(plan, "一.1") == (["市科技局"], ["市财政局", "市教育局"], [])
    assert plan.tasks[0].full_text.endswith("（牵头单位：市科技局；责任单位：市财政局，市教育局）")


def test_parse_roles_directly() -> None:
    r = parse_roles(AStr.plain("牵头单位:市科技局、市财政局;配合单位:各区政府"))
    assert (r.lead, r.responsible, r.cooperating) == (["市科技局", "市财政局"], [], ["各区政府"])


def test_space_separated_names_and_notes() -> None:
    assert _roles("甲。(市科技局 市财政局)") == (["市科技局"], ["市财政局"], [])
    assert _roles("甲。(责任单位:市教育局、市人社局,排在第一位的为牵头单位)") == (
        ["市教育局"],
        ["市人社局"],
        [],
    )


def test_a_unit_stated_for_every_later_task_joins_them() -> None:
    plan = parse(
        "一、主要任务\n1.甲。(生态环境部指导,试点城市政府负责落实。以下均需试点城市政府落实,不再列出)\n"
        "2.乙。(商务部指导,供销合作总社参与)\n3.丙。(自然资源部负责)\n"
    )
    assert roles(plan, "一.1") == (["生态环境部"], ["试点城市政府"], [])
    assert roles(plan, "一.2") == (["商务部"], ["试点城市政府"], ["供销合作总社"])
    assert roles(plan, "一.3") == (["自然资源部"], ["试点城市政府"], [])


def test_a_clause_in_brackets_is_not_a_unit() -> None:
    plan = parse("一、主要任务\n1.提高科研仪器使用效率(免税进口的科研仪器设备按有关政策规定执行)。\n")
    assert roles(plan, "一.1") == ([], [], [])


def test_a_contact_line_is_not_an_attribution() -> None:
    plan = parse(
        "一、主要任务\n1.甲。(市科技局负责)\n二、工作要求\n(一)强化督导检查\n请于每月5日前报送。"
        "(市局特种设备安全监察处联系方式:64220000转2666分机)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1"]
