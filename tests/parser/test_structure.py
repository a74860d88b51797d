"""Sections, numbering styles, enumerations and which paragraphs are tasks."""

from __future__ import annotations

import pytest

from planparser import ParseError

from .helpers import PLAN, parse, roles, task


def test_plan_structure_and_paths() -> None:
    plan = parse(PLAN)
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert [(s.label, s.title, s.task_count) for s in plan.sections] == [
        ("一", "工作目标", 0),
        ("二", "重点任务", 3),
        ("三", "保障措施", 0),
    ]
    assert [(c.label, c.title, c.task_count) for c in plan.sections[1].children] == [
        ("(一)", "提升知识产权创造质量", 2),
        ("(二)", "加强知识产权保护", 1),
    ]
    t = task(plan, "二.(一).1")
    assert t.title == "实施高价值专利培育计划"
    assert t.section_path == "二.(一)"
    assert t.number == 1
    assert t.full_text.startswith("实施高价值专利培育计划。支持企业")
    assert t.line == 18


@pytest.mark.parametrize("marker", ["1.", "1、", "1．", "1 .", "(1)", "（1）", "①"])
def test_numbering_styles(marker: str) -> None:
    second = {"1.": "2.", "1、": "2、", "1．": "2．", "1 .": "2 .", "(1)": "(2)", "（1）": "（2）", "①": "②"}[
        marker
    ]
    text = f"一、主要任务\n{marker}加强专利创造。(市科技局)\n{second}加强商标保护。(市市场监管局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]
    assert plan.tasks[1].lead == ["市市场监管局"]


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        pytest.param(
            "一、任务\n1、甲任务。(市科技局)\n2.乙任务。(市财政局)\n3．丙任务。(市教育局)\n",
            ["一.1", "一.2", "一.3"],
            id="mixed-dot-styles-in-one-document",
        ),
        pytest.param(
            "一、任务\n(一)甲\n1.任务一。(市科技局)\n2.任务二。(市科技局)\n(二)乙\n3.任务三。(市财政局)\n",
            ["一.(一).1", "一.(一).2", "一.(二).3"],
            id="numbering-runs-on-across-subsections",
        ),
        pytest.param(
            "一、任务\n1.提升质量。\n1.5倍的增长目标写在这里。(市科技局)\n2.第二项。(市财政局)\n",
            ["一.1", "一.2"],
            id="decimal-inside-text-is-not-a-task",
        ),
        pytest.param(
            "一、保障措施\n一是加强领导。二是加大投入。\n二、重点任务\n1.任务。(市科技局)\n",
            ["二.1"],
            id="enumerations-outside-work-sections-are-not-tasks",
        ),
        pytest.param(
            "一、任务\n1.甲。(市科技局)\n附件:\n相关附件\n1.附件里的表\n",
            ["一.1"],
            id="attachment-after-the-body-is-not-read-as-tasks",
        ),
        pytest.param(
            "一、任务\n1)甲任务。(市科技局)\n2)乙任务。(市财政局)\n",
            ["一.1", "一.2"],
            id="close-paren-numbering",
        ),
    ],
)
def test_task_paths(text: str, paths: list[str]) -> None:
    assert [t.path for t in parse(text).tasks] == paths


def test_sub_items_of_another_style_stay_inside_the_task() -> None:
    text = "一、任务\n1.甲任务:\n(1)第一点;\n(2)第二点。(市科技局)\n2.乙任务。(市财政局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]
    assert "(2)第二点" in plan.tasks[0].full_text
    assert plan.tasks[0].lead == ["市科技局"]


def test_task_starting_mid_line_after_closing_parenthesis() -> None:
    text = "一、任务\n1.任务一。(市科技局、财政局) 2.任务二。(市教育局)3.任务三。(市公安局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "一.2", "一.3"]
    assert roles(plan, "一.1") == (["市科技局"], ["市财政局"], [])


