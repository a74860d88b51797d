"""Issue 13: conventions beyond the seeds, each on a small hand-written snippet."""

from __future__ import annotations

import pytest

from planparser import parse_document

from .helpers import parse, roles, task


def test_dengHe_joins_two_items_and_collectives_stay_as_written() -> None:
    plan = parse(
        "一、主要任务\n(一)扩大消费。鼓励采购。(扶贫办、教育部、共青团中央等和各有关省级人民政府负责)\n"
        "(二)拓宽渠道。支持电商。(商务部、财政部和各省级人民政府负责)\n"
    )
    assert roles(plan, "一.(一)") == (["扶贫办"], ["教育部", "共青团中央", "各有关省级人民政府"], [])
    assert roles(plan, "一.(二)") == (["商务部"], ["财政部", "各省级人民政府"], [])


def test_qualified_lead_label_and_time_node_before_it() -> None:
    plan = parse(
        "某市2022年数字政府建设考评办法\n一、政务服务\n(一)平台建设(3分)\n"
        "1．全面开通全程网办。(5月底取得明显成效并持续推进，牵头考核单位：市审批服务局)\n"
        "2．优化审批系统。(持续优化，牵头考核单位：市住建局、审批服务局)\n"
    )
    first, second = task(plan, "一.(一).1"), task(plan, "一.(一).2")
    assert roles(plan, "一.(一).1") == (["市审批服务局"], [], [])
    assert roles(plan, "一.(一).2") == (["市住建局", "市审批服务局"], [], [])
    assert (first.deadline, first.deadline_text) == ("2022-05-31", "5月底取得明显成效并持续推进")
    assert (second.deadline, second.deadline_text) == (None, "持续优化")
    assert plan.sections[0].children[0].title == "平台建设"


def test_tasks_in_an_attachment_with_its_own_numbering() -> None:
    text = (
        "某市2022年考评办法\n一、考评对象\n各部门。\n二、考评方式\n(一)每半年考评一次。\n(二)实行百分制。\n"
        "附件：\n某市考评指标\n附件\n某市考评指标\n一、政务服务\n(一)平台建设\n"
        "1．开通全程网办。(6月底完成，牵头考核单位：市审批服务局)\n(二)热线升级\n"
        "2．升级热线平台。(7月底完成，牵头考核单位：市政府办公室、市公安局)\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(二).2"]
    assert [s.title for s in plan.sections] == ["政务服务"]
    assert roles(plan, "一.(二).2") == (["市政府办公室", "市公安局"], [], [])
    assert task(plan, "一.(二).2").deadline == "2022-07-31"


def test_body_tasks_win_over_an_attachment_without_departments() -> None:
    text = (
        "一、主要任务\n1.加强专利创造。(市科技局)\n2.加强商标保护。(市市场监管局)\n"
        "附件：\n工作组名单\n一、组长\n1.张三 市长\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]


def test_several_attributions_in_one_task_are_merged() -> None:
    plan = parse(
        "一、主要任务\n(一)鼓励创新。推进改革。(市场监管总局负责)加强教育服务。(体育总局、教育部负责)"
        "提升服务水平。(银保监会、体育总局、科技部负责)\n"
    )
    t = task(plan, "一.(一)")
    assert (t.lead, t.responsible, t.cooperating) == (
        ["市场监管总局", "体育总局", "银保监会"],
        ["教育部", "科技部"],
        [],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "一、主要任务\n1.依托市政府办公室(市政府)建立机制,加强协调。(市科技局负责)\n",
            (["市科技局"], [], []),
            id="bracket-inside-a-sentence-is-not-an-attribution",
        ),
        pytest.param(
            "一、主要任务\n1.撬动社会资本。(责任单位：省财政厅、经济和信息化厅，安徽银保监局，各市人民政府)\n",
            (["省财政厅"], ["省经济和信息化厅", "安徽银保监局", "各市人民政府"], []),
            id="a-name-starting-with-a-province-gets-no-prefix",
        ),
        pytest.param(
            "一、主要任务\n1．配合市发改委做好涉企信用数据整合，会同城管执法、市场监管等部门开展检查。"
            "(6月底完成，牵头考核单位：市市场监管局)\n",
            (["市市场监管局"], [], []),
            id="mentions-inside-a-sentence-are-not-attributions",
        ),
    ],
)
def test_roles_of_the_one_task(text: str, expected: tuple[list[str], list[str], list[str]]) -> None:
    assert roles(parse(text), "一.1") == expected


