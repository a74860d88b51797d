"""parse_text: text in, ParsedPlan out."""

from __future__ import annotations

import difflib
import itertools
import re
from datetime import date

from . import dates
from . import meta as meta_mod
from .departments import Attribution, find_attribution, looks_like_department, parse_roles
from .errors import ParseError
from .indicators import Chunk, context_year, find_indicators
from .model import (
    DEADLINE_UNCLEAR,
    FLAG_CODES,
    MERGED_ATTRIBUTIONS,
    NO_DEPARTMENT,
    NO_LEAD_MARKER,
    NUMBERING_GAP,
    ParsedIndicator,
    ParsedPhase,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    ParseWarning,
)
from .phases import parse_range, phase_from
from .structure import (
    L1_RE,
    L2_RE,
    TASK_A_RE,
    Builder,
    Item,
    Note,
    Para,
    RawTask,
    Sec,
    after_lead_default,
    classify_sections,
    collect_tasks,
    section_title,
    task_title,
)
from .tables import unflatten_text_tables
from .text import CJK_RE, AStr, clean_text, has_traditional, is_noise_line, work_copy

WARNINGS: dict[str, tuple[str, str]] = {
    "numbering_jump": (
        "编号不连续:应为 {expected},实为 {found}。",
        "Numbering jumps: expected {expected}, found {found}.",
    ),
    "heading_missing_paren": (
        "标题“{label})”缺少左括号,已按“({label})”处理。",
        "Heading '{label})' lacks its opening parenthesis; read as '({label})'.",
    ),
    "unclosed_bracket": (
        "任务 {path} 的责任单位括号未闭合,请核对。",
        "The department bracket of task {path} is not closed; please check.",
    ),
    "role_guessed": (
        "任务 {path} 中有单位未标明角色,已按本文档惯例归为“{role}”。",
        "A department of task {path} has no role word; assigned '{role}' as elsewhere in the document.",
    ),
    "attribution_without_departments": (
        "任务 {path} 标注了责任单位,但未能读出单位名称。",
        "Task {path} has an attribution label but no department names were read.",
    ),
    "no_departments": ("任务 {path} 没有标注责任单位。", "Task {path} names no department."),
    "duplicate_task": ("任务编号 {path} 重复出现。", "Task number {path} occurs twice."),
    "sections_as_tasks": (
        "未找到编号任务,已将各工作小节作为任务导入。",
        "No numbered tasks were found; the work subsections were imported as tasks.",
    ),
    "date_typo": (
        "阶段“{name}”的日期写法有误({text}),已按 {start}—{end} 理解。",
        "The dates of phase '{name}' are mistyped ({text}); read as {start} to {end}.",
    ),
    "unknown_department": (
        "任务 {path} 的单位“{name}”不像单位名称,请核对。",
        "Task {path}: '{name}' does not look like a department name; please check.",
    ),
    "skipped_candidate": (
        "第{at}行看起来像一项任务，但未作为任务导入，请核对：{text}",
        "Line {at} looks like a task but was not taken; please check: {text}",
    ),
    "traditional": (
        "文档为繁体中文,已转换为简体进行识别,保留原文字。",
        "The document is in traditional characters; recognised via a simplified copy, original text kept.",
    ),
}
_ROLE_ZH = {"cooperating": "配合单位", "responsible": "责任单位"}


def _warn(line: int, code: str, **params: str) -> ParseWarning:
    zh, en = WARNINGS.get(code, (code, code))
    return ParseWarning(line=line, code=code, message_zh=zh.format(**params), message_en=en.format(**params))


_ONE_LINE_SPLIT = re.compile(
    r"(?<=[。;)\]])\s*(?=[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)|\d{1,3}[.、](?!\d))"
)


