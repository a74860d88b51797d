"""Small documents built by the tests themselves."""

from __future__ import annotations

import io

from planparser import ParsedPlan, ParsedTask, parse_text

PLAN = """\
关于印发《某市知识产权强市建设工作方案(2021—2023年)》的通知(已失效)
某府办〔2021〕12号

各区人民政府,市政府各部门:
    现将《某市知识产权强市建设工作方案(2021—2023年)》印发给你们,请认真贯彻执行。

某市人民政府办公室
二○二一年三月五日

某市知识产权强市建设
工作方案(2021—2023年)

为贯彻落实《知识产权强国建设纲要(2021—2035年)》(中发〔2021〕1号),制定本方案。
一、工作目标
到2023年,全市有效发明专利拥有量达到8000件,知识产权质押融资额超过5亿元,结案率达到95%以上。
二、重点任务
(一)提升知识产权创造质量
1.实施高价值专利培育计划。支持企业开展专利导航。(市科技局、知识产权局、发改局)
2.加强商标品牌建设。(牵头单位:市市场监管局;责任单位:市商务局、市农业局)
(二)加强知识产权保护
3.完善执法协作机制。(市公安局牵头,市司法局、市检察院配合)
三、保障措施
(一)加强组织领导。成立领导小组,统筹推进。
"""


def parse(text: str) -> ParsedPlan:
    return parse_text(text)


def task(plan: ParsedPlan, path: str) -> ParsedTask:
    for t in plan.tasks:
        if t.path == path:
            return t
    raise AssertionError(f"no task {path}; have {[t.path for t in plan.tasks]}")


def roles(plan: ParsedPlan, path: str) -> tuple[list[str], list[str], list[str]]:
    t = task(plan, path)
    return t.lead, t.responsible, t.cooperating


def docx_bytes(
    paragraphs: list[str], table: list[list[str]] | None = None, after: list[str] | None = None
) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        tbl = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                tbl.cell(r, c).text = value
    for p in after or []:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