_HTML_PLAN = """<html><body><div class="content">
<p>某市家庭医生签约服务实施方案</p>
<p>一、主要任务</p><p>（一）扩大服务供给</p>
<p>1.有序扩大家庭医生来源。现阶段家庭医生包括全科医生。</p>
<p>2.不断优化签约服务团队。家庭医生可以组建团队。</p>
<p>二、组织实施</p>
<p>（一）加强组织领导。各区要强化属地责任。</p>
<p>（二）加强宣传引导。各区要广泛宣传。</p>
<p>附件：任务分工表</p>
<table>
<tr><td colspan="6">附件 任务分工表</td></tr>
<tr><td>序号</td><td>工作事项</td><td>主要内容</td><td>牵头单位</td><td>配合单位</td><td>市卫健委内牵头处室</td></tr>
<tr><td rowspan="2">1</td><td rowspan="2">有序扩大家庭医生来源。</td><td>现阶段家庭医生包括全科医生。</td>
<td>各区政府</td><td>市卫生健康委</td><td>基层处</td></tr>
<tr><td>引导二级医院医生参与。</td><td>市卫生健康委</td><td>市人社局，市医保局</td><td>人事处</td></tr>
<tr><td>2</td><td>不断优化签约服务团队。</td><td>组建团队。</td><td>各区政府</td><td>/</td><td>基层处</td></tr>
<tr><td>3</td><td>加强组织领导。</td><td>强化属地责任。</td><td>各区政府</td><td>市卫生健康委</td><td>基层处</td></tr>
</table></div></body></html>"""


def test_attached_task_table_gives_the_body_tasks_their_departments() -> None:
    plan = parse_document(_HTML_PLAN.encode("utf-8"), "plan.html")
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "二.(一)"]
    # merged 序号 cell: two sub-rows, lead in any sub-row wins; 处室 columns are not departments
    assert roles(plan, "一.(一).1") == (["各区政府", "市卫生健康委"], [], ["市人社局", "市医保局"])
    assert task(plan, "一.(一).1").flags == ["merged_attributions"]
    assert roles(plan, "一.(一).2") == (["各区政府"], [], [])
    assert roles(plan, "二.(一)") == (["各区政府"], [], ["市卫生健康委"])


def test_generic_tails_are_dropped() -> None:
    plan = parse(
        "一、主要任务\n1.甲。(海关总署、商务部等有关部门负责)\n2.乙。(市科技局会同有关部门负责)\n"
        "3.丙。(市财政局、市教育局等部门按职责分工负责)\n"
    )
    assert roles(plan, "一.1") == (["海关总署"], ["商务部"], [])
    assert roles(plan, "一.2") == (["市科技局"], [], [])
    assert roles(plan, "一.3") == (["市财政局"], ["市教育局"], [])