def _split_long_lines(orig: str, work: str) -> tuple[str, str]:
    """Documents pasted without line breaks: break before headings and numbered items."""
    lines = work.split("\n")
    if sum(1 for ln in lines if ln.strip()) > 5 or max((len(ln) for ln in lines), default=0) < 150:
        return orig, work
    cuts = [m.start() for m in _ONE_LINE_SPLIT.finditer(work)]
    if not cuts:
        return orig, work
    o_parts, w_parts, last = [], [], 0
    for c in cuts:
        o_parts.append(orig[last:c])
        w_parts.append(work[last:c])
        last = c
    o_parts.append(orig[last:])
    w_parts.append(work[last:])
    return "\n".join(o_parts), "\n".join(w_parts)


def _body_start(lines: list[AStr]) -> int:
    for rx in (L1_RE, L2_RE):
        first_any = -1
        for i, line in enumerate(lines):
            m = rx.match(line.w)
            if m and m.group(1) == "一":
                return i
            if m and first_any < 0:
                first_any = i
        if first_any >= 0 and rx is L1_RE:
            return first_any
    for i, line in enumerate(lines):
        m = TASK_A_RE.match(line.w)
        if m and m.group(1) == "1":
            return i
    return 0


_ATTACH = re.compile(
    r"^\s*附[件表]\s*\d*\s*[:：]?\s*$|^\s*附[件表]\s*\d*\s*[:：]\s*\S{0,40}$"
    r"|^\s*附[件表]\s*\d{1,2}\s+[^\s，。；：:,;]{2,40}$"  # 附表1 任务分工表
    # an attached table printed without its 附件 label, known by its own title
    r"|^\s*[^\s，。；：:,;]{2,40}(?:任务|责任|工作)(?:分解|分工)(?:表|清单)\s*$"
)


def _body_end(lines: list[AStr], start: int) -> int:
    seen_heading = False
    for i in range(start, len(lines)):
        w = lines[i].w
        if L1_RE.match(w):
            seen_heading = True
        if seen_heading and _ATTACH.match(w):
            return i
    return len(lines)


def _attributed(raw_tasks: list[RawTask]) -> int:
    return sum(1 for r in raw_tasks if r.attribution is not None and not r.attribution.roles.empty())


def _body_holds_no_tasks(raw_tasks: list[RawTask], notes: list[Note]) -> bool:
    """No numbered task in the body: nothing at all, or only its sections taken as tasks."""
    return not raw_tasks or any(n.code == "sections_as_tasks" for n in notes)


_ATTACHMENT_HEAD = re.compile(r"^\s*附\s*[件表]\s*\d{0,2}\s*[:：]?\s*(?:\S.{0,80})?$")


def _attachment_tasks(lines: list[AStr], end: int, after_lead: str) -> list[RawTask]:
    """Attributed tasks of each attachment after the body, each attachment parsed on its own."""
    cuts = [i for i in range(end, len(lines)) if _ATTACHMENT_HEAD.match(lines[i].w)] + [len(lines)]
    found: list[RawTask] = []
    for a, b in itertools.pairwise(cuts):
        if b - a < 2:
            continue
        root, _ = _build(lines, a, b)
        raw, _ = collect_tasks(root, after_lead)
        found.extend(r for r in raw if r.attribution is not None and not r.attribution.roles.empty())
    return found


_TITLE_NOISE = re.compile(r"[\s。.,;:、!?“”\"'()《》]")


def _title_key(text: str) -> str:
    return _TITLE_NOISE.sub("", text)


def _title_match(a: str, b: str) -> float:
    """How surely a table row's 工作事项 and a body task's title name the same work (0 to 1)."""
    ka, kb = _title_key(a), _title_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    if len(ka) < 4 or len(kb) < 4:
        return 0.0
    if ka in kb or kb in ka:
        return 0.9
    matcher = difflib.SequenceMatcher(None, ka[:60], kb[:60], autojunk=False)
    if matcher.real_quick_ratio() < 0.8 or matcher.quick_ratio() < 0.8:
        return 0.0  # cheap upper bounds first: most pairs are far apart
    return matcher.ratio()


