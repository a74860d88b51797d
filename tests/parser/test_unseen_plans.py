"""Issue 13, continued: general rules found on plans the parser was not tuned to.

Each test is a small hand-written snippet in the shape of a real plan.
"""

from __future__ import annotations

from .helpers import parse, roles, task


def test_heading_alone_then_body_then_attribution_paragraph_is_one_task() -> None:
    plan = parse(
        "某区行动方案\n一、主要任务\n(一)推进屋顶光伏建设\n\n分领域推进光伏建设。公共机构率先建设。\n\n"
        "(责任单位:区发展改革委、区建管委)\n\n(二)开展新建建筑光伏工程\n\n新建建筑屋顶安装光伏。\n\n"
        "另行推进既有建筑改造。(责任单位:区建管委、区教育局)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一)", "一.(二)"]
    assert task(plan, "一.(一)").title == "推进屋顶光伏建设"
    assert roles(plan, "一.(一)") == (["区发展改革委"], ["区建管委"], [])
    assert roles(plan, "一.(二)") == (["区建管委"], ["区教育局"], [])
    assert "另行推进既有建筑改造" in task(plan, "一.(二)").full_text


def test_a_chapter_named_for_the_tasks_holds_them_and_other_chapters_do_not() -> None:
    plan = parse(
        "某市试点工作方案\n一、试点类型\n1.产业园区。以工业为主。\n2.综合园区。兼有商业。\n"
        "二、重点任务\n(一)加快用能结构转型。推进光伏建设。\n(二)强化资源循环利用\n统筹推进废物利用。\n"
        "三、职责分工\n1.区发展改革委。牵头开展试点评估。\n2.区财政局。保障资金。\n"
        "四、保障措施\n(一)加强组织领导。建立工作机制。\n"
        "(二)强化督促落实。定期通报进展。(责任单位:区发展改革委)\n"
    )
    assert [t.path for t in plan.tasks] == ["二.(一)", "二.(二)", "四.(二)"]
    assert task(plan, "二.(二)").title == "强化资源循环利用"
    assert roles(plan, "二.(一)") == ([], [], [])


def test_without_a_task_chapter_numbered_items_everywhere_stay_tasks() -> None:
    plan = parse(
        "某市工作方案\n一、提升创造质量\n1.培育高价值专利。支持企业。\n2.加强商标建设。\n"
        "二、加强保护\n3.完善执法协作。\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1", "一.2", "二.3"]


def test_implementing_label_and_divisions_that_drop_their_bureau() -> None:
    plan = parse(
        "某市实施方案\n一、主要任务\n(一)完善设施建设。推进建设。"
        "(牵头部门:市交通委科技信息处、港务监管处;实施部门:市港航中心、各区交通主管部门)\n"
        "(二)加强执法。开展检查。(牵头部门:市交通委执法总队、上海海事局、市交通委港务监管处、科技信息处;"
        "配合部门:市港航中心)\n"
    )
    assert roles(plan, "一.(一)") == (
        ["市交通委科技信息处", "市交通委港务监管处"],
        ["市港航中心", "各区交通主管部门"],
        [],
    )
    assert roles(plan, "一.(二)") == (
        ["市交通委执法总队", "上海海事局", "市交通委港务监管处", "市交通委科技信息处"],
        [],
        ["市港航中心"],
    )


def test_fourth_level_items_under_numbered_headings_are_the_tasks() -> None:
    plan = parse(
        "某区三年行动计划\n一、主要任务\n(一)落实五张清单\n1.落实规划保护清单,推进全方位保护。\n"
        "(1)实施法律法规。深入宣传。(区司法局)\n(2)加快资源认定。开展普查。(区文旅局)\n"
        "2.落实内涵挖掘清单,推进全要素保护。\n(3)抢救历史资料。加强征集。\n"
        "(二)完善体系\n3.完善政策。制定办法。(区规划资源局)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一).1.(1)", "一.(一).1.(2)", "一.(一).2.(3)", "一.(二).3"]
    assert task(plan, "一.(一).1.(2)").title == "加快资源认定"
    assert roles(plan, "一.(一).1.(2)") == (["区文旅局"], [], [])


