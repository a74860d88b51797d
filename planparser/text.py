"""Text normalisation.

The parser reads a *work* copy of the text in which full-width forms are folded to ASCII and
traditional characters are converted to simplified ones, always one character for one character.
Because both copies have the same length, any span found in the work copy can be cut from the
original, so titles, task text and department names keep the document's own characters.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "O": 0,
    "Ｏ": 0,
    "o": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class AStr:
    """A work string and the original string it was derived from, character-aligned."""

    w: str
    o: str

    def __len__(self) -> int:
        return len(self.w)

    def __getitem__(self, key: slice) -> AStr:
        return AStr(self.w[key], self.o[key])

    def __add__(self, other: AStr) -> AStr:
        return AStr(self.w + other.w, self.o + other.o)

    def __bool__(self) -> bool:
        return bool(self.w)

    def strip(self, chars: str | None = None) -> AStr:
        left = len(self.w) - len(self.w.lstrip(chars))
        right = len(self.w.rstrip(chars))
        if right <= left:
            return AStr("", "")
        return AStr(self.w[left:right], self.o[left:right])

    def lstrip(self, chars: str | None = None) -> AStr:
        left = len(self.w) - len(self.w.lstrip(chars))
        return AStr(self.w[left:], self.o[left:])

    def rstrip(self, chars: str | None = None) -> AStr:
        right = len(self.w.rstrip(chars))
        return AStr(self.w[:right], self.o[:right])

    @staticmethod
    def plain(text: str) -> AStr:
        return AStr(text, text)

    @staticmethod
    def join(sep: str, parts: list[AStr]) -> AStr:
        return AStr(sep.join(p.w for p in parts), sep.join(p.o for p in parts))


SPACE_CHARS = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_DROP = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD])


def _build_clean_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    table.update({k: None for k in _DROP})
    for ch in SPACE_CHARS:
        table[ord(ch)] = ord(" ")
    for cp in [*list(range(0, 32)), 127, *list(range(128, 160))]:
        if cp not in (0x09, 0x0A):
            table[cp] = None
    table[0x2028] = ord("\n")
    table[0x2029] = ord("\n")
    return table


def _build_work_table() -> dict[int, int]:
    table: dict[int, int] = {}
    ranges = [range(0xFF01, 0xFF5F), range(0xFE50, 0xFE6C), range(0xFE30, 0xFE50)]
    for rng in ranges:
        for cp in rng:
            folded = unicodedata.normalize("NFKC", chr(cp))
            if len(folded) == 1 and folded != chr(cp):
                table[cp] = ord(folded)
    table.update(
        {
            0x3014: ord("〔"),
            0x2236: ord(":"),
            0xFF0E: ord("."),
            0x2024: ord("."),
            0x2010: ord("-"),
            0x2011: ord("-"),
            0x2212: ord("-"),
            0xFE63: ord("-"),
            0xFF0D: ord("-"),
            0x2013: ord("—"),
            0x2015: ord("—"),
            0x2500: ord("—"),
            0x2014: ord("—"),
            0x3001: ord("、"),
            0xFF64: ord("、"),
            0x00B7: ord("·"),
            0x30FB: ord("·"),
            0x2027: ord("·"),
            0xFF5E: ord("~"),
            0x301C: ord("~"),
            0x3007: ord("〇"),
        }
    )
    return table


CLEAN_TABLE = _build_clean_table()
WORK_TABLE = _build_work_table()


def clean_text(text: str) -> str:
    """Newlines to ``\\n``, invisible characters dropped, exotic spaces made plain spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(CLEAN_TABLE)


@lru_cache(maxsize=1)
def _ts_table() -> tuple[dict[int, int], frozenset[str]]:
    """Traditional -> simplified, one character each, from OpenCC's own dictionary."""
    table: dict[int, int] = {}
    try:
        opencc = importlib.import_module("opencc")
        path = Path(str(opencc.__file__)).parent / "dictionary" / "TSCharacters.txt"
        for row in path.read_text(encoding="utf-8").splitlines():
            parts = row.split("\t")
            if len(parts) != 2:
                continue
            src, targets = parts[0], parts[1].split(" ")
            if len(src) == 1 and targets and len(targets[0]) == 1 and targets[0] != src:
                table[ord(src)] = ord(targets[0])
    except Exception:  # OpenCC missing or unreadable: no conversion, recognition of 簡體 still works
        return {}, frozenset()
    return table, frozenset(chr(k) for k in table)


@lru_cache(maxsize=1)
def _opencc() -> Any:
    try:
        return importlib.import_module("opencc").OpenCC("t2s")
    except Exception:
        return None