def _departments_from_attachments(
    raw_tasks: list[RawTask], root: Sec, lines: list[AStr], end: int, after_lead: str, notes: list[Note]
) -> list[RawTask] | None:
    """Departments of an attached 任务分工表 given to the body's tasks, row by task title.

    Rows whose title is a run-in heading of the body (三、组织实施 (一)加强组织领导。…) make that
    heading a task. The body's paths are kept. None unless most rows find their task.
    """
    rows = _attachment_tasks(lines, end, after_lead)
    if not rows:
        return None
    candidates: list[RawTask] = list(raw_tasks)
    taken_sections = {t.section.path for t in raw_tasks}
    for sec in _sections_of(root):
        if sec.path in taken_sections or sec.children or not sec.title:
            continue
        if any(isinstance(b, Item) for b in sec.blocks):
            continue
        head = sec.head
        candidates.append(RawTask(sec.path, sec, sec.num, sec.line, head, head[: sec.title_len], None))
    matched: dict[int, RawTask] = {}
    used: set[int] = set()
    unmatched: list[RawTask] = []
    titles = [task_title(c) for c in candidates]
    for row in rows:
        row_title = task_title(row)
        scores = [(_title_match(row_title, t), k) for k, t in enumerate(titles) if k not in used]
        best = max(scores, key=lambda sk: (sk[0], -sk[1]), default=(0.0, -1))
        if best[0] >= 0.8:
            k = best[1]
            cand = candidates[k]
            if row.attribution is not None:
                matched[k] = RawTask(
                    cand.path,
                    cand.section,
                    cand.number,
                    cand.line,
                    cand.text,
                    cand.title_text,
                    Attribution(len(cand.text.w), row.attribution.roles),
                    cand.gap,
                )
                used.add(k)
                continue
        unmatched.append(row)
    if len(matched) * 2 < len(rows):
        return None
    out = [matched.get(k, t) for k, t in enumerate(raw_tasks)]
    out.extend(matched[k] for k in sorted(matched) if k >= len(raw_tasks))
    out.sort(key=lambda t: t.line)
    for row in unmatched:  # a row of the table whose task the body does not have
        text = row.text.o.strip()[:40]
        notes.append(Note(row.line, "skipped_candidate", {"at": str(row.line), "text": text}))
    return out


def _same_work(row: RawTask, task: RawTask, row_title: str, task_title_text: str) -> bool:
    """Whether a table row whose title matches a body task also says the same (a restatement).

    A row titled by a short type (海绵型地块) over a measure of its own is work beside the body's
    task of that name, not the same task again.
    """
    rest_row = _title_key(row.text.o)[len(_title_key(row_title)) :][:60]
    rest_task = _title_key(task.text.o)[len(_title_key(task_title_text)) :][:60]
    if len(rest_row) < 10 or len(rest_task) < 10:
        return True
    return difflib.SequenceMatcher(None, rest_row, rest_task, autojunk=False).ratio() >= 0.5


def _more_attachment_tasks(
    raw_tasks: list[RawTask], lines: list[AStr], end: int, after_lead: str
) -> list[RawTask]:
    """Attributed rows of an attached 任务分工表 that are tasks of their own beside the body's.

    The body lists its attributed tasks and the attachment splits the work into finer measures
    with their own numbering and units: both are tracked, even where a row says what a body task
    says. Only a table that mostly restates the body's tasks (same title and work, one row each)
    is the same list again: its restating rows are left out; one that reuses the body's paths
    adds nothing.
    """
    rows = _attachment_tasks(lines, end, after_lead)
    if len(rows) < 2:
        return []
    paths = {t.path for t in raw_tasks}
    if any(row.path in paths for row in rows):
        return []  # numbered like the body: the same list again, not a list of its own
    titles = [task_title(t) for t in raw_tasks]
    row_titles = [task_title(row) for row in rows]
    shared = {t for t in row_titles if row_titles.count(t) > 1}  # a merged group cell, not a title
    restating = [
        row_title not in shared
        and any(
            _title_match(row_title, t) >= 0.8 and _same_work(row, task, row_title, t)
            for task, t in zip(raw_tasks, titles, strict=True)
        )
        for row, row_title in zip(rows, row_titles, strict=True)
    ]
    mostly_restating = sum(restating) * 2 > len(rows)
    out: list[RawTask] = []
    for row, again in zip(rows, restating, strict=True):
        if again and mostly_restating:
            continue
        if row.path in paths:
            continue
        paths.add(row.path)
        out.append(row)
    return out if len(out) >= 2 else []


