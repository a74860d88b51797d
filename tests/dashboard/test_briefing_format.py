"""The briefing as an official document (GB/T 9704-2012): read back from the .docx, then rendered."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import docx
import pytest
from django.test import Client
from django.urls import reverse
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt

from ..conftest import World

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts"


def briefing_bytes(client: Client, world: World) -> bytes:
    client.force_login(world.users["bureau"])
    response = client.get(reverse("tasks:briefing_export"), {"end": "2026-03-31"})
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def east_asian_font(element: object) -> str | None:
    fonts = element.find(qn("w:rPr") + "/" + qn("w:rFonts"))  # type: ignore[attr-defined]
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_briefing_page_margins_fonts_and_head(client: Client, world: World) -> None:
    content = briefing_bytes(client, world)
    document = docx.Document(io.BytesIO(content))
    section = document.sections[0]
    # A4 and the 156 × 225 mm type area (python-docx rounds to EMU; 0.1 mm is well inside that)
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]  # type: ignore[union-attr]
    assert round(Length(section.page_width - section.left_margin - section.right_margin).mm) == 156  # type: ignore[operator]
    assert round(Length(section.page_height - section.top_margin - section.bottom_margin).mm) == 225  # type: ignore[operator]

    styles = document.styles
    title, body = styles["Title"], styles["Normal"]
    assert title.font.size == Pt(22) and east_asian_font(title.element) == "方正小标宋简体"  # type: ignore[attr-defined]
    assert body.font.size == Pt(16) and east_asian_font(body.element) == "仿宋_GB2312"  # type: ignore[attr-defined]
    assert east_asian_font(styles["Heading 1"].element) == "黑体"
    # the fallbacks machines without the 方正/GB2312 fonts use
    font_table = zipfile.ZipFile(io.BytesIO(content)).read("word/fontTable.xml").decode()
    assert re.search(r'w:name="方正小标宋简体"><w:altName w:val="宋体"', font_table)
    assert re.search(r'w:name="仿宋_GB2312"><w:altName w:val="仿宋"', font_table)

    # 版头: the issuing unit in red, then 期号, then the date over a red rule; then the title
    paragraphs = document.paragraphs
    head = paragraphs[0].runs[0]
    assert head.text == "东莞市知识产权局" and str(head.font.color.rgb) == "FF0000"
    assert paragraphs[1].text == "2026年第3期"
    assert paragraphs[2].text.endswith("2026年3月31日")
    assert 'w:color="FF0000"' in paragraphs[2]._p.xml  # the red rule
    assert paragraphs[3].style.name == "Title" and paragraphs[3].text == "知识产权工作督办通报"

    # page numbers "— N —" on the outer side, odd right, even left
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer.paragraphs[0]._p.xml
        assert (
            "PAGE" in xml
            and footer.paragraphs[0].text.startswith("— ")
            and footer.paragraphs[0].text.endswith(" —")
        )
    assert (
        section.footer.paragraphs[0].alignment == 2 and section.even_page_footer.paragraphs[0].alignment == 0
    )


def test_briefing_renders_to_an_a4_page(client: Client, world: World) -> None:
    """LibreOffice renders the briefing: an A4 PDF and a PNG of its first page kept as artifacts."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the rendered page is not produced")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / "briefing.docx"
    source.write_bytes(briefing_bytes(client, world))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(ARTIFACTS), str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    pdf_path = ARTIFACTS / "briefing.pdf"
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf_path.read_bytes())
    assert box, "no page size in the PDF"
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points

    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    try:
        image = pdf[0].render(scale=150 / 72).to_pil()  # 150 dpi
    finally:
        pdf.close()
    png = ARTIFACTS / "briefing.png"
    image.save(png)
    assert abs(image.size[0] - 1240) <= 1 and abs(image.size[1] - 1754) <= 1  # A4 at 150 dpi
    # the head is red: some pixels in the top quarter are pure-ish red
    top = image.convert("RGB").crop((0, 0, image.size[0], image.size[1] // 4))
    assert any(r > 200 and g < 60 and b < 60 for r, g, b in top.get_flattened_data())


def test_ledger_prints_on_a4_landscape_with_the_plan_and_date_in_the_header(
    client: Client, world: World
) -> None:
    import openpyxl
    from django.utils import timezone

    client.force_login(world.users["bureau"])
    response = client.get(reverse("tasks:ledger_export"), {"plan": world.plan.pk})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9  # A4
    assert sheet.oddHeader.left.text == world.plan.title
    assert sheet.oddHeader.right.text == timezone.localdate().isoformat()
