"""Document metadata: title, 文号, issuer, issue date and period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .text import TO_YEAR_RE, YEAR_RE, AStr, cn_to_int, parse_cn_date

PLAN_WORD = re.compile(
    r"(?:方案|规划|计划|纲要|意见|要点|措施|办法|细则|安排|清单|分工表|分解表|任务表|台账|行动)"
    r"(?:\s*\([^()]{1,20}\))?$"
)
WRAPPER = re.compile(r"^(?:.{0,30}?)关于|的(?:通知|决议|决定|批复|函|公告|通报)\s*(?:\(.*\))?$")
WRAPPER_TITLE = re.compile(
    r"关于(?P<v>印发|转发|下发|发布|批准|同意)?\s*[《“]?(?P<t>.+?)[》”]?\s*的(?:通知|决议|决定|批复|函|公告|通报)"
)
_NAMED_IN_WRAPPER = re.compile(r"《(.+)》\s*的(?:通知|决议|决定|批复|函|公告|通报)")
WEB_MARK = re.compile(r"\s*[(\[【](?:已失效|失效|有效|已废止|废止|已修改|已修订|现行有效|部分失效)[)\]】]\s*")
DOCNUM = re.compile(
    r"([\u4e00-\u9fff]{1,12}?)\s*([〔\[【(])\s*((?:19|20)\d{2})\s*([〕\]】)])\s*(第?\s*\d{1,4}\s*号)"
)
DOCNUM_LABEL = re.compile(r"(?:文号|发文字号|发布文号|文件编号|发文号)\s*[:]?\s*$")
ORG_LINE = re.compile(
    r"^[\u4e00-\u9fff()]{2,30}(?:人民政府|政府|办公室|办公厅|委员会|局|厅|委|办|院|领导小组|联席会议|管委会|办事处|中心|"
    r"人民代表大会常务委员会|常委会|小组)$"
)
META_ISSUER = re.compile(
    r"(?:发布部门|发文机关|发文单位|发布机构|发布机关|发文部门)\s*[:]?\s*([\u4e00-\u9fff()]{2,30})"
)
META_DATE = re.compile(
    r"(成文日期|发文日期|印发日期|发布日期)\s*[:]?\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
)
PASSED_DATE = re.compile(r"^\(.*?(\d{4}年\d{1,2}月\d{1,2}日).*(?:通过|印发|发布|批准).*\)$")
_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*[-—~至到]+\s*((?:19|20)?\d{2})\s*年?")
_FIVE_YEAR = re.compile(
    r"第([一二三四五六七八九十]+)个五年|([十]?[一二三四五六七八九])五(?=[”\"]?(?:期间|时期|规划|计划|末|期|$))"
)


@dataclass(slots=True)
class Meta:
    title: str | None = None
    title_line: int = -1
    doc_number: str | None = None
    issuer: str | None = None
    issued_on: date | None = None
    period: tuple[int, int] | None = None


def _squash(text: str) -> str:
    text = re.sub(r"(?<=[\u4e00-\u9fff\)）》])\s+(?=[\u4e00-\u9fff\(（《])", "", text.strip())
    return re.sub(r"\s+", " ", text)


def clean_title(text: str) -> str:
    text = WEB_MARK.sub("", text)
    text = re.sub(r"\s*状态\s*[:：].*$", "", text)
    return _squash(text).strip(" :：")


def _is_date_line(w: str) -> bool:
    s = w.strip()
    if not s or len(s) > 24:
        return False
    rest = re.sub(
        r"[〇○零O一二三四五六七八九十\d]{2,4}\s*年\s*[一二三四五六七八九十\d]{1,3}\s*月\s*"
        r"(?:[一二三四五六七八九十\d]{1,3}\s*日)?",
        "",
        s,
    )
    return rest.strip() == "" and parse_cn_date(s) is not None


def _date_of(w: str) -> date | None:
    parsed = parse_cn_date(w)
    if not parsed or parsed[2] is None:
        return None
    try:
        return date(parsed[0], parsed[1], parsed[2])
    except ValueError:
        return None


def _docnum_line(w: str) -> bool:
    m = DOCNUM.search(w)
    return m is not None and len(w.strip()) - len(m.group(0)) <= 2


def _prev_nonblank(lines: list[AStr], i: int) -> int:
    j = i - 1
    while j >= 0 and not lines[j].w.strip():
        j -= 1
    return j


def _titleish_piece(w: str) -> bool:
    s = w.strip()
    return (
        0 < len(s) <= 40
        and not re.search(r"[。,;:!?]", s)
        and not _is_date_line(s)
        and not _docnum_line(s)
        and not ORG_LINE.match(s.replace(" ", ""))
        and not s.startswith("附件")
        and not WRAPPER.search(s)
        and not re.fullmatch(r"\([^()]*\)", s)  # (此件公开发布): a remark closing the 通知 above
    )


def _about_piece(w: str) -> bool:
    """The first line of a plan's own title that opens with 关于 (关于贯彻《…》 / 推进…的实施方案):
    no wrapper (印发, 转发, 通知), just the start of the title."""
    s = w.strip()
    return (
        s.startswith("关于")
        and 4 < len(s) <= 40
        and not re.search(r"[。,;:!?]|印发|转发|通知|批复|函$", s)
        and not _is_date_line(s)
    )


def find_title(lines: list[AStr], body_start: int) -> tuple[str | None, int]:
    """The plan's own heading just above the body, joined when it is split over lines."""
    i = body_start - 1
    skipped = 0
    while i >= 0 and skipped < 14:
        w = lines[i].w.strip()
        if not w:
            i -= 1
            continue
        cleaned = WEB_MARK.sub("", w).strip()
        if len(cleaned) > 70 or cleaned.endswith(("。", ":")) or re.search(r"。", cleaned):
            i -= 1
            skipped += 1
            continue
        if re.fullmatch(r"\([^()]{2,20}\)", cleaned):
            j = _prev_nonblank(lines, i)
            if j >= 0 and PLAN_WORD.search(WEB_MARK.sub("", lines[j].w.strip())):
                pieces = [lines[j], lines[i]]
                return _join_title(lines, j, pieces), j
        if PLAN_WORD.search(cleaned) and not WRAPPER.search(cleaned) and len(cleaned) >= 4:
            return _join_title(lines, i, [lines[i]]), i
        return None, -1
    return None, -1