def test_rule_stated_once_applies_to_later_lists() -> None:
    plan = parse(
        "一、主要任务\n(一)开放\n1.甲。(税务总局、财政部负责,排在第一位的部门为牵头部门,下同)\n"
        "2.乙。(海关总署、商务部负责)\n(二)创新\n3.丙。(发展改革委、科技部、海关总署负责)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "一.(二).3"]
    assert roles(plan, "一.(一).1") == (["税务总局"], ["财政部"], [])
    assert roles(plan, "一.(二).3") == (["发展改革委"], ["科技部", "海关总署"], [])


def test_small_full_stop_numbering_and_column_boxes() -> None:
    plan = parse(
        "某省工业互联网行动计划(2021-2023年)\n一、总体要求\n(一)发展目标\n到2023年，新增上云企业2万家。\n"
        "二、行动步骤\n(一)网络体系强基行动。\n1﹒推进网络建设。(责任单位：省通信管理局，各市人民政府)\n"
        "专栏1  工业互联网标杆工程\n每年遴选20家标杆企业，培育100个优秀工业APP。\n"
        "2﹒建设标识解析体系。(责任单位：省经济和信息化厅、省通信管理局)\n"
    )
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2"]
    assert plan.sections[1].children[0].title == "网络体系强基行动"
    assert roles(plan, "二.(一).1") == (["省通信管理局"], ["各市人民政府"], [])
    assert [(i.value, i.unit) for i in plan.indicators] == [(2, "万家")]
    assert plan.phases == []


def test_scores_are_not_targets() -> None:
    plan = parse(
        "某市2022年考评办法\n一、政务服务（25分）\n(一)平台建设（3分）\n"
        "1．各级大厅综合一窗率达90%以上。（0.5分）（3月底完成，牵头考核单位：市审批服务局）\n"
    )
    assert [(i.value, i.unit) for i in plan.indicators] == [(90, "%")]
    assert task(plan, "一.(一).1").deadline == "2022-03-31"


def test_docx_task_table_with_vertically_merged_cells() -> None:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("某市知识产权工作任务分工表")
    rows = [
        ["序号", "工作任务", "牵头单位", "配合单位", "牵头处室"],
        ["1", "实施专利导航。", "市科技局", "市财政局", "规划处"],
        ["", "", "市财政局", "市教育局", "财务处"],
        ["2", "开展执法行动。", "市公安局", "/", "执法处"],
    ]
    tbl = document.add_table(rows=len(rows), cols=len(rows[0]))
    tbl.cell(1, 0).merge(tbl.cell(2, 0))
    tbl.cell(1, 1).merge(tbl.cell(2, 1))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                tbl.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    plan = parse_document(buf.getvalue(), "plan.docx")
    assert [t.path for t in plan.tasks] == ["1", "2"]
    assert roles(plan, "1") == (["市科技局", "市财政局"], [], ["市教育局"])
    assert roles(plan, "2") == (["市公安局"], [], [])


def test_xlsx_task_table_with_merged_cells() -> None:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["2023年知识产权工作任务分解表"])
    ws.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    ws.append([1, "实施专利导航", "市科技局", "市财政局", "2023年6月底"])
    ws.append([None, None, "市财政局", "市教育局", None])
    ws.append([2, "开展执法行动", "市公安局", "市司法局", "年内"])
    ws.merge_cells("A1:E1")
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("E3:E4")
    buf = io.BytesIO()
    wb.save(buf)
    plan = parse_document(buf.getvalue(), "plan.xlsx")
    assert [t.path for t in plan.tasks] == ["1", "2"]
    assert roles(plan, "1") == (["市科技局", "市财政局"], [], ["市教育局"])
    assert task(plan, "1").deadline == "2023-06-30"
    assert task(plan, "2").deadline == "2023-12-31"


def test_brackets_mixing_departments_and_a_time_node() -> None:
    cases = {
        "(市科技局、市财政局,2023年底前完成)": (["市科技局"], ["市财政局"], [], "2023-12-31"),
        "(2024年6月底前完成,市科技局负责)": (["市科技局"], [], [], "2024-06-30"),
        "(市科技局牵头,市财政局配合;持续推进)": (["市科技局"], [], ["市财政局"], None),
    }
    for bracket, (lead, responsible, cooperating, deadline) in cases.items():
        plan = parse(f"一、主要任务\n1.加强专利创造。{bracket}\n")
        t = plan.tasks[0]
        assert (t.lead, t.responsible, t.cooperating, t.deadline) == (
            lead,
            responsible,
            cooperating,
            deadline,
        )
    single = parse("一、主要任务\n1.加强专利创造。(市科技局)\n").tasks[0]
    assert single.flags == []


