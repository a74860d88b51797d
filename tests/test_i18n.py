"""The English translation is complete and the compiled catalogue matches its source."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
# msgid "…" (continued on "…" lines) then msgstr "…" (likewise); plural entries are left out.
ENTRY = re.compile(r'^msgid ((?:"[^\n]*"\n)+)msgstr ((?:"[^\n]*"\n?)+)', re.MULTILINE)


def _joined(quoted: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted))


def entries() -> list[tuple[str, str]]:
    text = PO.read_text(encoding="utf-8")
    found = [(_joined(m.group(1)), _joined(m.group(2))) for m in ENTRY.finditer(text)]
    return [(msgid, msgstr) for msgid, msgstr in found if msgid]  # the header has an empty msgid


def test_every_string_has_an_english_translation() -> None:
    found = entries()
    assert len(found) > 300
    missing = [msgid for msgid, msgstr in found if not msgstr]
    assert missing == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_compiled_catalogue_matches_the_source() -> None:
    def unescape(value: str) -> str:
        return value.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")

    with translation.override("en"):
        stale = [
            msgid for msgid, msgstr in entries() if translation.gettext(unescape(msgid)) != unescape(msgstr)
        ]
    assert stale == [], "run: msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"
