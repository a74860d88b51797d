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