def test_deadline_bracket_closing_the_first_sentence_before_label_lines() -> None:
    plan = parse(
        "一、重点任务\n1. 加强专利创造(2024年12月底前完成)。牵头单位:市知识产权局\n配合单位:市科技局\n"
    )
    t = plan.tasks[0]
    assert (t.title, t.deadline, t.lead, t.cooperating) == (
        "加强专利创造",
        "2024-12-31",
        ["市知识产权局"],
        ["市科技局"],
    )


def test_attachment_tasks_win_over_body_items_without_departments() -> None:
    text = (
        "某市2022年考评办法\n一、考评对象\n1.各旗县区人民政府。\n2.市直各部门。\n二、考评方式\n每半年考评一次。\n"
        "附件\n某市考评指标\n一、政务服务\n(一)平台建设\n1．开通全程网办。(6月底完成，牵头考核单位：市审批服务局)\n"
        "2．升级热线。(持续推进，牵头考核单位：市政府办公室)\n3．整合网站。(7月底完成，牵头考核单位：市政府办公室)\n"
    )
    plan = parse(text)
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "一.(一).3"]
    assert roles(plan, "一.(一).3") == (["市政府办公室"], [], [])


def test_table_rows_find_body_tasks_worded_a_little_apart() -> None:
    text = (
        "一、主要任务\n1.有序扩大家庭医生来源。内容。\n2.加强宣传。内容。\n3.加强宣传引导工作。内容。\n"
        "附件\n任务分工表\n序号\t工作事项\t牵头单位\t配合单位\n1\t扩大家庭医生来源\t各区政府\t市卫生健康委\n"
        "2\t加强宣传引导工作\t市委宣传部\t市卫生健康委\n3\t加强宣传\t各区政府\t/\n"
    )
    plan = parse(text)
    assert roles(plan, "一.1") == (["各区政府"], [], ["市卫生健康委"])
    assert roles(plan, "一.2") == (["各区政府"], [], [])
    assert roles(plan, "一.3") == (["市委宣传部"], [], ["市卫生健康委"])
    assert not [w for w in plan.warnings if w.code == "skipped_candidate"]
    extra = parse(text + "4\t建立督查通报制度\t市政府办公室\t/\n")
    assert [w.line for w in extra.warnings if w.code == "skipped_candidate"] == [11]


def test_a_remark_closing_a_sentence_is_not_a_second_attribution() -> None:
    plan = parse(
        "一、主要任务\n1.优化转诊服务。号源交给家庭医生(团队)。推动双向转诊。(牵头单位:市卫生健康委;配合单位:市医保局)\n"
    )
    t = plan.tasks[0]
    assert (t.lead, t.responsible, t.cooperating, t.flags) == (["市卫生健康委"], [], ["市医保局"], [])


def test_blank_sub_row_of_a_table_belongs_to_the_task_above() -> None:
    from planparser.tables import rows_to_lines

    lines = rows_to_lines(
        [
            ["序号", "工作任务", "牵头单位", "配合单位"],
            ["1", "实施专利导航。", "市科技局", "市财政局"],
            ["", "", "市财政局", "市教育局"],
            ["2", "开展执法行动。", "市公安局", ""],
        ]
    )
    plan = parse("\n".join(lines))
    assert [t.path for t in plan.tasks] == ["1", "2"]
    assert roles(plan, "1") == (["市科技局", "市财政局"], [], ["市教育局"])
    assert task(plan, "1").flags == ["merged_attributions"]


def test_items_inherit_the_attribution_of_their_heading() -> None:
    plan = parse(
        "一、主要任务\n（一）提升创造质量（牵头单位：市知识产权局；配合单位：市科技局）\n1.实施专利导航。\n"
        "2.培育高价值专利。（市工信局负责）\n（二）加强保护\n3.开展执法。\n"
    )
    assert roles(plan, "一.(一).1") == (["市知识产权局"], [], ["市科技局"])
    assert roles(plan, "一.(一).2") == (["市工信局"], [], [])
    assert roles(plan, "一.(二).3") == ([], [], [])
    assert plan.sections[0].children[0].title == "提升创造质量"