def test_subsection_heading_mid_line() -> None:
    text = "一、任务\n(一)甲\n1.任务一。(市科技局负责)   (二)乙\n2.任务二。(市教育局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(二).2"]
    assert plan.sections[0].children[1].title == "乙"


def test_heading_missing_opening_parenthesis() -> None:
    text = "一、任务\n(一)甲\n1.任务一。(市科技局)\n二)乙\n2.任务二。(市教育局)\n"
    plan = parse(text)
    assert [c.label for c in plan.sections[0].children] == ["(一)", "(二)"]
    assert any(w.code == "heading_missing_paren" for w in plan.warnings)


def test_task_title_starting_with_digits() -> None:
    text = "一、任务\n10.任务十。(市科技局)\n11.121人才梯队项目。(市人社局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.10", "一.11"]
    assert plan.tasks[1].title == "121人才梯队项目"
    assert plan.indicators == []  # 121 names the programme


def test_enumerations_yi_shi_are_tasks() -> None:
    text = (
        "一、指导思想\n坚持创新。\n二、工作重点\n(一)推进培育工程。一是推进百强培育。具体内容。"
        "二是加强试点工作。三是推进示范带动。\n(二)构建服务平台。一是完善门户网站。二是开展分析研究。\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(一).3", "二.(二).1", "二.(二).2"]
    assert [t.title for t in plan.tasks[:3]] == ["推进百强培育", "加强试点工作", "推进示范带动"]
    assert plan.sections[1].children[0].title == "推进培育工程"


def test_enumerations_yi_yao_at_top_level() -> None:
    text = "一、科学部署,完善布局。一要健全政策体系。构建体系。二要促进开放合作。加强联系。\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]
    assert plan.sections[0].title == "科学部署,完善布局"


def test_unnumbered_paragraphs_with_attribution_are_tasks() -> None:
    text = (
        "一、重点工作\n三)建立创造体系\n营造环境,培育文化。内容。(牵头单位:市市场监管局;责任单位:市教体局)\n"
        "工业方面:以知识产权助推发展。(牵头单位;市市场监管局;责任单位:市工信局)\n没有单位的说明段落。\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.(三).1", "一.(三).2"]
    assert plan.tasks[1].title == "工业方面:以知识产权助推发展"
    assert roles(plan, "一.(三).2") == (["市市场监管局"], ["市工信局"], [])


def test_subsection_that_is_itself_a_task() -> None:
    text = "一、主要任务\n(一)加强专利创造。推进专利工作。(市科技局)\n(二)加强商标保护。做好商标工作。(市市场监管局)\n"
    plan = parse(text)
    assert [(t.path, t.title) for t in plan.tasks] == [
        ("一.(一)", "加强专利创造"),
        ("一.(二)", "加强商标保护"),
    ]


@pytest.mark.parametrize(
    "title", ["指导思想", "基本原则", "工作目标", "总体要求", "保障措施", "组织保障", "工作步骤", "实施步骤"]
)
def test_non_task_sections(title: str) -> None:
    text = f"一、{title}\n1.某项内容。\n2.另一项内容。\n二、主要任务\n1.真正的任务。(市财政局)\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["二.1"]
    assert plan.sections[0].task_count == 0


