"""Sections and tasks: numbering, headings, enumerations and attributed paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .departments import COOP, RESP, REST_COOP, Attribution, Roles, find_attribution
from .text import AStr, cn_to_int

CN = "一二三四五六七八九十"
L1_RE = re.compile(rf"^\s*([{CN}]{{1,3}})\s*[、.](?!\d)[\s、.]*")
L2_RE = re.compile(rf"^\s*\(\s*([{CN}]{{1,3}})\s*\)[\s、.]*")
L2_NOOPEN_RE = re.compile(rf"^\s*([{CN}]{{1,3}})\s*\)\s*")
TASK_A_RE = re.compile(r"^\s*(\d{1,3})\s*[.、](?!、)\s*")
TASK_B_RE = re.compile(r"^\s*(?:\(?\s*(\d{1,2})\s*\)|([\u2474-\u2487]))\s*")
TASK_C_RE = re.compile(r"^\s*([\u2460-\u2473])\s*")
MID_RE = re.compile(rf"(?<=[。;)\]!?:\s”])\s*([{CN}]{{1,3}}、|\([{CN}]{{1,3}}\)|\d{{1,3}}[.、])")
MID_NOPUNCT_RE = re.compile(rf"(\([{CN}]{{1,3}}\)|(?<![\d.])\d{{1,3}}[.、](?!\d))")
_BOX_RE = re.compile(r"^\s*专栏\s*[\d一二三四五六七八九十]{0,3}(?:\s|:|$)")
ENUM_RE = re.compile(rf"(?:^|(?<=[。;:!?\n,\s]))([{CN}]{{1,2}})(是|要)")

# Section titles that never hold tasks (DESIGN §3).
NON_TASK_L1 = re.compile(
    r"指导思想|总体思路|基本原则|工作原则|主要原则|原则|工作目标|总体目标|具体目标|发展目标|主要目标|目标要求|"
    r"总体要求|保障措施|组织保障|工作保障|保障机制|实施保障|工作步骤|实施步骤|步骤安排|进度安排|时间安排|"
    r"实施安排|阶段安排|组织领导|工作要求|组织实施|有关要求|其他事项|附则|背景|现状|发展基础|形势|"
    r"职责分工|工作职责|部门职责|职责"
)
NON_TASK_L2 = re.compile(
    r"指导思想|总体思路|基本原则|工作原则|原则$|工作目标|总体目标|具体目标|发展目标|主要目标|目标要求|"
    r"保障措施|组织保障|工作步骤|实施步骤|进度安排|时间安排|阶段$|阶段[(:（：]|步骤$"
)
TASKISH = re.compile(r"任务|重点|举措|主要工作|工作内容|行动")
PHASE_SECTION = re.compile(r"步骤|阶段|进度安排|时间安排|实施安排|时间节点|进度")
GOAL_SECTION = re.compile(r"目标")


@dataclass(slots=True)
class Para:
    line: int
    text: AStr
    box: bool = False  # inside a 专栏 box: illustration, neither task text nor targets


@dataclass(slots=True)
class Item:
    family: str
    num: int
    line: int
    paras: list[Para] = field(default_factory=list)
    gap: bool = False  # the number before this one is missing


@dataclass(slots=True)
class Sec:
    level: int
    num: int
    label: str
    line: int
    head: AStr
    parent: Sec | None = None
    children: list[Sec] = field(default_factory=list)
    blocks: list[Item | Para] = field(default_factory=list)
    family: str | None = None
    last_num: int = 0
    title: str = ""
    title_len: int = 0  # characters of ``head`` used by the title (incl. its 。)
    path: str = ""
    is_task: bool = True
    kind: str = "work"  # work / other / phase / goal


@dataclass(slots=True)
class Note:
    line: int
    code: str
    params: dict[str, str]


@dataclass(slots=True)
class RawTask:
    path: str
    section: Sec
    number: int
    line: int
    text: AStr
    title_text: AStr
    attribution: Attribution | None
    gap: bool = False  # the number before this one is missing


class Builder:
    """Reads lines into a tree of sections holding numbered items and paragraphs."""

    def __init__(self) -> None:
        self.root = Sec(level=0, num=0, label="", line=0, head=AStr("", ""))
        self.l1: Sec | None = None
        self.l2: Sec | None = None
        self.item: Item | None = None
        self.global_last = 0
        self.notes: list[Note] = []
        self.skipped: list[tuple[int, str]] = []  # numbered lines not taken as items
        self.in_box = False

    # -- state helpers -------------------------------------------------
    @property
    def container(self) -> Sec:
        return self.l2 or self.l1 or self.root

    def expected_l1(self) -> int:
        return (self.l1.num + 1) if self.l1 else 1

    def expected_l2(self) -> int:
        if self.l2 is not None and (self.l1 is None or self.l2.parent is self.l1):
            return self.l2.num + 1
        return 1

    def expected_tasks(self) -> set[int]:
        c = self.container
        if c.last_num:
            return {c.last_num + 1}
        return {1, self.global_last + 1}

    # -- markers -------------------------------------------------------
    def _open_section(self, level: int, num: int, label: str, line: int, head: AStr) -> Sec:
        if level == 1:
            sec = Sec(level=1, num=num, label=label, line=line, head=head, parent=self.root)
            self.root.children.append(sec)
            self.l1, self.l2 = sec, None
        else:
            parent = self.l1 or self.root
            sec = Sec(level=2, num=num, label=label, line=line, head=head, parent=parent)
            parent.children.append(sec)
            self.l2 = sec
        self.item = None
        self.in_box = False
        return sec

    def classify(self, w: str, line_start: bool) -> tuple[str, int, int, str] | None:
        """(kind, number, marker_end, label/family) for a marker at the start of ``w``."""
        m = L1_RE.match(w)
        if m:
            n = cn_to_int(m.group(1))
            if n is not None and (line_start or n == self.expected_l1()):
                return ("L1", n, m.end(), m.group(1))
        m = L2_RE.match(w)
        if m:
            n = cn_to_int(m.group(1))
            if n is not None and (line_start or n == self.expected_l2()):
                return ("L2", n, m.end(), m.group(1))
        if line_start:
            m = L2_NOOPEN_RE.match(w)
            if m:
                n = cn_to_int(m.group(1))
                if n is not None:
                    return ("L2!", n, m.end(), m.group(1))
        m = TASK_A_RE.match(w)
        if m and not _DECIMAL_LINE.match(w):
            return ("T", int(m.group(1)), m.end(), "A")
        if line_start:
            m = TASK_B_RE.match(w)
            if m:
                n = int(m.group(1)) if m.group(1) else ord(m.group(2)) - 0x2473
                return ("T", n, m.end(), "B")
            m = TASK_C_RE.match(w)
            if m:
                return ("T", ord(m.group(1)) - 0x245F, m.end(), "C")
        return None

    def _accept_task(self, num: int, family: str, line_start: bool, digit_follows: bool) -> bool:
        c = self.container
        if c.family is not None and c.family != family:
            return False
        if digit_follows or not line_start:
            return num in self.expected_tasks()
        if c.last_num == 0:
            return True
        return num > c.last_num

    def _next_split(self, w: str, start: int, in_heading: bool) -> int:
        """Where a mid-line marker the numbering expects begins, or -1."""
        found = -1
        for m in MID_RE.finditer(w, start):
            pos = m.start(1)
            if pos <= start:
                continue
            if self._valid_mid(w, pos):
                found = pos
                break
        if in_heading:
            # one-line text: a heading's title runs straight into the next marker
            seg = w[start:]
            for m in MID_NOPUNCT_RE.finditer(seg):
                if "。" in seg[: m.start()] or m.start() > 40:
                    break
                pos = start + m.start()
                if found >= 0 and pos >= found:
                    break
                excluded = "第见附按照依据款项条(" if w[pos] == "(" else "第"
                if pos > start and w[pos - 1] not in excluded and self._valid_mid(w, pos):
                    return pos
        return found

    def _valid_mid(self, w: str, pos: int) -> bool:
        tail = w[pos:]
        m = L1_RE.match(tail)
        if m and tail[0] in CN:
            return cn_to_int(m.group(1)) == self.expected_l1()
        m = L2_RE.match(tail)
        if m:
            return cn_to_int(m.group(1)) == self.expected_l2()
        m = TASK_A_RE.match(tail)
        if m:
            num = int(m.group(1))
            digit_follows = m.end() < len(tail) and tail[m.end()].isdigit()
            if digit_follows and self.container.last_num == 0:
                return False
            if self.container.family not in (None, "A"):
                return False
            return num in self.expected_tasks()
        return False

    def feed_line(self, line_no: int, line: AStr) -> None:
        w = line.w
        pos = 0
        first = True
        while pos < len(w):
            while pos < len(w) and w[pos].isspace():
                pos += 1
            if pos >= len(w):
                break
            seg_w = w[pos:]
            marker = self.classify(seg_w, first)
            body_start = pos
            heading: Sec | None = None
            item: Item | None = None
            if marker is not None:
                kind, num, end, tag = marker
                if kind == "T":
                    digit_follows = end < len(seg_w) and seg_w[end].isdigit()
                    if self._accept_task(num, tag, first, digit_follows):
                        item = self._start_item(num, tag, line_no)
                        body_start = pos + end
                    elif first and not digit_follows and self.container.family in (None, tag):
                        self.skipped.append((line_no, line.o[pos : pos + 40].strip()))
                else:
                    heading = self._heading(kind, num, tag, line_no)
                    body_start = pos + end
            nxt = self._next_split(w, body_start, heading is not None)
            stop = nxt if nxt >= 0 else len(w)
            text = line[body_start:stop].strip()
            if heading is not None:
                heading.head = text
            elif item is not None:
                if text.w:
                    item.paras.append(Para(line_no, text))
            else:
                self._add_text(line_no, text)
            pos = stop
            first = False

    def _heading(self, kind: str, num: int, tag: str, line_no: int) -> Sec:
        level = 1 if kind == "L1" else 2
        if kind == "L2!":
            self.notes.append(Note(line_no, "heading_missing_paren", {"label": tag}))
        expected = self.expected_l1() if level == 1 else self.expected_l2()
        if num != expected:
            self.notes.append(Note(line_no, "numbering_jump", {"expected": str(expected), "found": str(num)}))
        label = tag if level == 1 else f"({tag})"
        return self._open_section(level, num, label, line_no, AStr("", ""))

    def _start_item(self, num: int, family: str, line_no: int) -> Item:
        c = self.container
        if c.last_num and num > c.last_num + 1:
            self.notes.append(
                Note(line_no, "numbering_jump", {"expected": str(c.last_num + 1), "found": str(num)})
            )
        # numbering restarts at 1 or runs on from the previous subsection; anything else skips one
        gap = num > c.last_num + 1 if c.last_num else (num > 1 and num != self.global_last + 1)
        c.family = family
        c.last_num = num
        if family == "A":
            self.global_last = num
        self.in_box = False
        item = Item(family=family, num=num, line=line_no, gap=gap)
        c.blocks.append(item)
        self.item = item
        return item

    def _add_text(self, line_no: int, text: AStr) -> None:
        if not text.w:
            return
        if _BOX_RE.match(text.w):
            # a 专栏 box between tasks: it ends the task before it and runs to the next marker
            self.item = None
            self.in_box = True
        if self.in_box:
            self.container.blocks.append(Para(line_no, text, box=True))
            return
        if self.item is not None:
            self.item.paras.append(Para(line_no, text))
            return
        c = self.container
        if c.level > 0 and not c.head.w and not c.blocks and len(text.w) <= 40 and "。" not in text.w:
            c.head = text  # "(一)" alone on its line, title on the next
            return
        c.blocks.append(Para(line_no, text))


# ---------------------------------------------------------------------------------------------


def _depth0_find(w: str, char: str, start: int = 0) -> int:
    depth = 0
    for i in range(start, len(w)):
        ch = w[i]
        if ch in "(《[〔【“":
            depth += 1
        elif ch in ")》]〕】”":
            depth = max(0, depth - 1)
        elif ch == char and depth == 0:
            return i
    return -1


_SCORE_PAREN = re.compile(r"\(\s*\d+(?:\.\d+)?\s*分\s*\)\s*$")  # an assessment weight such as (3分)
_DATE_PAREN = re.compile(r"\([^()]*\d{4}[^()]*\)\s*$|\([^()]*[年月][^()]*\)\s*$")
_KEYWORD_HEAD = re.compile(
    r"^(指导思想|总体要求|基本原则|工作原则|工作目标|总体目标|具体目标|保障措施|组织保障|主要任务|重点任务|工作步骤|实施步骤)"
)


def section_title(head: AStr) -> tuple[str, int]:
    """Title of a heading and how many characters of ``head`` it takes."""
    w = head.w
    end = _depth0_find(w, "。")
    used = end + 1 if end >= 0 else len(w)
    title = head[: end if end >= 0 else len(w)]
    colon = _depth0_find(title.w, ":")
    # 指导思想:以…为指导 gives 指导思想; a short heading line keeps its words after the colon
    # (第一阶段:集中攻坚)
    whole_line = end < 0 and "\n" not in title.w and len(title.w) - colon <= 12
    if 0 < colon <= 30 and colon < len(title.w) - 1 and not whole_line:
        title = title[:colon]
        used = colon + 1
    m = _KEYWORD_HEAD.match(title.w)
    if m and len(title.w) > m.end() + 10 and True:
        title = title[: m.end()]
        used = m.end()
    attr = find_attribution(title)
    if attr is not None and attr.start > 0:
        title = title[: attr.start]
    title = title.strip(" :;,.、")
    for rx in (_SCORE_PAREN, _DATE_PAREN):
        m2 = rx.search(title.w)
        if m2 and m2.start() > 0:
            title = title[: m2.start()].strip(" :;,、")
    return title.o.strip(), used


def _first_sentence(text: AStr, attr_start: int | None) -> str:
    end = _depth0_find(text.w, "。")
    cut = len(text.w) if end < 0 else end
    if attr_start is not None and attr_start < cut:
        cut = attr_start
    nl = text.w.find("\n")
    if 0 <= nl < cut:
        cut = nl
    title = text[:cut].strip(" \n:;,.、")
    m = _DATE_PAREN.search(title.w)
    if m and m.start() > 0:
        title = title[: m.start()].strip(" :;,、")  # 加强专利创造(2024年12月底前完成)
    return title.o.strip()


def classify_sections(root: Sec) -> None:
    for sec in root.children:
        sec.path = sec.label
        sec.title, sec.title_len = section_title(sec.head)
        sec.is_task = not (
            NON_TASK_L1.search(sec.title) and len(sec.title) <= 14 and not TASKISH.search(sec.title)
        )
        sec.kind = _kind(sec.title, sec.is_task)
        for sub in sec.children:
            sub.path = f"{sec.path}.{sub.label}"
            sub.title, sub.title_len = section_title(sub.head)
            sub.is_task = sec.is_task and not (NON_TASK_L2.search(sub.title) and len(sub.title) <= 16)
            sub.kind = sec.kind if sec.kind in ("phase", "goal") else _kind(sub.title, sub.is_task)
    root.is_task = not root.children
    root.path = ""


TASK_CHAPTER = re.compile(
    r"^(?:(?:主要|重点|具体|工作|实施|推进)?(?:任务|举措|措施|路径|行动|工程)|(?:主要|重点|具体)工作)"
)


def _is_task_chapter(title: str) -> bool:
    """A chapter title that names the plan's tasks themselves (重点任务, 工作措施, 实施路径)."""
    return len(title) <= 8 and TASK_CHAPTER.search(title) is not None