def test_items_inherit_label_lines_under_their_heading() -> None:
    plan = parse(
        "一、主要任务\n（一）提升创造质量\n牵头单位：市知识产权局\n配合单位：市科技局\n1.实施专利导航。\n2.培育高价值专利。\n"
    )
    assert roles(plan, "一.(一).1") == (["市知识产权局"], [], ["市科技局"])
    assert roles(plan, "一.(一).2") == (["市知识产权局"], [], ["市科技局"])
    assert not [w for w in plan.warnings if w.code == "skipped_candidate"]


def test_role_words_inside_a_department_cell() -> None:
    from planparser.tables import rows_to_lines

    cases = {
        "市知识产权局（牵头）、市科技局": (["市知识产权局"], ["市科技局"], []),
        "市知识产权局牵头，市科技局配合": (["市知识产权局"], [], ["市科技局"]),
        "牵头：市知识产权局；配合：市科技局": (["市知识产权局"], [], ["市科技局"]),
        "市知识产权局\n市科技局\n市财政局": (["市知识产权局"], ["市科技局", "市财政局"], []),
    }
    for cell, expected in cases.items():
        lines = rows_to_lines([["序号", "重点任务", "责任单位"], ["1", "实施专利导航", cell]])
        assert roles(parse("\n".join(lines)), "1") == expected, cell
    plan = parse("一、主要任务\n1.甲。(市知识产权局(牵头)、市科技局)\n")
    assert roles(plan, "一.1") == (["市知识产权局"], ["市科技局"], [])


def test_deadline_labels_take_the_year_of_a_one_year_plan() -> None:
    plan = parse(
        "某市2024年知识产权工作要点\n一、主要任务\n1.甲。(牵头单位:市科技局;时间要求:9月底前)\n"
        "2.乙。(责任单位:市财政局;完成节点:三季度)\n3.丙。(市教育局负责;办结时限:年底前)\n"
    )
    assert [t.deadline for t in plan.tasks] == ["2024-09-30", "2024-09-30", "2024-12-31"]
    assert [t.lead for t in plan.tasks] == [["市科技局"], ["市财政局"], ["市教育局"]]


def test_rule_stated_once_that_the_rest_cooperate() -> None:
    plan = parse(
        "一、主要任务\n以下各项任务中，排在第一位的为牵头单位，其他为配合单位。\n"
        "1.甲。(市科技局、市财政局、市教育局)\n2.乙。(牵头单位:市公安局;责任单位:市司法局)\n"
    )
    assert roles(plan, "一.1") == (["市科技局"], [], ["市财政局", "市教育局"])
    assert roles(plan, "一.2") == (["市公安局"], ["市司法局"], [])


def test_html_task_table_without_numbers() -> None:
    html = (
        "<html><body><p>某市2024年知识产权工作要点</p><p>一、重点任务</p><table>"
        "<tr><th>重点任务</th><th>牵头单位</th><th>完成时限</th></tr>"
        "<tr><td>实施专利导航</td><td>市科技局</td><td>6月底</td></tr>"
        "<tr><td>开展执法行动</td><td>市公安局</td><td>年内</td></tr></table></body></html>"
    )
    plan = parse_document(html.encode("utf-8"), "plan.html")
    assert [(t.path, t.title, t.lead, t.deadline) for t in plan.tasks] == [
        ("一.1", "实施专利导航", ["市科技局"], "2024-06-30"),
        ("一.2", "开展执法行动", ["市公安局"], "2024-12-31"),
    ]


def test_people_and_contacts_beside_the_units_are_not_departments() -> None:
    plan = parse(
        "一、主要任务\n1.甲。(责任部门:市科技局;责任人:张三)\n2.乙。(牵头单位:市财政局;分管领导:李四;完成时限:2024年底)\n"
        "3.丙。(市教育局负责;联系人:赵六)\n"
    )
    assert [(t.lead, t.responsible, t.cooperating) for t in plan.tasks] == [
        (["市科技局"], [], []),
        (["市财政局"], [], []),
        (["市教育局"], [], []),
    ]
    assert plan.tasks[1].deadline == "2024-12-31"