@pytest.mark.parametrize(
    "title", ["指导思想", "基本原则", "总体要求", "工作目标", "保障措施", "组织保障", "组织实施", "工作步骤"]
)
def test_attributed_item_under_non_task_section_is_a_task(title: str) -> None:
    text = (
        f"一、主要任务\n1.真正的任务。(市财政局)\n二、{title}\n"
        "1.加强组织领导。成立工作专班。(牵头单位:市政府办公室)\n2.营造良好氛围。\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "二.1"]
    assert roles(plan, "二.1") == (["市政府办公室"], [], [])


def test_one_line_document_without_line_breaks() -> None:
    text = (
        "广州市知识产权工作方案为贯彻落实国家战略,制定本方案。一、总体要求(一)指导思想以习近平新时代中国特色"
        "社会主义思想为指导。(二)工作目标到2025年,专利授权量达到5000件以上。二、重点任务(一)提升创造水平"
        "1.实施专利倍增计划。(市科技局、财政局)2.培育高价值专利。(市市场监管局牵头,市科技局配合)(二)加强保护"
        "3.完善执法机制。(市公安局)三、保障措施(一)加强组织领导。"
    )
    plan = parse(text)
    assert plan.title == "广州市知识产权工作方案"
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert [c.title for c in plan.sections[0].children] == ["指导思想", "工作目标"]
    assert roles(plan, "二.(一).2") == (["市市场监管局"], [], ["市科技局"])
    assert [(i.value, i.unit, i.comparator, i.year) for i in plan.indicators] == [(5000, "件", ">=", 2025)]


def test_table_flattened_into_text() -> None:
    text = (
        "2023年知识产权重点工作任务分工表\n序号\t工作任务\t牵头单位\t配合单位\t完成时限\n"
        "1\t制定专利资助办法\t市知识产权局\t市财政局、市科技局\t2023年6月\n"
        "2\t开展执法专项行动\t市市场监管局\t市公安局\t2023年底前\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["1", "2"]
    assert roles(plan, "1") == (["市知识产权局"], [], ["市财政局", "市科技局"])
    assert (task(plan, "2").deadline, task(plan, "2").deadline_text) == ("2023-12-31", "2023年底前")
    assert plan.period == (2023, 2023)


def test_goal_items_sharing_the_numbering() -> None:
    text = (
        "一、工作目标\n1.专利授权量达到100件。\n2.商标注册量达到50件。\n二、重点任务\n3.实施工程。(市科技局)\n"
        "4.开展行动。(市公安局)\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["二.3", "二.4"]
    assert [(i.value, i.path) for i in plan.indicators] == [(100, "一"), (50, "一")]


def test_numbering_jump_is_a_warning() -> None:
    plan = parse("一、任务\n1.甲。(市科技局)\n3.丙。(市财政局)\n")
    assert [t.path for t in plan.tasks] == ["一.1", "一.3"]
    assert any(w.code == "numbering_jump" and w.line == 3 for w in plan.warnings)


def test_no_tasks_is_an_error() -> None:
    with pytest.raises(ParseError) as info:
        parse("这是一段普通的文字,没有任何编号或责任单位。\n第二段也没有。")
    assert info.value.code == "no_tasks"


def test_sections_without_numbered_tasks_fall_back_to_subsections() -> None:
    text = "一、主要任务\n(一)加强专利创造\n推进专利工作。\n(二)加强商标保护\n做好商标工作。\n"
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.(一)", "一.(二)"]
    assert any(w.code == "sections_as_tasks" for w in plan.warnings)


def test_table_flattened_one_cell_per_line() -> None:
    text = (
        "某县2023年知识产权工作要点\n二、重点任务\n序号\n工作任务\n责任部门\n完成时限\n1\n加强专利创造\n"
        "县科技局、县财政局\n2023年底\n2\n开展执法行动\n县市场监管局\n长期\n"
    )
    plan = parse(text)
    assert [(t.path, t.title, t.deadline, t.deadline_text) for t in plan.tasks] == [
        ("二.1", "加强专利创造", "2023-12-31", "2023年底"),
        ("二.2", "开展执法行动", None, "长期"),
    ]
    assert roles(plan, "二.1") == (["县科技局"], ["县财政局"], [])


def test_table_flattened_with_single_spaces() -> None:
    plan = parse("序号 任务 责任单位\n1 加强专利创造 市科技局、市财政局\n2 开展执法行动 市市场监管局\n")
    assert roles(plan, "1") == (["市科技局"], ["市财政局"], [])
    assert task(plan, "2").title == "开展执法行动"