def _kind(title: str, is_task: bool) -> str:
    if PHASE_SECTION.search(title) and not is_task:
        return "phase"
    if PHASE_SECTION.search(title) and re.search(r"阶段", title):
        return "phase"
    if GOAL_SECTION.search(title) and not is_task:
        return "goal"
    return "work" if is_task else "other"


_REST_COOP_RULE = re.compile(
    r"为牵头(?:单位|部门)\s*[,;]?\s*(?:其他|其余|其它|其后|后列)\S{0,6}?为(?:配合|协同|协办|参与)(?:单位|部门)"
)


def after_lead_default(work_text: str) -> str:
    """The role of names listed after the lead: responsible unless the document says otherwise."""
    if _REST_COOP_RULE.search(work_text):
        return REST_COOP
    if re.search(r"牵头\s*[,;][^()\n]{0,160}?配合\s*\)", work_text):
        return COOP
    return RESP


def _attribution_in(paras: list[Para], after_lead: str) -> tuple[Attribution | None, AStr]:
    """Attribution at the end of the joined paragraphs, or at the end of an earlier one."""
    joined = AStr.join("\n", [p.text for p in paras])
    attr = find_attribution(joined, after_lead)
    if attr is not None or len(paras) < 2:
        return attr, joined
    tries = list(range(len(paras) - 1, max(0, len(paras) - 6), -1))
    # a table or figure inside the item (表2 …, then its cells): the item's text ends before it
    tries += [k for k in range(1, len(paras)) if _CAPTION.match(paras[k].text.w)][:1]
    for k in tries:
        part = AStr.join("\n", [p.text for p in paras[:k]])
        attr = find_attribution(part, after_lead)
        if attr is not None:
            return attr, joined
    return None, joined


