"""Word documents in the layout of Chinese official documents (GB/T 9704-2012 党政机关公文格式).

A4 paper, a 156 × 225 mm type area (版心), the issuing unit in red at the head (版头) with the
issue number (期号) and date above a red rule, the title in 方正小标宋简体 二号, the body in
仿宋_GB2312 三号 on a 22-line grid, first-level headings in 黑体 and second-level in 楷体, and the
page number "— 1 —" in 宋体 四号 on the outer side of the footer.

Government machines have the 方正 and _GB2312 fonts; others do not. Each run therefore names its
Chinese font in ``w:eastAsia`` and the font table gives every such font an ``altName`` (宋体, 仿宋,
楷体) that Word and LibreOffice use when the first is missing, so a document opened anywhere keeps
its look and never shows missing glyphs.
"""

from __future__ import annotations

import datetime as dt

import docx
from django.utils.formats import date_format
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

# GB/T 9704-2012 §5.2: A4 (210 × 297 mm), type area 156 × 225 mm, top margin 37 mm, left 28 mm.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
# 22 lines of 28 characters in the type area: 225 mm / 22 = 28.95 pt a line.
LINE_PITCH = Pt(28.95)

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# The font each Chinese font falls back to where it is not installed (font table altName).
FALLBACKS = {
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    SUBHEADING_FONT: "楷体",
    HEADING_FONT: "SimHei",
    "宋体": "SimSun",
}

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_PAGE_NUMBER = Pt(14)  # 四号
SIZE_TABLE = Pt(12)  # 小四, for tables inside the body
RED = RGBColor(0xFF, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)


def set_fonts(element: object, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name ``east_asia`` for Chinese text and ``latin`` for the rest on a run or style's rPr."""
    r_pr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would win over the names below
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style(
    document: Document,
    name: str,
    *,
    font: str,
    size: Pt,
    bold: bool = False,
    align: int | None = None,
    indent: Pt | None = None,
) -> None:
    style = document.styles[name]
    style.font.size = size  # type: ignore[attr-defined]
    style.font.bold = bold  # type: ignore[attr-defined]
    style.font.italic = False  # type: ignore[attr-defined]
    style.font.color.rgb = BLACK  # type: ignore[attr-defined]
    set_fonts(style.element, font)
    r_pr = style.element.get_or_add_rPr()
    for child in r_pr.findall(qn("w:color")):
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            child.attrib.pop(qn(attr), None)
    for child in r_pr.findall(qn("w:bCs")) + r_pr.findall(qn("w:spacing")) + r_pr.findall(qn("w:kern")):
        r_pr.remove(child)
    p_pr = style.element.get_or_add_pPr()
    for border in p_pr.findall(qn("w:pBdr")):
        p_pr.remove(border)
    fmt = style.paragraph_format  # type: ignore[attr-defined]
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    if align is not None:
        fmt.alignment = align
    if indent is not None:
        fmt.first_line_indent = indent


def _font_table(document: Document) -> None:
    """Declare each Chinese font with its fallback, so a machine without it substitutes sensibly."""
    part = next(p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alternative in FALLBACKS.items():
        if name in known:
            continue
        root.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternative}"/>'
                '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            )
        )
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)  # type: ignore[attr-defined]


def _page_number(paragraph: Paragraph) -> None:
    """ "— N —" with N a PAGE field, in 宋体 四号."""

    def run(text: str = "") -> object:
        r = paragraph.add_run(text)
        r.font.size = SIZE_PAGE_NUMBER
        set_fonts(r._r, PAGE_NUMBER_FONT, PAGE_NUMBER_FONT)
        return r

    run("— ")
    for kind, text in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("value", "1"), ("end", "")):
        r = run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._r.append(instr)  # type: ignore[attr-defined]
        elif kind == "value":
            r.text = text  # type: ignore[attr-defined]
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._r.append(char)  # type: ignore[attr-defined]
    run(" —")


def _red_rule(paragraph: Paragraph) -> None:
    """The red separator under the document head, as wide as the type area."""
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" w:space="4" w:color="FF0000"/></w:pBdr>'
        )
    )


def official_document(*, issuer: str, issue: str, date: dt.date) -> Document:
    """An empty A4 document with the GB/T 9704 styles and the head: ``issuer`` in red, 期号, date."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = Mm(15)
    section.footer_distance = Mm(28)  # the page number sits 7 mm below the type area
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.pt * 20)))

    _style(
        document, "Normal", font=BODY_FONT, size=SIZE_BODY, indent=Pt(32), align=WD_ALIGN_PARAGRAPH.JUSTIFY
    )
    _style(document, "Title", font=TITLE_FONT, size=SIZE_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0))
    title_format = document.styles["Title"].paragraph_format  # type: ignore[attr-defined]
    title_format.line_spacing = Pt(36)
    title_format.space_before = Pt(14)
    title_format.space_after = LINE_PITCH
    _style(document, "Heading 1", font=HEADING_FONT, size=SIZE_BODY, indent=Pt(32))
    _style(document, "Heading 2", font=SUBHEADING_FONT, size=SIZE_BODY, indent=Pt(32))
    for name in ("List Bullet", "List Bullet 2"):
        _style(document, name, font=BODY_FONT, size=SIZE_BODY)
    _font_table(document)

    # page numbers on the outer side: right on odd pages, left on even ones, one character in
    document.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = SIZE_PAGE_NUMBER
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = SIZE_PAGE_NUMBER
    for paragraph in (odd, even):
        paragraph.paragraph_format.first_line_indent = Pt(0)
        _page_number(paragraph)

    # 版头: the issuing unit in red 小标宋, then the issue number and the date above a red rule
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.first_line_indent = Pt(0)
    head.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    head.paragraph_format.space_before = Pt(12)
    head.paragraph_format.space_after = Pt(12)
    mark = head.add_run(issuer)
    mark.font.size = Pt(36)
    mark.font.color.rgb = RED
    set_fonts(mark._r, TITLE_FONT)
    number = document.add_paragraph(issue)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.first_line_indent = Pt(0)
    line = document.add_paragraph()
    line.paragraph_format.first_line_indent = Pt(0)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)
    line.add_run(f"{issuer}\t{date_format(date, 'DATE_FORMAT')}")  # zh-hans: 2026年3月31日
    _red_rule(line)
    return document


def compact_table(table: Table) -> None:
    """A table inside the body: centred, 小四, single-spaced, no first-line indent, bold header."""
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, row in enumerate(table.rows):
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                fmt = paragraph.paragraph_format
                fmt.first_line_indent = Pt(0)
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
                fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT
                snap = OxmlElement("w:snapToGrid")  # single lines, not the body's 28.95 pt grid
                snap.set(qn("w:val"), "0")
                paragraph._p.get_or_add_pPr().append(snap)
                for run in paragraph.runs:
                    run.font.size = SIZE_TABLE
                    run.font.bold = index == 0