def test_parts_of_an_attributed_numbered_task_stay_in_it() -> None:
    plan = parse(
        "某区工作方案\n一、主要任务\n1.推进公园建设。分两类推进。(区绿化市容局)\n"
        "(1)城区公园。加快建设。\n(2)乡村公园。有序推进。\n2.完善管理。健全制度。(区绿化市容局)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]


def test_one_attribution_closing_the_last_part_keeps_the_item_whole() -> None:
    plan = parse(
        "某区工作方案\n一、主要任务\n1.推进公园建设。分两类推进。\n"
        "(1)城区公园。加快建设。\n(2)乡村公园。有序推进。(区绿化市容局)\n2.完善管理。健全制度。(区绿化市容局)\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]
    assert roles(plan, "一.1") == (["区绿化市容局"], [], [])


TABLE_ONE_CELL_PER_PARAGRAPH = (
    "某区实施方案\n一、工作目标\n到2019年底,分类覆盖率达到90%以上。\n二、主要任务\n"
    "(一)推进全面覆盖\n1.深入开展创建。加强源头管理。\n2.加快设施改造。\n"
    "附件:任务清单\n附件1\n任务清单\n序号\n任务名称\n任务内容\n牵头部门\n配合部门\n时间节点\n"
    "1\n加强组织领导\n召开全区动员大会。建立联席会议制度。\n区政府办公室\n各联席会议成员单位\n2019年3月\n"
    "2\n纳入督查和绩效评价指标体系。\n区委组织部(区公务员局)\n区绿化市容局\n2019年6月\n"
    "3\n推进全面覆盖\n深入开展达标街镇创建。\n各街镇(园区)\n区绿化市容局、\n区农业农村委\n2019年\n"
    "4\n加快体系建设\n完成居住区分类全覆盖。\n区绿化市容局\n区商务委\n区国资委\n2019年9月\n"
    "5\n推进处理设施建设。\n区绿化市容局\n区发展改革委\n2019年\n"
)


def test_table_one_cell_per_paragraph_with_merged_and_broken_cells() -> None:
    plan = parse(TABLE_ONE_CELL_PER_PARAGRAPH)
    assert [t.path for t in plan.tasks] == ["1", "2", "3", "4", "5"]
    assert roles(plan, "2") == (["区委组织部(区公务员局)"], [], ["区绿化市容局"])
    assert roles(plan, "3") == (["各街镇(园区)"], [], ["区绿化市容局", "区农业农村委"])
    assert roles(plan, "4") == (["区绿化市容局"], [], ["区商务委", "区国资委"])
    assert task(plan, "2").deadline == "2019-06-30"


def test_attached_table_of_finer_measures_adds_tasks_beside_the_attributed_body() -> None:
    plan = parse(
        "某区实施方案\n一、主要任务\n(一)完善规划\n1.强化规划管控。按年度开展评估。(责任单位:区建设管理委、区规划资源局)\n"
        "2.编制系统方案。结合排水规划。(责任单位:区水务局)\n二、组织保障\n(一)加强领导。建立机制。\n"
        "附件:重点任务分解表\n附件\n重点任务分解表\n序号\n任务类型\n重点内容\n责任单位\n参考文件\n"
        "1\n海绵城市\n建设管理\n区建设管理委负责指导推进全区海绵城市建设工作,制定年度计划并组织考核。\n"
        "区建设管理委、区发展改革委、\n各街镇\n《某区海绵城市规划建设管理办法》\n"
        "2\n海绵城市\n达标评估\n根据市级要求开展达标区域评估,形成评估报告并按程序报送备案。\n区水务局\n"
        "《本市系统化全域推进海绵\n城市建设的实施意见》\n"
        "3\n设施运维\n制定市政设施运维养护方案,落实长效运维养护并推进改造计划实施。\n区建设管理委\n《运维规定》\n"
    )
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "1", "2", "3"]
    assert roles(plan, "1") == (["区建设管理委"], ["区发展改革委", "各街镇"], [])
    assert roles(plan, "2") == (["区水务局"], [], [])


def test_table_rows_under_a_merged_group_named_like_a_body_task_are_kept() -> None:
    plan = parse(
        "某市实施方案\n一、主要任务\n1.“光伏+地铁”工程。利用车站资源建设光伏。(责任单位:申通地铁集团)\n"
        "2.“光伏+铁路”工程。利用站房资源建设光伏。(责任单位:中国铁路上海局)\n"
        "附表:任务分工表\n附表1\n任务分工表\n序号\n事项\n工作措施\n责任单位\n"
        "1\n“光伏+地铁”工程\n充分利用既有高架车站开发光伏项目。\n申通地铁集团\n"
        "2\n新建车站屋顶光伏覆盖面积达到一半。\n"
        "3\n“光伏+铁路”工程\n对符合条件的既有站点进行光伏改造。\n中国铁路上海局\n"
        "4\n新建新线新站预留光伏建设条件。\n"
    )
    assert [t.path for t in plan.tasks] == ["一.1", "一.2", "1", "2", "3", "4"]
    assert roles(plan, "2") == (["申通地铁集团"], [], [])
    assert roles(plan, "4") == (["中国铁路上海局"], [], [])


def test_a_tasks_own_time_limit_in_its_text_is_its_deadline() -> None:
    plan = parse(
        "某市实施方案\n一、主要任务\n(一)推进公园建设。到2028年底,新增公园300座。(责任单位:市绿化市容局)\n"
        "(二)制定评估办法。2027年,制定出台全市公园体检评估办法。(责任单位:市绿化市容局)\n"
        "(三)推进光伏建设。到2030年,公共机构屋顶光伏应装尽装。(责任单位:市发展改革委)\n"
        "(四)扩大公园名录。到“十四五”末,争取将60座社区公园纳入名录。\n"
        "(五)完成方案编制。2026年底前完成达标区域系统方案编制。\n"
    )
    assert task(plan, "一.(一)").deadline == "2028-12-31"
    # a sentence opening with a bare year states when, not a time limit (as ../shared/corpus 01)
    assert task(plan, "一.(二)").deadline is None
    assert task(plan, "一.(三)").deadline is None
    assert task(plan, "一.(四)").deadline == "2025-12-31"
    assert task(plan, "一.(五)").deadline == "2026-12-31"


def test_roles_stated_in_a_sentence_of_an_unattributed_task() -> None:
    plan = parse(
        "某区工作方案\n一、主要任务\n1.推进消防水源建设。将消火栓建设列为实事项目,由区交通委牵头,"
        "区发改委、区水务局配合。属地政府要加强取水码头建设。\n2.加强宣传。由各街镇组织开展宣传活动。\n"
    )
    assert roles(plan, "一.1") == (["区交通委"], [], ["区发改委", "区水务局"])
    assert roles(plan, "一.2") == ([], [], [])


def test_a_collective_ending_in_a_label_word_stays_whole() -> None:
    plan = parse(
        "某市方案\n一、主要任务\n1.推动投资。鼓励多种模式。(责任单位:市交通委、各区政府、各项目实施主体)\n"
    )
    assert roles(plan, "一.1") == (["市交通委"], ["各区政府", "各项目实施主体"], [])


def test_a_duty_chapter_is_not_a_task_chapter() -> None:
    plan = parse(
        "某市意见\n一、明确工作职责\n市政府办公厅是全市政务新媒体的主管单位。各区政府办公室负责本区工作。\n"
        "二、加强功能建设\n(一)推进政务公开。强化解读回应。\n(二)优化政务服务。提升办事效率。\n"
    )
    assert [t.path for t in plan.tasks] == ["二.(一)", "二.(二)"]
