"""Dataclasses the parser produces; a service turns them into database rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Reasons a parsed task may need a look (issue 13.3): stable codes, with what they mean in the
# source language and in English, in the order the preview lists them.
TASK_FLAGS: dict[str, tuple[str, str]] = {
    "no_department": ("未识别到责任单位", "No department found"),
    "no_lead_marker": (
        "单位列表未标明牵头单位，已按排列顺序把第一个单位作为牵头单位",
        "No lead marker: the first department of the list was taken as lead",
    ),
    "merged_attributions": (
        "任务中有多处单位分工，已合并",
        "Several attributions in the task were merged",
    ),
    "deadline_unclear": (
        "完成时限未能识别（或相对时限缺少印发日期）",
        "Deadline phrase not understood (or relative without an issue date)",
    ),
    "numbering_gap": ("前一个编号缺失", "The number before this task is missing"),
}
FLAG_CODES: tuple[str, ...] = tuple(TASK_FLAGS)
NO_DEPARTMENT, NO_LEAD_MARKER, MERGED_ATTRIBUTIONS, DEADLINE_UNCLEAR, NUMBERING_GAP = FLAG_CODES


@dataclass(slots=True)
class ParseWarning:
    """Something doubtful the coordinator should look at; ``line`` is 1-based in ``source_text``."""

    line: int
    code: str
    message_zh: str
    message_en: str


@dataclass(slots=True)
class ParsedSection:
    """A heading: ``一`` at level 1, ``(一)`` at level 2."""

    label: str
    title: str
    level: int
    line: int
    path: str
    is_task_section: bool = True
    children: list[ParsedSection] = field(default_factory=list)
    task_count: int = 0


@dataclass(slots=True)
class ParsedTask:
    """One unit of work, e.g. path ``二.(一).3``."""

    path: str
    section_path: str
    number: int
    title: str
    full_text: str
    line: int
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    deadline: str | None = None  # ISO date ``YYYY-MM-DD`` (month end where only a month is given)
    deadline_text: str | None = None  # the deadline phrase as written
    flags: list[str] = field(default_factory=list)  # codes of TASK_FLAGS, in that order


@dataclass(slots=True)
class ParsedIndicator:
    """A numeric target such as ``每万人有效发明专利拥有量达到75件``."""

    text: str
    value: float
    unit: str
    comparator: str
    year: int | None
    path: str
    line: int = 0
    # how the value relates to the start (tasks.choices.IndicatorBasis): level, increment (新增),
    # cumulative (累计), rise/fall (提高/降低…个百分点 or %); the baseline when the sentence states it
    basis: str = "level"
    baseline: float | None = None
    baseline_year: int | None = None
    multiplier: int = 1  # of the unit as written: 10000 for 万件, 100000000 for 亿元


@dataclass(slots=True)
class ParsedPhase:
    """A dated stage of the plan; dates are ``YYYY-MM`` or ``YYYY-MM-DD``."""

    name: str
    start: str | None
    end: str | None
    line: int = 0


@dataclass(slots=True)
class ParsedPlan:
    """Everything read from one plan document."""

    title: str | None
    doc_number: str | None
    issuer: str | None
    issued_on: date | None
    period: tuple[int, int] | None
    sections: list[ParsedSection]
    tasks: list[ParsedTask]
    indicators: list[ParsedIndicator]
    phases: list[ParsedPhase]
    warnings: list[ParseWarning]
    source_text: str

    def to_expected_json(self) -> dict[str, Any]:
        """The schema of ``shared/seeds/*.expected.json``."""

        def section(sec: ParsedSection) -> dict[str, Any]:
            return {"label": sec.label, "title": sec.title, "task_count": sec.task_count}

        return {
            "title": self.title,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "period": list(self.period) if self.period else None,
            "sections": [
                {**section(sec), "subsections": [section(sub) for sub in sec.children]}
                for sec in self.sections
            ],
            "tasks": [
                {
                    "path": t.path,
                    "title": t.title,
                    "lead": list(t.lead),
                    "responsible": list(t.responsible),
                    "cooperating": list(t.cooperating),
                    "deadline": t.deadline,
                    "deadline_text": t.deadline_text,
                    "flags": list(t.flags),
                }
                for t in self.tasks
            ],
            "indicators": [
                {
                    "text": i.text,
                    "value": int(i.value) if float(i.value).is_integer() else i.value,
                    "unit": i.unit,
                    "comparator": i.comparator,
                    "year": i.year,
                    "path": i.path,
                }
                for i in self.indicators
            ],
            "phases": [{"name": p.name, "start": p.start, "end": p.end} for p in self.phases],
        }


#: the attributes of ParsedTask that list departments, strongest role first
ROLE_FIELDS: tuple[str, ...] = ("lead", "responsible", "cooperating")


def walk_sections(
    sections: Sequence[ParsedSection], parent_path: str = ""
) -> Iterator[tuple[str, str, ParsedSection]]:
    """(parent path, path, section) of every heading, parents before their children."""
    for section in sections:
        path = f"{parent_path}.{section.label}" if parent_path else section.label
        yield parent_path, path, section
        yield from walk_sections(section.children, path)


def department_names(parsed: ParsedPlan) -> list[str]:
    """Every department name the plan's tasks give, once each, in the order first read."""
    names: list[str] = []
    for task in parsed.tasks:
        for role in ROLE_FIELDS:
            names.extend(getattr(task, role))
    return list(dict.fromkeys(names))