def has_traditional(text: str) -> bool:
    _, chars = _ts_table()
    return bool(chars) and not chars.isdisjoint(text)


def to_simplified(text: str) -> str:
    """Same-length simplified copy: OpenCC per line where it keeps the length, else per character."""
    table, chars = _ts_table()
    if not table or chars.isdisjoint(text):
        return text
    if len(text) > 200_000:
        return text.translate(table)
    conv = _opencc()
    out: list[str] = []
    for line in text.split("\n"):
        if chars.isdisjoint(line):
            out.append(line)
            continue
        converted = None
        if conv is not None:
            try:
                converted = conv.convert(line)
            except Exception:
                converted = None
        if not isinstance(converted, str) or len(converted) != len(line):
            converted = line.translate(table)
        out.append(converted)
    return "\n".join(out)


def work_copy(orig: str) -> str:
    work = orig.translate(WORK_TABLE)
    work = to_simplified(work)
    if len(work) != len(orig):  # never expected; stay aligned whatever happens
        return orig.translate(WORK_TABLE)
    return work


def cn_to_int(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 一百零五 -> 105; digits pass through."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        try:
            return int(text)
        except ValueError:
            return None
    total, current = 0, 0
    seen = False
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
            seen = True
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
            seen = True
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
            seen = True
        else:
            return None
    return total + current if seen else None


def cn_digits_to_int(text: str) -> int | None:
    """Digit-by-digit numerals used in years: 二○一一 -> 2011."""
    if text.isdigit():
        return int(text)
    digits = []
    for ch in text:
        if ch not in CN_DIGITS:
            return None
        digits.append(str(CN_DIGITS[ch]))
    return int("".join(digits)) if digits else None


def int_to_cn(n: int) -> str:
    units = "零一二三四五六七八九"
    if n <= 0:
        return str(n)
    if n < 10:
        return units[n]
    if n < 20:
        return "十" + (units[n - 10] if n > 10 else "")
    if n < 100:
        return units[n // 10] + "十" + (units[n % 10] if n % 10 else "")
    return str(n)


# Lines that belong to the web page around a document, not to the document.
_NOISE = re.compile(
    r"^(?:"
    r"(?:首页|当前位置|您当前的位置|您现在的位置|您的位置|当前所在位置)\s*[:>>\-]|"
    r".*(?:扫一扫|分享到|打印本页|关闭窗口|【打印】|【关闭】|\[打印\]|\[关闭\]|字体\s*[:\[【]|【字体|字号\s*[:\[]|"
    r"浏览次数|访问量|阅读次数|点击数|点击量|阅读量|备案号|ICP备|公网安备|网站标识码|技术支持|网站地图|"
    r"联系我们|版权所有|Copyright|©|相关附件|相关新闻|相关链接|友情链接|上一篇|下一篇|本网站已支持|"
    r"智能问答|繁體版|简体版|无障碍|即将离开|发现更多精彩|进入小程序|政策解读地址|在手机打开|手机版|"
    r"收藏本页|设为首页|加入收藏|今天是|欢迎您|用户登录).*|"
    r"(?:ico|头部|微信|微博|分享|打印|关闭|返回顶部|顶部|English|RSS|登录|注册|搜索|"
    r"附件下载|媒体报道|音频视频|文件|部门解读|图解类|新闻发布会|访谈|其他|文章关键词[:]?.*|"
    r"主办单位[:].*|承办[:].*)"
    r")$",
    re.IGNORECASE,
)


def is_noise_line(work_line: str) -> bool:
    line = work_line.strip()
    if not line or len(line) > 120:
        return False
    return bool(_NOISE.match(line))


_CN_DATE = re.compile(
    r"([〇○零O一二三四五六七八九\d]{4})\s*年\s*([一二三四五六七八九十\d]{1,3})\s*月\s*"
    r"(?:([一二三四五六七八九十\d]{1,3})\s*日)?"
)


def parse_cn_date(text: str) -> tuple[int, int, int | None] | None:
    """First date in ``text`` written like 二○一一年九月八日 or 2023年8月15日."""
    m = _CN_DATE.search(text)
    if not m:
        return None
    year = cn_digits_to_int(m.group(1))
    month = cn_to_int(m.group(2))
    day = cn_to_int(m.group(3)) if m.group(3) else None
    if year is None or month is None or not 1900 <= year <= 2100 or not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return year, month, day


CJK_RE = re.compile(r"[\u3400-\u9fff]")
# a year written in digits (2025年), and a target year (到2025年, 截至2025年)
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
TO_YEAR_RE = re.compile(r"(?:到|至|截至|截止到|截止)\s*((?:19|20)\d{2})\s*年")