def _join_title(lines: list[AStr], first: int, pieces: list[AStr]) -> str:
    j = first
    for _ in range(2):
        k = _prev_nonblank(lines, j)
        if k < 0 or k < first - 4:
            break
        w = lines[k].w.strip()
        if not (_titleish_piece(w) or _about_piece(w)) or PLAN_WORD.search(w):
            break
        if any(w == p.w.strip() for p in pieces) or any(p.w.strip().startswith(w) for p in pieces):
            break
        if sum(len(p.w.strip()) for p in pieces) + len(w) > 80:
            break
        pieces.insert(0, lines[k])
        j = k
    return clean_title("".join(p.o.strip() for p in pieces))


def title_from_wrapper(lines: list[AStr], limit: int) -> tuple[str | None, int]:
    for i in range(min(limit, len(lines))):
        w = lines[i].w.strip()
        if "关于" not in w or "。" in w:
            continue  # a sentence citing 《…关于…的决定》 is prose, not the heading of a notice
        joined_w, joined_o = w, lines[i].o.strip()
        k = i
        for _ in range(2):
            if WRAPPER_TITLE.search(joined_w):
                break
            k2 = k + 1
            while k2 < len(lines) and not lines[k2].w.strip():
                k2 += 1
            if k2 >= len(lines) or k2 - k > 3:
                break
            joined_w += lines[k2].w.strip()
            joined_o += lines[k2].o.strip()
            k = k2
        m = WRAPPER_TITLE.search(joined_w)
        if m:
            named = _NAMED_IN_WRAPPER.search(joined_o)
            if named:  # …印发《关于…的工作意见》的通知, …转发区X局制订的《…方案》的通知
                return clean_title(named.group(1)), i
            if not m.group("v") and "《" not in joined_w[: m.end()]:
                # 国务院关于支持…若干措施的通知: the notice is the document itself and wraps no
                # other title; its heading is the title, whole
                return clean_title(joined_o[: m.end()]), i
            t = joined_o[m.start("t") : m.end("t")]  # the same span of the original text
            t = t.strip("《》“”")
            if "《" in t and "》" in t:
                t = t[t.index("《") + 1 : t.rindex("》")]
            return clean_title(t), i
    return None, -1


def find_doc_number(lines: list[AStr], body_start: int) -> str | None:
    best: tuple[int, int, str] | None = None  # (score, -line, text)
    for i, line in enumerate(lines):
        w = line.w
        if "号" not in w:
            continue
        for m in DOCNUM.finditer(w):
            before = w[: m.start()].rstrip()
            text = re.sub(r"\s+", "", line.o[m.start() : m.end()])
            text = re.sub(r"^(?:发布文号|发文字号|文件编号|发文号|文号)[:：]?", "", text)
            if _docnum_line(w):
                score = 3
            elif DOCNUM_LABEL.search(before):
                score = 2
            elif i < body_start and not before.endswith(("(", "》", "、", "和", "及")):
                score = 1
            else:
                continue
            if i >= body_start and score < 3:
                continue
            if i >= body_start and score == 3 and best is not None:
                continue
            key = (score, -i if i < body_start else -(10**9), text)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best else None