def _table_restates_body(root: Sec, tail: list[str]) -> bool:
    """Whether the attached table repeats the body's chapter headings as its group rows.

    Then the table splits the body's own work and the body's targets are the plan's; an attachment
    of another kind (a 考评指标 list under an 办法) leaves the body's figures aside.
    """
    rows = {re.sub(r"\s+", "", line) for line in tail}
    titles = [re.sub(r"\s+", "", sec.head.o) for sec in root.children if sec.title]
    hits = sum(1 for title in titles if len(title) >= 6 and any(title in row for row in rows))
    return hits >= 2


def _build(lines: list[AStr], start: int, end: int) -> tuple[Sec, list[Note]]:
    builder = Builder()
    for i in range(start, end):
        if lines[i].w.strip():
            builder.feed_line(i + 1, lines[i])
    classify_sections(builder.root)
    notes = builder.notes
    for line_no, text in builder.skipped:
        notes.append(Note(line_no, "skipped_candidate", {"at": str(line_no), "text": text}))
    return builder.root, notes


_LABEL_LINE = re.compile(r"\s*(?:牵头|责任|配合|协同|主责|协办)\S{0,4}?(?:单位|部门)\s*:")


def _skipped_paragraphs(root: Sec, raw_tasks: list[RawTask], after_lead: str) -> list[Note]:
    """Paragraphs that name their own departments but did not become tasks."""
    taken = {t.line for t in raw_tasks}
    notes: list[Note] = []
    for sec in [root, *_sections_of(root)]:
        if sec.kind in ("goal", "phase"):
            continue
        seen_item = False
        has_items = any(isinstance(b, Item) for b in sec.blocks)
        for b in sec.blocks:
            seen_item = seen_item or isinstance(b, Item)
            if not isinstance(b, Para) or b.box or b.line in taken or b.line == sec.line:
                continue
            if has_items and not seen_item and _LABEL_LINE.match(b.text.w):
                continue  # label lines under a heading: the items below inherit them
            attr = find_attribution(b.text, after_lead)
            if attr is not None and not attr.roles.empty():
                text = b.text.o.strip()[:40]
                notes.append(Note(b.line, "skipped_candidate", {"at": str(b.line), "text": text}))
    return notes


def _sections_of(root: Sec) -> list[Sec]:
    out: list[Sec] = []
    for sec in root.children:
        out.append(sec)
        out.extend(sec.children)
    return out


def _chunks(sec: Sec) -> list[Chunk]:
    chunks: list[Chunk] = []
    if sec.head.w:
        chunks.append(Chunk(sec.line, sec.head))
    for b in sec.blocks:
        if isinstance(b, Para):
            if not b.box:  # 专栏 boxes illustrate; their numbers are not the plan's targets
                chunks.append(Chunk(b.line, b.text))
        else:
            chunks.extend(Chunk(p.line, p.text) for p in b.paras)
    return chunks


_NO_INDICATOR_TITLES = re.compile(r"指导思想|原则|总体思路")
_GOALS_LABEL = re.compile(r"(?:具体指标|主要目标|总体目标|工作目标|发展目标|具体目标)\s*:")


def _indicators(root: Sec) -> list[ParsedIndicator]:
    out: list[ParsedIndicator] = []
    containers = [root, *_sections_of(root)] if root.children else [root]
    for sec in containers:
        if sec.kind == "phase" or _NO_INDICATOR_TITLES.search(sec.title):
            continue
        if sec.level == 0 and root.children:
            continue
        base = None
        if sec.level == 2 and sec.parent is not None:
            parent_texts = [sec.parent.head.w] + [b.text.w for b in sec.parent.blocks if isinstance(b, Para)]
            base = context_year(parent_texts)
        out.extend(find_indicators(_chunks(sec), sec.path, base))
    return out