_DECIMAL_LINE = re.compile(r"^\s*\d{1,3}\.\d+\s*(?:%|％)?\s*$")  # a table's figure (4.42), no task
_CAPTION = re.compile(r"^\s*[表图]\s*\d{1,2}\s*\S")


def _section_texts(sec: Sec) -> list[Para]:
    texts: list[Para] = []
    body = sec.head[sec.title_len :].strip() if sec.head else AStr("", "")
    if body.w:
        texts.append(Para(sec.line, body))
    texts.extend(b for b in sec.blocks if isinstance(b, Para) and not b.box)
    return texts


def _enumerations(paras: list[Para]) -> list[tuple[int, AStr]]:
    """一是/二是 (or 一要/二要) items across the paragraphs, as (line, text after the enumerator)."""
    if not paras:
        return []
    joined = AStr.join("\n", [p.text for p in paras])
    line_at: list[tuple[int, int]] = []
    offset = 0
    for p in paras:
        line_at.append((offset, p.line))
        offset += len(p.text.w) + 1
    starts: list[tuple[int, int]] = []  # (start of enumerator, start of text)
    expected, verb = 1, ""
    for m in ENUM_RE.finditer(joined.w):
        n = cn_to_int(m.group(1))
        if n is None:
            continue
        if n == expected and (not verb or m.group(2) == verb):
            verb = m.group(2)
            starts.append((m.start(), m.end()))
            expected += 1
    if len(starts) < 2:
        return []
    items: list[tuple[int, AStr]] = []
    for k, (s, e) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(joined.w)
        line = next(ln for off, ln in reversed(line_at) if off <= s)
        items.append((line, joined[e:end].strip(" \n")))
    return items


