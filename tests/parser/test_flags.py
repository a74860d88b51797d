"""Issue 13.3: the reasons a parsed task may need a look, and text not taken as a task."""

from __future__ import annotations

from planparser.model import FLAG_CODES, TASK_FLAGS

from .helpers import parse, task


def test_flag_codes_have_both_descriptions() -> None:
    assert FLAG_CODES == (
        "no_department",
        "no_lead_marker",
        "merged_attributions",
        "deadline_unclear",
        "numbering_gap",
    )
    assert all(zh and en and zh != en for zh, en in TASK_FLAGS.values())


def test_no_department_and_numbering_gap() -> None:
    plan = parse("一、主要任务\n1.加强专利创造。(牵头单位:市科技局)\n3.加强商标保护。\n")
    assert task(plan, "一.1").flags == []
    assert task(plan, "一.3").flags == ["no_department", "numbering_gap"]


def test_numbering_that_runs_on_or_restarts_has_no_gap() -> None:
    plan = parse(
        "一、主要任务\n(一)创造\n1.甲。(牵头单位:市科技局)\n2.乙。(牵头单位:市科技局)\n"
        "(二)保护\n3.丙。(牵头单位:市科技局)\n二、其他任务\n1.丁。(牵头单位:市科技局)\n"
    )
    assert [t.flags for t in plan.tasks] == [[], [], [], []]


def test_lead_inferred_from_position_is_flagged_unless_the_rule_is_stated() -> None:
    plain = parse("一、主要任务\n1.甲。(市发改局、经信局负责)\n2.乙。(牵头单位:市科技局;责任单位:市财政局)\n")
    assert task(plain, "一.1").flags == ["no_lead_marker"]
    assert task(plain, "一.2").flags == []
    stated = parse(
        "一、主要任务\n1.甲。(市发改局、经信局负责,排在第一位的部门为牵头部门,下同)\n2.乙。(市财政局、科技局负责)\n"
    )
    assert [t.flags for t in stated.tasks] == [[], []]
    assert stated.tasks[1].lead == ["市财政局"]


def test_merged_attributions_are_flagged() -> None:
    plan = parse("一、主要任务\n1.甲。推进改革。(市科技局负责)加强服务。(牵头单位:市财政局)\n")
    t = task(plan, "一.1")
    assert t.lead == ["市科技局", "市财政局"]
    assert "merged_attributions" in t.flags


def test_deadline_unclear_when_not_understood_or_relative_without_issue_date() -> None:
    plan = parse(
        "一、主要任务\n1.甲。(牵头单位:市科技局;完成时限:印发后3个月内)\n"
        "2.乙。(牵头单位:市科技局;完成时限:视情况而定)\n3.丙。(牵头单位:市科技局;完成时限:持续推进)\n"
    )
    assert [(t.deadline, t.flags) for t in plan.tasks] == [
        (None, ["deadline_unclear"]),
        (None, ["deadline_unclear"]),
        (None, []),
    ]


def test_relative_deadline_with_an_issue_date() -> None:
    plan = parse(
        "某市知识产权工作方案\n一、主要任务\n1.甲。(牵头单位:市科技局;完成时限:印发后3个月内)\n"
        "某市人民政府办公室\n2023年3月5日\n"
    )
    assert plan.issued_on is not None
    assert task(plan, "一.1").deadline == "2023-06-05"


def test_text_that_looks_like_a_task_but_was_not_taken_is_a_warning() -> None:
    plan = parse(
        "一、主要任务\n加强统筹协调。(牵头单位:市政府办公室)\n1.甲。(牵头单位:市科技局)\n"
        "2.乙。(牵头单位:市财政局)\n2.丙。(牵头单位:市教育局)\n"
    )
    skipped = [(w.line, w.code) for w in plan.warnings if w.code == "skipped_candidate"]
    assert skipped == [(2, "skipped_candidate"), (5, "skipped_candidate")]
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]