def find_issuer_and_date(lines: list[AStr], body_start: int) -> tuple[str | None, date | None]:
    n = len(lines)
    zones = list(range(0, min(body_start, n))) + list(range(max(body_start, n - 20), n))
    issuer: str | None = None
    issued: date | None = None
    date_lines = [i for i in zones if _is_date_line(lines[i].w)]
    for i in date_lines:
        j = _prev_nonblank(lines, i)
        if j >= 0 and j >= i - 4:
            cand = lines[j].w.strip().replace(" ", "")
            if ORG_LINE.match(cand):
                return _squash(lines[j].o), _date_of(lines[i].w)
    for i in zones:  # "东莞市人民政府办公室  2011年9月8日" on one line
        w = lines[i].w.strip()
        m = re.match(r"^(\S{2,30}?)\s{2,}(.+)$", w)
        if m and ORG_LINE.match(m.group(1)) and _is_date_line(m.group(2)):
            return _squash(lines[i].o.strip()[: m.end(1)]), _date_of(m.group(2))
    pre = [i for i in date_lines if i < body_start]
    post = [i for i in date_lines if i >= body_start]
    if pre:
        issued = _date_of(lines[pre[0]].w)
    elif post:
        issued = _date_of(lines[post[-1]].w)
    if issued is None:
        for i in range(min(body_start, n)):
            m = PASSED_DATE.match(lines[i].w.strip())
            if m:
                issued = _date_of(m.group(1))
                break
    if issued is None:
        best: tuple[int, date] | None = None
        order = {"成文日期": 0, "发文日期": 1, "印发日期": 2, "发布日期": 3}
        for i in range(min(body_start, n)):
            for m in META_DATE.finditer(lines[i].w):
                try:
                    d = date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
                except ValueError:
                    continue
                rank = order[m.group(1)]
                if best is None or rank < best[0]:
                    best = (rank, d)
        issued = best[1] if best else None
    # issuer: the 通知 heading "XX办公室 关于印发…", then metadata
    for i in range(min(body_start, n)):
        w = lines[i].w.strip()
        k = w.find("关于")
        if k >= 2:
            head = w[:k].strip().replace(" ", "")
            if ORG_LINE.match(head):
                issuer = _squash(lines[i].o.strip()[: len(lines[i].o.strip()[:k].rstrip())])
                break
    if issuer is None:
        for i in range(min(body_start, n)):
            m = META_ISSUER.search(lines[i].w)
            if m and ORG_LINE.match(m.group(1)):
                issuer = lines[i].o[m.start(1) : m.end(1)]
                break
    if issuer is None:
        for i in range(min(body_start, n)):
            w = lines[i].w.strip()
            if "关于" in w:
                j = _prev_nonblank(lines, i)
                if j >= 0 and ORG_LINE.match(lines[j].w.strip().replace(" ", "")):
                    issuer = _squash(lines[j].o)
                break
    return issuer, issued


def _five_year(m: re.Match[str]) -> tuple[int, int] | None:
    n = cn_to_int(m.group(1) or m.group(2) or "")
    if n is None or n < 6:
        return None
    start = 1981 + 5 * (n - 6)
    return start, start + 4


def period_from_text(text: str) -> tuple[int, int] | None:
    text = re.sub(r"《[^》]*》", "", text)
    m = _RANGE.search(text)
    if m:
        a = int(m.group(1))
        b_raw = m.group(2)
        b = int(b_raw) if len(b_raw) == 4 else (a // 100) * 100 + int(b_raw)
        if a <= b <= a + 30:
            return a, b
    m2 = _FIVE_YEAR.search(text)
    if m2:
        return _five_year(m2)
    return None


def period_from_title(title: str) -> tuple[int, int] | None:
    found = period_from_text(title)
    if found:
        return found
    m = YEAR_RE.search(title)
    if m:
        y = int(m.group(1))
        return y, y
    return None


def period_from_goals(goal_texts: list[str], issued: date | None) -> tuple[int, int] | None:
    for text in goal_texts:
        clean = re.sub(r"《[^》]*》|\([^()]*\)", "", text)
        m = _FIVE_YEAR.search(clean)
        if m:
            return _five_year(m)
        m2 = _RANGE.search(clean)
        if m2 and len(m2.group(2)) == 4 and int(m2.group(1)) < int(m2.group(2)) <= int(m2.group(1)) + 15:
            return int(m2.group(1)), int(m2.group(2))
    if issued is not None:
        for text in goal_texts:
            m3 = TO_YEAR_RE.search(text)
            if m3 and issued.year <= int(m3.group(1)) <= issued.year + 15:
                return issued.year, int(m3.group(1))
    return None