_SUB_RE = re.compile(r"^\s*\(\s*(\d{1,2})\s*\)\s*")


def _sub_items(items: list[Item], after_lead: str) -> dict[int, list[tuple[int, int, list[Para]]]]:
    """(1)(2) lines under numbered items "2.推进建设。" that name nobody: the fourth level of tasks.

    Keyed by ``id(item)``; each entry is (number, line, paragraphs without the marker). The numbers
    must run on across the items (or restart at 1 under each); otherwise nothing is split.
    """
    found: dict[int, list[tuple[int, int, list[Para]]]] = {}
    last = 0
    for it in items:
        if it.family != "A" or len(it.paras) < 2:
            continue
        cuts = [(i, m) for i, p in enumerate(it.paras) if i > 0 and (m := _SUB_RE.match(p.text.w))]
        if not cuts:
            continue
        lead_in = it.paras[: cuts[0][0]]
        lead_attr = find_attribution(AStr.join("\n", [p.text for p in lead_in]), after_lead)
        if lead_attr is not None and not lead_attr.roles.empty():
            return {}  # the item names its own departments: (1)(2) are parts of one task
        subs: list[tuple[int, int, list[Para]]] = []
        for n, (i, m) in enumerate(cuts):
            k = int(m.group(1))
            if k not in (last + 1, 1) or (k == 1 and n > 0):
                return {}
            last = k
            end = cuts[n + 1][0] if n + 1 < len(cuts) else len(it.paras)
            first = it.paras[i]
            paras = [Para(first.line, first.text[m.end() :]), *it.paras[i + 1 : end]]
            subs.append((k, first.line, paras))
        has_attr = [
            find_attribution(AStr.join("\n", [p.text for p in ps]), after_lead) is not None
            for _, _, ps in subs
        ]
        if len(subs) >= 2 and has_attr[-1] and not any(has_attr[:-1]):
            continue  # one attribution closing the last part covers the whole item: one task
        found[id(it)] = subs
    if sum(len(v) for v in found.values()) < 2:
        return {}
    return found


