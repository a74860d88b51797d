"""General rules met on the own corpus (issue 13, own corpus to the bar), on hand-written snippets.

Each snippet has the shape of a real plan but none of its strings: the rules must hold anywhere.
"""

from __future__ import annotations

import pytest

from .helpers import parse, roles, task


def test_unlabelled_breakdown_table_whose_numbers_run_across_chapter_rows() -> None:
    """A 任务分解表 with no 附件 label, one cell per paragraph, numbered across its chapter rows."""
    plan = parse(
        "某市工作方案\n一、完善规划体系\n(一)编制规划。开展规划编制。\n(二)推进建设。加快工程建设。\n"
        "二、加强设施管理\n(一)强化养护。完善养护制度。\n三、工作要求\n(一)加强领导。各牵头部门要重视。\n"
        "某市设施建设任务分解表\n序号\n内容\n牵头部门\n配合部门\n2024年工作任务\n2025年工作计划\n备注\n"
        "一、完善规划体系\n1\n科学编制规划\n规划处\n委内各相关处室\n1.完善规划思路。\n2.报送规划。\n"
        "1.启动编制规划。\n2.深化规划成果。\n"
        "2\n有序推进建设\n建设处\n—\n推进工程建设。\n继续推进工程建设。\n"
        "3\n养护处\n建设处\n完成隧道改造。\n推进隧道改造。\n"
        "二、加强设施管理\n4\n强化设施养护\n养护处\n规划处\n建设处\n完成道路养护。\n持续推进道路养护。\n"
    )
    assert [t.path for t in plan.tasks] == ["1", "2", "3", "4"]
    assert plan.sections == []
    assert task(plan, "1").title == "科学编制规划"
    assert roles(plan, "1") == (["规划处"], [], ["委内各相关处室"])
    assert roles(plan, "2") == (["建设处"], [], [])
    # a merged 内容 cell: row 3 prints only its units, its title is the row above's
    assert task(plan, "3").title == "有序推进建设"
    assert roles(plan, "3") == (["养护处"], [], ["建设处"])
    # a units cell of one department per paragraph
    assert roles(plan, "4") == (["养护处"], [], ["规划处", "建设处"])


def test_flattened_table_with_its_header_again_after_a_page_break() -> None:
    plan = parse(
        "某区实施方案\n一、主要任务\n(一)完善规划\n1.强化规划管控。开展评估。(责任单位:区建设管理委)\n"
        "附件:重点任务分解表\n序号\n任务类型\n重点内容\n责任单位\n参考文件\n"
        "1\n设施\n建设管理\n区建设管理委负责指导推进全区设施建设工作,制定年度计划并组织考核。\n"
        "区建设管理委、区财政局\n《某区管理办法》\n"
        "序号\n任务类型\n重点内容\n责任单位\n参考文件\n"
        "2\n城镇雨水\n排水系统\n按照“发现一处,整改一处”的原则,持续开展排摸改造。\n"
        "重点加强老城区等早期开发区域的整治工作。\n到2025年底,污水处理率达到99%。\n区水务局、区交通委\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一).1", "1", "2"]
    assert roles(plan, "2") == (["区水务局"], ["区交通委"], [])
    assert task(plan, "2").deadline == "2025-12-31"


def test_a_table_of_finer_measures_keeps_rows_that_say_what_a_body_task_says() -> None:
    plan = parse(
        "某市实施方案\n一、主要任务\n1.制定建设标准规范。及时修订相关产品标准和工程建设规范。(责任单位:市交通委)\n"
        "2.强化安全管理。落实安全管理责任。(责任单位:市交通委)\n"
        "附表1 任务分工表\n序号\n事项\n工作措施\n责任单位\n"
        "1\n制定建设标准规范\n及时修订相关产品标准和工程建设规范,推动项目应用。\n市交通委、市市场监管局\n"
        "2\n推进示范工程\n利用车站屋顶建设光伏设施。\n市交通委\n"
        "3\n开展宣传引导\n组织开展宣传活动。\n市交通委\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1", "一.2", "1", "2", "3"]
    assert roles(plan, "1") == (["市交通委"], ["市市场监管局"], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "某市方案\n一、任务\n1.加强政策指导。(责任单位:市发展改革委、交通委、民航华东管理局)\n",
            (["市发展改革委"], ["市交通委", "民航华东管理局"], []),
            id="a-central-bodys-regional-branch-gets-no-city-prefix",
        ),
        pytest.param(
            "某市方案\n一、保障\n1.加强组织领导。(牵头单位:市委组织部,配合单位:各项目牵头单位,各区)\n",
            (["市委组织部"], [], ["各项目牵头单位", "各区"]),
            id="a-collective-named-by-its-role-is-no-label",
        ),
        pytest.param(
            "某区方案\n一、任务\n1.举办普法活动(各单位全年不少于一场)。(牵头单位:区司法局;配合单位:各街镇)\n",
            (["区司法局"], [], ["各街镇"]),
            id="a-quantity-in-brackets-is-no-department",
        ),
    ],
)
def test_roles_of_the_one_task(text: str, expected: tuple[list[str], list[str], list[str]]) -> None:
    assert roles(parse(text), "一.1") == expected


def test_run_in_headings_that_define_dimensions_are_not_tasks() -> None:
    plan = parse(
        "某区体检工作方案\n一、工作内容\n(一)生态宜居。反映城市生态环境保护情况。\n"
        "(二)交通便捷。反映城市交通系统整体水平。\n二、工作方式\n(一)开展区级体检\n组织开展体检。\n"
        "(二)编制体检报告\n形成体检报告。\n"
    )
    assert [t.path for t in plan.tasks] == ["二.(一)", "二.(二)"]


def test_a_table_inside_an_item_keeps_the_items_attribution_and_its_figures_are_no_tasks() -> None:
    plan = parse(
        "某区方案\n一、任务\n(一)完善规划\n1.强化规划管控。开展规划。(责任单位:区规划局)\n"
        "2.编制系统方案。编制计划见表1。(责任单位:区建设管理委)\n表1 系统方案编制计划表\n年份\n区域\n面积\n"
        "2024年\n马陆社区\n4.42\n2025年\n工业区\n3.17\n(二)推进建设\n1.推进地块建设。(责任单位:区建设管理委)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "一.(二).1"]
    assert roles(plan, "一.(一).2") == (["区建设管理委"], [], [])


def test_a_run_in_heading_whose_body_goes_on_in_an_attributed_paragraph_is_one_task() -> None:
    """PDF text: the paragraph breaks after a sentence that ended a printed line."""
    plan = parse(
        "某区工作意见\n一、主要任务\n(一)强化科技赋能。研判重点产业风险,推广物联网管理措施。\n"
        "明确仓库和社区的管理要求,推进单位物联网建设。(责任单位:区消防救援局、区应急局、各街镇)\n"
        "(二)加强宣传教育。开展消防宣传活动。(责任单位:区消防救援局)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一)", "一.(二)"]
    assert task(plan, "一.(一)").title == "强化科技赋能"
    assert roles(plan, "一.(一)") == (["区消防救援局"], ["区应急局", "各街镇"], [])
    assert "推进单位物联网建设" in task(plan, "一.(一)").full_text