def _phases(root: Sec, warnings: list[ParseWarning], year: int | None) -> list[ParsedPhase]:
    """Dated stages: level-2 headings of a 工作步骤 chapter (or named …阶段) dated in the heading
    or, failing that, by what they hold; the items of a 工作步骤 chapter without such headings.
    ``year``: the plan's, for dates without one (``8月31日前``, ``第一季度``)."""
    out: list[ParsedPhase] = []
    for sec in _sections_of(root):
        candidates: list[tuple[str, str, int]] = []  # (name, text, line)
        in_phase = sec.kind == "phase" or (sec.parent is not None and sec.parent.kind == "phase")
        stage = sec.level == 2 and (in_phase or "阶段" in sec.title)
        if stage:
            candidates.append((sec.title, sec.head.w[: max(sec.title_len, 80)], sec.line))
        elif in_phase:
            for b in sec.blocks:
                if isinstance(b, Item) and b.paras:
                    text = b.paras[0].text
                    title, used = section_title(text)
                    candidates.append((title, text.w[: max(used, 80)], b.line))
                elif isinstance(b, Para) and "阶段" in b.text.w[:30]:
                    title, used = section_title(b.text)
                    candidates.append((title, b.text.w[: max(used, 80)], b.line))
        for name, ptext, line in candidates:
            hit = phase_from(name, ptext, line, year)
            if hit is None and stage:
                hit = _dated_by_body(sec, year)
            if hit is None:
                continue
            phase, typo = hit
            out.append(phase)
            if typo:
                warnings.append(
                    _warn(
                        line,
                        "date_typo",
                        name=phase.name,
                        text=ptext[:40],
                        start=phase.start or "?",
                        end=phase.end or "…",
                    )
                )
    return out


def _dated_by_body(stage: Sec, year: int | None) -> tuple[ParsedPhase, bool] | None:
    """A stage whose heading names no date runs from its first dated step's start to its last
    one's end: ``(一)制定方案阶段`` over ``1.2024年8月底前,…`` and ``2.2024年9月底前,…`` ends 2024-09.
    The heading's own paragraph counts (``…(责任部门:…。时间节点:2025年3月)``)."""
    texts = [stage.head.w] + [
        (b.paras[0].text if isinstance(b, Item) else b.text).w
        for b in stage.blocks
        if not isinstance(b, Item) or b.paras
    ]
    sentences = [part for text in texts for part in re.split(r"[。;]", text) if part.strip()]
    dated = [hit for hit in (parse_range(part, year) for part in sentences) if hit is not None]
    if not dated:
        return None
    ends = [end for _, end, _ in dated if end]
    phase = ParsedPhase(name=stage.title, start=dated[0][0], end=ends[-1] if ends else None, line=stage.line)
    return phase, any(typo for _, _, typo in dated)


def parse_text(text: str) -> ParsedPlan:
    """Parse a plan from its text; raises ParseError (never anything else)."""
    try:
        return _parse_text(text)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("malformed", detail="nesting too deep") from None
    except Exception as exc:  # a parser bug must not escape as a 500: report it as unreadable input
        raise ParseError("malformed", detail=f"{type(exc).__name__}") from exc


