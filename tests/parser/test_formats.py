"""Every input type: text encodings, .docx (paragraphs and tables), .xlsx, .csv, .pdf and .html."""

from __future__ import annotations

import codecs

import pytest

from planparser import extract_text, parse_document

from .helpers import PLAN, docx_bytes, roles, task, xlsx_bytes
from .pdfgen import make_text_pdf

SHORT = "某市知识产权工作方案\n一、主要任务\n1.建立維權機制。(牵头单位:市科技局;责任单位:市财政局)\n2.开展宣传。(市教育局)\n"


@pytest.mark.parametrize(
    "data",
    [
        PLAN.encode("utf-8"),
        codecs.BOM_UTF8 + PLAN.encode("utf-8"),
        PLAN.encode("gb18030"),
        PLAN.encode("gbk", errors="replace"),
        PLAN.encode("utf-16"),  # with BOM
        PLAN.encode("utf-16-le"),  # without BOM
        PLAN.encode("utf-16-be"),
        PLAN.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom", "utf16le", "utf16be", "crlf"],
)
def test_txt_encodings(data: bytes) -> None:
    plan = parse_document(data, "plan.txt")
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert plan.title == "某市知识产权强市建设工作方案(2021—2023年)"
    assert roles(plan, "二.(二).3") == (["市公安局"], [], ["市司法局", "市检察院"])


def test_big5_text() -> None:
    text = "某縣知識產權工作計劃\n一、主要任務\n1.建立維權機制。(牽頭單位:縣知識產權局;責任單位:縣財政局)\n"
    plan = parse_document(text.encode("big5"), "plan.txt")
    assert roles(plan, "一.1") == (["縣知識產權局"], ["縣財政局"], [])


def test_pasted_text_without_extension() -> None:
    assert len(parse_document(SHORT.encode(), "").tasks) == 2


def test_docx_paragraphs() -> None:
    data = docx_bytes(PLAN.splitlines())
    plan = parse_document(data, "plan.docx")
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert plan.doc_number == "某府办〔2021〕12号"


def test_docx_with_task_table() -> None:
    data = docx_bytes(
        [
            "关于印发某市知识产权工作方案的通知",
            "某府办〔2022〕7号",
            "某市人民政府办公室",
            "2022年5月6日",
            "某市知识产权工作方案",
            "一、重点任务",
            "(一)加强创造",
            "1.实施专利提升工程。(市科技局、财政局)",
        ],
        table=[
            ["序号", "工作任务", "牵头单位", "责任单位", "配合单位", "完成时限"],
            ["2", "建设知识产权服务中心", "市知识产权局", "市财政局\n市发改局", "", "2022年12月底"],
            ["3", "开展执法行动", "市公安局", "", "市司法局", "长期"],
        ],
        after=["二、保障措施", "(一)加强领导。"],
    )
    plan = parse_document(data, "plan.docx")
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "一.(一).3"]
    assert roles(plan, "一.(一).2") == (["市知识产权局"], ["市财政局", "市发改局"], [])
    assert task(plan, "一.(一).2").deadline == "2022-12-31"
    assert task(plan, "一.(一).2").deadline_text == "2022年12月底"
    assert roles(plan, "一.(一).3") == (["市公安局"], [], ["市司法局"])
    assert task(plan, "一.(一).3").title == "开展执法行动"
    assert plan.title == "某市知识产权工作方案"


def test_docx_table_without_number_column() -> None:
    data = docx_bytes(
        ["某市2023年知识产权工作任务", "一、主要任务"],
        table=[["工作任务", "责任单位"], ["专利导航", "市科技局、市财政局"], ["商标培育", "市市场监管局"]],
    )
    plan = parse_document(data, "x.docx")
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]  # unnumbered rows with departments, by order
    assert roles(plan, "一.1") == (["市科技局"], ["市财政局"], [])


def test_xlsx_task_table_with_title_row() -> None:
    data = xlsx_bytes(
        [
            ["2023年知识产权工作任务分解表"],
            [],
            ["序号", "重点任务", "牵头单位", "配合单位", "完成时间"],
            [1, "完善专利资助政策", "市知识产权局", "市财政局、市科技局", "2023年6月"],
            [2, "开展知识产权宣传周活动", "市委宣传部", "各区、县级市", "2023年4月"],
        ]
    )
    plan = parse_document(data, "plan.xlsx")
    assert plan.title == "2023年知识产权工作任务分解表"
    assert [t.path for t in plan.tasks] == ["1", "2"]
    assert roles(plan, "2") == (["市委宣传部"], [], ["各区、县级市"])
    assert (task(plan, "1").deadline, task(plan, "1").deadline_text) == ("2023-06-30", "2023年6月")


def test_csv_task_table() -> None:
    data = "序号,工作任务,责任单位,完成时限\n1,专利导航,市科技局、财政局,2023年底\n".encode("gb18030")
    plan = parse_document(data, "tasks.csv")
    assert roles(plan, "1") == (["市科技局"], ["市财政局"], [])


