"""A tiny PDF writer for tests: Chinese text layer via a Type0 font with a ToUnicode CMap.

No glyphs are embedded (viewers may show boxes), but text extraction reads the CMap, which is all
the parser needs. Also writes an image-only PDF with no text at all.
"""

from __future__ import annotations

import zlib


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def make_text_pdf(pages: list[list[str]]) -> bytes:
    """One PDF page per list of lines; every character is mapped to its own code point."""
    chars = sorted({c for page in pages for line in page for c in line})
    cmap_lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for i in range(0, len(chars), 100):
        chunk = chars[i : i + 100]
        cmap_lines.append(f"{len(chunk)} beginbfchar")
        cmap_lines.extend(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chunk)
        cmap_lines.append("endbfchar")
    cmap_lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    cmap = "\n".join(cmap_lines).encode()
    n_pages = len(pages)
    # objects: 1 catalog, 2 pages, 3 font, 4 descendant, 5 cmap, then (page, content) pairs
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _stream(cmap),
    ]
    for i, page in enumerate(pages):
        ops = ["BT", "/F1 10 Tf"]
        y = 800
        for line in page:
            hexed = "".join(f"{ord(c):04X}" for c in line)
            ops.append(f"1 0 0 1 40 {y} Tm <{hexed}> Tj")
            y -= 14
        ops.append("ET")
        content = zlib.compress("\n".join(ops).encode())
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {7 + 2 * i} 0 R >>".encode()
        )
        objects.append(_stream(content, "/Filter /FlateDecode "))
    return _pdf(objects)


def make_image_pdf() -> bytes:
    """A page that only paints a 2x2 grey image: no text layer."""
    pixels = bytes([0x80] * 4)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /Im1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        _stream(
            pixels,
            "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 ",
        ),
        _stream(b"q 100 0 0 100 50 50 cm /Im1 Do Q"),
    ]
    return _pdf(objects)