def _parse_text(text: str) -> ParsedPlan:
    if not isinstance(text, str):
        raise ParseError("empty")
    orig = clean_text(text)
    if not orig.strip():
        raise ParseError("empty")
    raw_lines = orig.split("\n")
    if any(ln.strip().startswith("序号") for ln in raw_lines):
        orig = "\n".join(unflatten_text_tables(raw_lines))
    work = work_copy(orig)
    orig, work = _split_long_lines(orig, work)
    warnings: list[ParseWarning] = []
    lines: list[AStr] = []
    for w_line, o_line in zip(work.split("\n"), orig.split("\n"), strict=True):
        if is_noise_line(w_line):
            lines.append(AStr("", ""))
        else:
            lines.append(AStr(w_line, o_line))

    if has_traditional("".join(ln.o for ln in lines if ln.w != ln.o)):
        warnings.append(_warn(1, "traditional"))
    start = _body_start(lines)
    title, title_line = meta_mod.find_title(lines, start)
    if title is None:
        title, _title_line = meta_mod.title_from_wrapper(lines, max(start, 1))
    if title is None:
        title = _fallback_title(lines, start)
    end = _body_end(lines, start)
    root, notes = _build(lines, start, end)
    body_root: Sec | None = None  # the body, where the tasks are taken from an attachment
    body_all = False  # whether all the body's targets are the plan's, or only its goal chapter's
    after_lead = after_lead_default(work)
    raw_tasks, more_notes = collect_tasks(root, after_lead)
    use_attachment = end < len(lines) and _body_holds_no_tasks(raw_tasks, more_notes)
    if end < len(lines) and not use_attachment and _attributed(raw_tasks) * 2 < len(raw_tasks):
        # the body's tasks name no departments: an attached 任务分工表 may give them
        mapped = _departments_from_attachments(raw_tasks, root, lines, end, after_lead, more_notes)
        if mapped is not None:
            raw_tasks = mapped
        else:
            use_attachment = _attributed(raw_tasks) == 0
    elif end < len(lines) and not use_attachment and raw_tasks:
        raw_tasks = raw_tasks + _more_attachment_tasks(raw_tasks, lines, end, after_lead)
    if use_attachment:
        # the tasks live in an attachment (附件) with its own numbering; the body's chapters
        # (考评对象, 考评方式 …) then hold no tasks and are not sections
        start2 = _body_start(lines[end + 1 :]) + end + 1
        # … up to the next attachment (附件2 holds another table: targets per district, a matrix)
        end2 = next((i for i in range(start2 + 1, len(lines)) if _ATTACH.match(lines[i].w)), len(lines))
        root2, notes2 = _build(lines, start2, end2)
        raw2, more2 = collect_tasks(root2, after_lead)
        if raw2 and _attributed(raw2) > max(_attributed(raw_tasks), len(raw_tasks) // 2):
            body_root = root
            body_all = _table_restates_body(root, raw_lines[end:])
            root, notes, raw_tasks, more_notes = root2, notes2, raw2, more2
    notes.extend(more_notes)
    notes.extend(_skipped_paragraphs(root, raw_tasks, after_lead))
    if not raw_tasks:
        if (
            not CJK_RE.search(orig)
            and sum(1 for c in orig if not c.isprintable() and c not in "\n\t") > len(orig) * 0.05
        ):
            raise ParseError("binary")
        raise ParseError("no_tasks")

    doc_number = meta_mod.find_doc_number(lines, start)
    issuer, issued_on = meta_mod.find_issuer_and_date(lines, start)
    period = meta_mod.period_from_title(title) if title else None
    if period is None:
        goal_texts = [c.text.w for s in _sections_of(root) if s.kind == "goal" for c in _chunks(s)]
        period = meta_mod.period_from_goals(goal_texts, issued_on)

    tasks = _tasks(
        raw_tasks,
        warnings,
        year=dates.context_year(period, issued_on),
        issued_on=issued_on,
        first_is_lead_stated=bool(_FIRST_IS_LEAD.search(work)),
    )
    sections = _parsed_sections(root, tasks)
    for note in notes:
        warnings.append(_warn(note.line, note.code, **note.params))
    # the body's targets stay the plan's targets when its tasks are the attachment's rows
    indicators = _indicators(root)
    if body_root is not None:
        # the body's goal chapter states the plan's targets wherever the tasks are; all its
        # figures count where the attached table only splits the body's own chapters
        body = _indicators(body_root)
        if not body_all:
            goals = {sec.path for sec in _sections_of(body_root) if sec.kind == "goal"}
            body = [i for i in body if i.path.split(".")[0] in goals or i.path in goals]
        indicators = body + indicators
    if title_line >= 0:
        # between the plan's title and its first chapter only a paragraph headed as the goals
        # (具体指标:到2022年,…建设50所…) states targets
        preamble_goals = [
            Chunk(k + 1, lines[k])
            for k in range(title_line + 1, start)
            if _GOALS_LABEL.match(lines[k].w.lstrip())
        ]
        indicators = find_indicators(preamble_goals, "", None) + indicators
    phases = _phases(root, warnings, dates.context_year(period, issued_on))
    warnings.sort(key=lambda w: w.line)
    return ParsedPlan(
        title=title,
        doc_number=doc_number,
        issuer=issuer,
        issued_on=issued_on,
        period=period,
        sections=sections,
        tasks=tasks,
        indicators=indicators,
        phases=phases,
        warnings=warnings,
        source_text=orig,
    )


# A task's own time limit in its text: 到2028年底 / 2026年底前 / 2012年10月底前, or the end of a
# five-year plan (到“十四五”末). "到2030年,…" states a target year, not a deadline; so does a sentence
# that opens with a bare year ("2024年,选取部分机构试点…"): the shared corpus's convention (its 01
# reads no deadline there), followed by the own corpus.
_TEXT_DEADLINE = re.compile(
    r"(?:到|至|于)?((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月\s*)?(?:底|末)前?"
    r"|(?:到|至)\s*“?(十[一二三四五六七八九]?五|十[二三四五六七八九]五)”?\s*(?:期)?末"
    r"|“?(十[一二三四五六七八九]?五)”?\s*(?:期间|时期)内?\s*(?=完成|建成|实现)"  # “十四五”期间完成
)
_FIVE_YEAR_END = {"十二五": 2015, "十三五": 2020, "十四五": 2025, "十五五": 2030, "十六五": 2035}


def _deadline_in_text(task: ParsedTask, raw: RawTask, *, year: int | None, issued_on: date | None) -> None:
    """The first time limit the task's own text states, when its attribution states none."""
    end = raw.attribution.start if raw.attribution is not None else len(raw.text.w)
    m = _TEXT_DEADLINE.search(raw.text.w[:end])
    if m is None:
        return
    if m.group(3) or m.group(4):
        end_year = _FIVE_YEAR_END.get(m.group(3) or m.group(4))
        if end_year is None:
            return
        phrase = f"{end_year}年底"
    else:
        phrase = m.group(0).lstrip("到至于")
    deadline = dates.parse_deadline(phrase, year=year, issued_on=issued_on)
    if deadline is not None and deadline.iso is not None:
        task.deadline, task.deadline_text = deadline.iso, raw.text.o[m.start() : m.end()].strip(" ,，")


# "由区交通委牵头,区发改委、区水务局配合": roles stated in a sentence of a task that has no bracket
_PROSE_ROLES = re.compile(
    r"由([^,;。()由]{2,40}?)牵头\s*,\s*([^,;。()]{2,120}?)(?:配合|协同|参与)(?=[,;。]|$)"
)


def _prose_attribution(raw: RawTask) -> Attribution | None:
    """Lead and cooperating units a task states in its own sentence, when it has no attribution."""
    m = _PROSE_ROLES.search(raw.text.w)
    if m is None:
        return None
    roles = parse_roles(raw.text[m.start(1) : m.end()])
    if not roles.lead or not all(looks_like_department(n) for n in roles.lead + roles.cooperating):
        return None
    return Attribution(len(raw.text.w), roles)


def _fallback_title(lines: list[AStr], start: int) -> str | None:
    for i in range(min(max(start, 1) + 1, len(lines))):
        w = lines[i].w.strip()
        if not w:
            continue
        m = re.match(r"^(.{4,60}?(?:方案|规划|计划|纲要|意见|要点))(?=为|根据|按照|。|\s|$|一、)", w)
        if m:
            return meta_mod.clean_title(lines[i].o.strip()[: m.end(1)])
    return None


_CARRIED_UNIT = re.compile(
    r"以下(?:各项)?(?:均|都|皆)?(?:需|须|由|要)?\s*([\u4e00-\u9fff]{2,20}?)\s*(?:负责)?(?:落实|实施)[^。)]{0,80}?不再(?:单独|一一)?列出"
)


def _tasks(
    raw_tasks: list[RawTask],
    warnings: list[ParseWarning],
    *,
    year: int | None,
    issued_on: date | None,
    first_is_lead_stated: bool = False,
) -> list[ParsedTask]:
    tasks: list[ParsedTask] = []
    attributed = sum(1 for r in raw_tasks if r.attribution is not None and not r.attribution.roles.empty())
    mostly_attributed = attributed * 2 > len(raw_tasks)
    carried: list[str] = []  # 以下均需X落实,不再列出: X takes part in every later task
    for raw in raw_tasks:
        if raw.attribution is None:
            raw.attribution = _prose_attribution(raw)
        roles = raw.attribution.roles if raw.attribution is not None else None
        if roles is not None and carried and not roles.empty():
            named = {*roles.lead, *roles.responsible, *roles.cooperating}
            roles.responsible = [*roles.responsible, *(n for n in carried if n not in named)]
        stated = _CARRIED_UNIT.search(raw.text.w)
        if stated and looks_like_department(stated.group(1)) and stated.group(1) not in carried:
            carried.append(raw.text.o[stated.start(1) : stated.end(1)].strip())
        task = ParsedTask(
            path=raw.path,
            section_path=raw.section.path,
            number=raw.number,
            title=task_title(raw),
            full_text=raw.text.o.strip(),
            line=raw.line,
        )
        if roles is not None:
            task.lead, task.responsible, task.cooperating = (
                list(roles.lead),
                list(roles.responsible),
                list(roles.cooperating),
            )
            deadline = dates.parse_deadline(roles.deadline, year=year, issued_on=issued_on)
            if deadline is not None:
                task.deadline, task.deadline_text = deadline.iso, deadline.text
                if deadline.status == dates.UNCLEAR:
                    task.flags.append(DEADLINE_UNCLEAR)
            for code in roles.warnings:
                if code == "role_guessed":
                    role = "cooperating" if any(True for _ in task.cooperating) else "responsible"
                    warnings.append(_warn(raw.line, code, path=raw.path, role=_ROLE_ZH.get(role, role)))
                else:
                    warnings.append(_warn(raw.line, code, path=raw.path))
            if roles.empty() and raw.attribution is not None and not roles.deadline:
                warnings.append(_warn(raw.line, "attribution_without_departments", path=raw.path))
            for name in task.lead + task.responsible + task.cooperating:
                if not looks_like_department(re.sub(r"\s+", "", name)):
                    warnings.append(_warn(raw.line, "unknown_department", path=raw.path, name=name))
        elif mostly_attributed:
            warnings.append(_warn(raw.line, "no_departments", path=raw.path))
        if task.deadline is None and not (roles is not None and roles.deadline):
            _deadline_in_text(task, raw, year=year, issued_on=issued_on)
        flags = set(task.flags)
        if not (task.lead or task.responsible or task.cooperating):
            flags.add(NO_DEPARTMENT)
        if roles is not None and roles.lead_inferred and not first_is_lead_stated:
            flags.add(NO_LEAD_MARKER)
        if roles is not None and roles.merged:
            flags.add(MERGED_ATTRIBUTIONS)
        if raw.gap:
            flags.add(NUMBERING_GAP)
        task.flags = [code for code in FLAG_CODES if code in flags]
        tasks.append(task)
    return tasks


# 排在第一位的部门为牵头部门，下同 / 列第一位者为牵头单位: the document states the position rule itself
_FIRST_IS_LEAD = re.compile(r"(?:第一位?|第一个|首位)\S{0,5}?为牵头")


def _parsed_sections(root: Sec, tasks: list[ParsedTask]) -> list[ParsedSection]:
    counts: dict[str, int] = {}
    for t in tasks:
        sp = t.section_path
        while sp:
            counts[sp] = counts.get(sp, 0) + 1
            if "." not in sp:
                break
            sp = sp.rsplit(".", 1)[0]

    def parsed(node: Sec, level: int) -> ParsedSection:
        return ParsedSection(
            label=node.label,
            title=node.title,
            level=level,
            line=node.line,
            path=node.path,
            is_task_section=node.is_task,
            task_count=counts.get(node.path, 0),
            children=[parsed(child, level + 1) for child in node.children] if level == 1 else [],
        )

    return [parsed(sec, 1) for sec in root.children]