def test_pdf_with_page_markers_inside_task_and_bracket() -> None:
    page1 = [
        "某市知识产权工作方案",
        "一、重点任务",
        "(一)加强创造",
        "1.实施专利提升工程,推动高价值专利培育布局,支持企业开展专利导航分析",
        "工作,提升企业创新能力。(市科技局、",
        "— 1 —",
    ]
    page2 = [
        "某市知识产权工作方案",
        "财政局)",
        "2.建设服务平台,为企业提供全方位的知识产权公共服务,推动",
        "- 2 -",
    ]
    page3 = ["某市知识产权工作方案", "服务下沉。(市知识产权局)", "3.开展执法行动。(市公安局)", "第3页"]
    data = make_text_pdf([page1, page2, page3])
    text = extract_text(data, "plan.pdf")
    assert "— 1 —" not in text and "第3页" not in text
    assert text.count("某市知识产权工作方案") == 1  # the running head is gone, the title stays
    plan = parse_document(data, "plan.pdf")
    assert plan.title == "某市知识产权工作方案"
    assert [t.path for t in plan.tasks] == ["一.(一).1", "一.(一).2", "一.(一).3"]
    assert roles(plan, "一.(一).1") == (["市科技局"], ["市财政局"], [])
    assert plan.tasks[0].title.endswith("提升企业创新能力")
    assert roles(plan, "一.(一).2") == (["市知识产权局"], [], [])


HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>关于印发某市知识产权工作方案的通知_门户网站</title>
<script>var x = "一、不是正文 1.也不是";</script><style>.a{{color:red}}</style></head>
<body>
<div class="header"><ul class="nav"><li>首页</li><li>政务公开</li></ul></div>
<div class="breadcrumb">您当前的位置:首页 &gt; 政务公开 &gt; 政策文件</div>
<div class="main">
 <h1>关于印发某市知识产权工作方案的通知</h1>
 <div class="info">发布时间:2022-05-10 来源:市政府办公室 浏览次数:1234 <span class="share">分享到:微信 微博</span></div>
 <div class="content" id="zoom">
  <p style="text-align:center">某府办〔2022〕7号</p>
  <p>各区人民政府,市政府各部门:</p>
  <p>现将《某市知识产权工作方案》印发给你们,请认真贯彻执行。</p>
  <p style="text-align:right">某市人民政府办公室</p>
  <p style="text-align:right">2022年5月6日</p>
  <p style="text-align:center"><strong>某市知识产权工作方案</strong></p>
  <p>为加快建设知识产权强市,制定本方案。</p>
  <p>一、工作目标</p>
  <p>到2025年,每万人口高价值发明专利拥有量达到10件。</p>
  <p>二、重点任务</p>
  <p>(一)加强知识产权创造</p>
  <p>1.实施专利质量提升工程。(牵头单位:市市场监管局;配合单位:市科技局、市财政局)</p>
  <p>2.推进商标品牌建设。(市市场监管局、商务局)</p>
  <p>(二)加强知识产权保护</p>
  <p>3.完善快速维权机制。(市司法局负责)</p>
  <p>三、保障措施</p>
  <p>(一)加强组织领导。</p>
 </div>
 <div class="share-box">扫一扫在手机打开当前页</div>
</div>
<div class="footer"><p>主办单位:某市人民政府办公室 网站标识码:1234 备案号:粤ICP备000号</p><p>版权所有</p></div>
</body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
def test_html_page(charset: str) -> None:
    enc = "gb18030" if charset == "gb2312" else charset
    data = HTML.format(charset=charset).encode(enc)
    text = extract_text(data, "page.html")
    for noise in ("政务公开", "浏览次数", "分享到", "扫一扫", "备案号", "版权所有", "不是正文"):
        assert noise not in text, noise
    for kept in ("某府办〔2022〕7号", "某市人民政府办公室", "2022年5月6日"):
        assert kept in text, kept
    plan = parse_document(data, "page.html")
    assert plan.title == "某市知识产权工作方案"
    assert plan.doc_number == "某府办〔2022〕7号"
    assert plan.issuer == "某市人民政府办公室"
    assert str(plan.issued_on) == "2022-05-06"
    assert [t.path for t in plan.tasks] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert roles(plan, "二.(一).1") == (["市市场监管局"], [], ["市科技局", "市财政局"])
    assert [(i.value, i.unit, i.year) for i in plan.indicators] == [(10, "件", 2025)]


def test_html_saved_as_txt_is_read_as_html() -> None:
    data = HTML.format(charset="utf-8").encode()
    assert len(parse_document(data, "page.txt").tasks) == 3


def test_broken_html_still_parses() -> None:
    data = (
        "<html><body><div><p>某市工作方案<p>一、主要任务<div>1.加强创造。(市科技局、财政局)"
        "<span>2.加强保护。(市公安局)</b></i>"
    ).encode()
    plan = parse_document(data, "broken.html")
    assert [t.path for t in plan.tasks] == ["一.1", "一.2"]


def test_content_sniffing_beats_the_extension() -> None:
    data = docx_bytes(SHORT.splitlines())
    assert len(parse_document(data, "misnamed.txt").tasks) == 2


def test_html_with_unmarked_menus_keeps_number_date_and_signature() -> None:
    links = "".join(f"<li><a href='/x{i}'>栏目链接第{i}个关于政务公开的菜单项目</a></li>" for i in range(120))
    page = HTML.format(charset="utf-8").replace(
        '<div class="main">', f'<div><ul>{links}</ul></div><div class="main">'
    )
    page = page.replace("</body>", f"<div><ul>{links}</ul></div></body>")
    data = page.encode()
    text = extract_text(data, "page.html")
    assert text.count("栏目链接") < 40  # trafilatura found the article; most of the menus are gone
    for kept in ("某府办〔2022〕7号", "某市人民政府办公室", "2022年5月6日", "某市知识产权工作方案"):
        assert kept in text, kept
    plan = parse_document(data, "page.html")
    assert (plan.doc_number, plan.issuer, str(plan.issued_on)) == (
        "某府办〔2022〕7号",
        "某市人民政府办公室",
        "2022-05-06",
    )
    assert len(plan.tasks) == 3
