"""Documents built in the tests: real ones (docx, xlsx), and hostile ones (zip bombs, XML tricks)."""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import escape

from .docs import PLAN_V1

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(text: str = PLAN_V1, pad_bytes: int = 0) -> bytes:
    """A real .docx of ``text`` (one paragraph a line), optionally padded with an incompressible
    media part so that a valid file crosses a size threshold."""
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    if not pad_bytes:
        return buffer.getvalue()
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/padding.bin", random.Random(7).randbytes(pad_bytes))
    return buffer.getvalue()


def bomb_docx(unpacked_mb: int = 1500) -> bytes:
    """A small .docx whose document.xml expands to ``unpacked_mb`` MB (1.5 GB by default)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(
                f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>'.encode()
            )
            chunk = "专利".encode() * (1 << 19)  # 3 MB a write
            for _ in range(unpacked_mb // 3):
                member.write(chunk)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def docx_with_xml(document_xml: str) -> bytes:
    """A .docx whose document.xml is exactly ``document_xml`` (for entity and depth tricks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        archive.writestr("word/document.xml", document_xml)
    return buffer.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + f']><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'
)


def deep_xml(depth: int) -> str:
    return (
        f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>'
        + "<w:p>" * depth
        + "</w:p>" * depth
        + "</w:body></w:document>"
    )


def big_xlsx(target_mb: float = 17.5) -> bytes:
    """A valid .xlsx of about ``target_mb`` MB: rows of random Chinese text (incompressible enough),
    written as raw SpreadsheetML so that building it takes seconds, not minutes."""
    rng = random.Random(13)
    alphabet = "知识产权局科技工信财政市场监管发展改革委员会推进建设实施方案任务牵头责任单位配合完成时限专利商标版权保护运用"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="任务" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            row = 0
            while buffer.tell() < target_mb * 1024 * 1024:
                rows = []
                for _ in range(2000):
                    row += 1
                    text = "".join(rng.choices(alphabet, k=60))
                    rows.append(
                        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{row}</t></is></c>'
                        f'<c r="B{row}" t="inlineStr"><is><t>{text}</t></is></c>'
                        f'<c r="C{row}" t="inlineStr"><is><t>市科技局</t></is></c></row>'
                    )
                sheet.write("".join(rows).encode())
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


NUMERALS = "一二三四五六七八九十"
DEPARTMENTS = [
    "市科技局",
    "市知识产权局",
    "市财政局",
    "市市场监管局",
    "市工业和信息化局",
    "市发展改革局",
    "市教育局",
    "市人力资源社会保障局",
    "市商务局",
    "市公安局",
    "市司法局",
    "市文化广电旅游局",
    "市农业农村局",
    "市生态环境局",
    "市住房城乡建设局",
    "东莞海关",
    "松山湖管委会",
    "市金融工作局",
]


def big_plan(tasks: int, *, seed: int = 5) -> str:
    """A real-looking city plan with ``tasks`` numbered tasks (2,611 make about 1 MB of text):
    一、 sections of (一) subsections of ten tasks, each with its departments in brackets."""
    rng = random.Random(seed)
    words = "推进知识产权强市建设完善体制机制加强创造运用保护管理服务培育高价值专利组合支持企业布局核心技术开展执法专项行动"
    lines = [
        "东莞市人民政府办公室关于印发东莞市知识产权强市建设实施方案的通知",
        "东府办〔2026〕9号",
        "东莞市知识产权强市建设实施方案",
        "一、工作目标",
        "到2027年,全市发明专利授权量达到8000件以上。",
    ]
    number = 0
    section = 1
    while number < tasks:
        section += 1
        lines.append(f"{_numeral(section)}、重点任务之{section}")
        for sub in range(1, 11):
            if number >= tasks:
                break
            lines.append(f"({_numeral(sub)})推进第{section}部分第{sub}项工作")
            for _ in range(10):
                if number >= tasks:
                    break
                number += 1
                body = "".join(rng.choices(words, k=120))
                lead, *others = rng.sample(DEPARTMENTS, k=rng.randint(1, 4))
                bracket = f"牵头单位:{lead}" + (f";责任单位:{'、'.join(others)}" if others else "")
                lines.append(f"{number}.{body}。({bracket})")
    return "\n".join(lines) + "\n"


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


OFD_NS = "http://www.ofdspec.org/2016"


def ofd_bytes(text: str = PLAN_V1, *, lines_per_page: int = 12) -> bytes:
    """A minimal valid OFD package (GB/T 33190-2016): OFD.xml -> Doc_0/Document.xml -> pages whose
    Content.xml hold one TextObject a line, as office suites write them (text split into runs)."""
    lines = text.split("\n")
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>ipplan-test</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
        )
        archive.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}">'
            "<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
            f"</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        for number, page in enumerate(pages):
            objects = []
            for row, line in enumerate(page):
                y = 20 + row * 8
                # a line split into two runs, the second one listed first: order comes from position
                half = len(line) // 2
                for x, part in ((20 + half * 4, line[half:]), (20, line[:half])):
                    if part:
                        objects.append(
                            f'<ofd:TextObject ID="{number}{row}{x}" Boundary="{x} {y} 170 8" Font="1" Size="4">'
                            f'<ofd:TextCode X="0" Y="6">{escape(part)}</ofd:TextCode></ofd:TextObject>'
                        )
            archive.writestr(
                f"Doc_0/Pages/Page_{number}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
                f'<ofd:Layer ID="{number}0">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return buffer.getvalue()


def soffice_convert(data: bytes, source_ext: str, target: str) -> bytes:
    """Convert with LibreOffice (for building .doc and .wps fixtures in the tests)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"in.{source_ext}"
        source.write_bytes(data)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (Path(tmp) / f"in.{target.split(':')[0]}").read_bytes()