# a run-in heading whose sentence defines what it names rather than asking for work
_DEFINES = re.compile(r"^(?:主要)?(?:反映|体现|衡量|是指|系指|指的是)")


def collect_tasks(root: Sec, after_lead: str) -> tuple[list[RawTask], list[Note]]:
    tasks: list[RawTask] = []
    notes: list[Note] = []

    def from_container(sec: Sec, allow_section_task: bool) -> list[RawTask]:
        out: list[RawTask] = []
        items = [b for b in sec.blocks if isinstance(b, Item)]
        prefix = f"{sec.path}." if sec.path else ""
        if items:
            # "(一)提升创造质量(牵头单位:X)" over numbered items: X for every item naming nobody
            head_attr = find_attribution(sec.head, after_lead) if sec.head else None
            if head_attr is None:  # or on label lines between the heading and the first item
                lead_in: list[Para] = []
                for b in sec.blocks:
                    if isinstance(b, Item):
                        break
                    if not b.box:
                        lead_in.append(b)
                if lead_in:
                    head_attr = find_attribution(AStr.join("\n", [p.text for p in lead_in]), after_lead)
            if head_attr is not None and head_attr.roles.empty():
                head_attr = None
            subs = _sub_items(items, after_lead)
            for it in items:
                if not it.paras:
                    continue
                if id(it) in subs:
                    for k, line, sub_paras in subs[id(it)]:
                        attr, text = _attribution_in(sub_paras, after_lead)
                        if attr is None and head_attr is not None:
                            attr = Attribution(len(text.w), head_attr.roles)
                        path = f"{prefix}{it.num}.({k})"
                        out.append(RawTask(path, sec, k, line, text, text, attr))
                    continue
                attr, text = _attribution_in(it.paras, after_lead)
                if head_attr is not None and (attr is None or attr.roles.empty()):
                    inherited = Roles(
                        lead=list(head_attr.roles.lead),
                        responsible=list(head_attr.roles.responsible),
                        cooperating=list(head_attr.roles.cooperating),
                        deadline=attr.roles.deadline if attr is not None else head_attr.roles.deadline,
                        lead_inferred=head_attr.roles.lead_inferred,
                    )
                    attr = Attribution(attr.start if attr is not None else len(text.w), inherited)
                out.append(RawTask(f"{prefix}{it.num}", sec, it.num, it.line, text, text, attr, it.gap))
            return out
        if sec.children:
            return out
        paras = _section_texts(sec)
        enum = _enumerations(paras)
        attributed = [(p, a) for p in paras if (a := find_attribution(p.text, after_lead)) is not None]
        if len(enum) >= 2:
            enum_attrs = [find_attribution(t, after_lead) for _, t in enum]
            with_own = sum(a is not None for a in enum_attrs)
            if len(attributed) <= 1 or with_own >= 2:
                shared = enum_attrs[-1] if with_own == 1 and enum_attrs[-1] is not None else None
                for k, ((line, text), a) in enumerate(zip(enum, enum_attrs, strict=True), start=1):
                    use = a
                    if shared is not None and a is None:
                        use = Attribution(len(text.w), shared.roles)
                    out.append(RawTask(f"{prefix}{k}", sec, k, line, text, text, use))
                return out
        if attributed:
            body_is_head = bool(paras) and paras[0].line == sec.line and sec.level > 0
            if len(attributed) == 1 and body_is_head and attributed[0][0] is paras[0] and sec.level > 0:
                p, a = attributed[0]
                out.append(RawTask(sec.path, sec, sec.num, sec.line, sec.head, sec.head[: sec.title_len], a))
                return out
            if len(attributed) == 1 and sec.level == 2 and attributed[0][0] is paras[-1]:
                # "(一)标题" alone on its line (or run in with the start of its body: a PDF's lines
                # joined into paragraphs break after a sentence), then its body and one attribution
                # closing the last paragraph: the heading is the task (its paragraphs are not
                # tasks of their own)
                p, a = attributed[0]
                rest = paras[1:] if body_is_head else paras
                text = AStr.join("\n", [sec.head, *[q.text for q in rest]])
                shift = len(text.w) - len(p.text.w)
                out.append(
                    RawTask(
                        sec.path,
                        sec,
                        sec.num,
                        sec.line,
                        text,
                        sec.head[: sec.title_len],
                        Attribution(a.start + shift, a.roles),
                    )
                )
                return out
            for k, (p, a) in enumerate(attributed, start=1):
                out.append(RawTask(f"{prefix}{k}", sec, k, p.line, p.text, p.text, a))
            return out
        if allow_section_task and sec.level > 0 and (paras or sec.head):
            a2 = find_attribution(sec.head, after_lead) if sec.head else None
            if a2 is None and _DEFINES.match(sec.head.w[sec.title_len :].lstrip("。.:：, ")):
                return out  # "(一)生态宜居。反映城市的…情况": a dimension defined, no work
            out.append(RawTask(sec.path, sec, sec.num, sec.line, sec.head, sec.head[: sec.title_len], a2))
        return out

    def walk(allow_section_task: bool) -> list[RawTask]:
        found: list[RawTask] = []
        if root.is_task or (any(isinstance(b, Item) for b in root.blocks) and not root.children):
            found.extend(from_container(root, False))
        # A chapter named for the tasks (二、重点任务, 四、工作措施, 二、实施路径) is where the tasks
        # are: its bare (一)(二) subsections are tasks, and the other chapters (园区类型, 职责分工,
        # 项目实施条件, 管控流程 …) hold tasks only where an item names its own departments.
        chapters = [s for s in root.children if s.is_task and _is_task_chapter(s.title)]
        for sec in root.children:
            own = sec.is_task and (not chapters or sec in chapters)
            allow_sub = allow_section_task or sec in chapters
            found.extend(from_container(sec, allow_section_task) if own else attributed_only(sec))
            for sub in sec.children:
                found.extend(from_container(sub, allow_sub) if own and sub.is_task else attributed_only(sub))
        return found

    def attributed_only(sec: Sec) -> list[RawTask]:
        # under 保障措施/工作目标/工作步骤 … an item is a task only when it names its own departments
        return [
            t
            for t in from_container(sec, True)
            if t.attribution is not None and not t.attribution.roles.empty()
        ]

    tasks = walk(False)
    if not tasks:
        tasks = walk(True)
        if tasks:
            notes.append(Note(tasks[0].line, "sections_as_tasks", {}))
    elif all(t.path == t.section.path and t.attribution is None for t in tasks):
        # only the bare subsections of the task chapter: worth telling the bureau, as above
        notes.append(Note(tasks[0].line, "sections_as_tasks", {}))
    # unique paths
    seen: dict[str, int] = {}
    for t in tasks:
        if t.path in seen:
            seen[t.path] += 1
            notes.append(Note(t.line, "duplicate_task", {"path": t.path}))
            t.path = f"{t.path}#{seen[t.path]}"
        else:
            seen[t.path] = 1
    return tasks, notes


def task_title(raw: RawTask) -> str:
    attr_start = raw.attribution.start if raw.attribution is not None else None
    if raw.title_text is not raw.text:
        title, _ = section_title(raw.title_text)
        return title
    return _first_sentence(raw.text, attr_start)
