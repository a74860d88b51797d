"""Timing of the parser: ``python -m planparser.bench``.

Prints the time to parse each sample plan in fixtures/plans, the saved 517 KB web page of the shared
corpus (``../shared/corpus/01_…html``, where present, cold first run and best run), any file given
on the command line, and a synthetic 1 MB plan (a long document with hundreds of sections and
thousands of attributed tasks), best of a few runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import parse_document
from .text import int_to_cn

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "plans"
# the shared corpus sits beside the checkout (../shared); its largest document is a saved web page
SAVED_PAGE = ROOT.parent / "shared" / "corpus" / "01_guangzhou_2023_jiatingyisheng.html"


def synthetic_plan(target_bytes: int = 1024 * 1024) -> str:
    parts = [
        "某市知识产权强市建设工作方案(2021—2025年)\n",
        "为贯彻落实《纲要》,制定本方案。\n",
        "一、工作目标\n到2025年,有效发明专利拥有量达到8000件,结案率达到95%以上。\n",
    ]
    l1 = 2
    cn = "一二三四五六七八九十"
    size = sum(len(p.encode()) for p in parts)
    task_no = 0
    while size < target_bytes:
        label = int_to_cn(l1)
        block = [f"{label}、重点任务第{l1}部分\n"]
        task_no = 0  # numbering runs on across subsections and restarts in each section
        for sub in range(1, 10):
            block.append(f"({cn[sub - 1]})加强知识产权工作第{sub}项\n")
            for _ in range(8):
                task_no += 1
                block.append(
                    f"{task_no}.实施高价值专利培育计划,支持企业开展专利导航和布局,培育知识产权优势企业"
                    f"{task_no % 50 + 1}家以上,推动产业集群发展。(牵头单位:市市场监管局;责任单位:市科技局、"
                    "财政局、教育局,各区、县级市政府)\n"
                )
        text = "".join(block)
        parts.append(text)
        size += len(text.encode())
        l1 += 1
    parts.append(f"{int_to_cn(l1)}、保障措施\n(一)加强组织领导。\n")
    return "".join(parts)


def _best(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"{'document':32} {'bytes':>9} {'tasks':>6} {'seconds':>8}")
    for path in sorted(FIXTURES.glob("*.txt")):
        data = path.read_bytes()
        plan = parse_document(data, path.name)
        seconds = _best(lambda data=data, name=path.name: parse_document(data, name))  # type: ignore[misc]
        print(f"{path.name:32} {len(data):9d} {len(plan.tasks):6d} {seconds:8.3f}")
    pages = [Path(a) for a in sys.argv[1:]] or ([SAVED_PAGE] if SAVED_PAGE.is_file() else [])
    for path in pages:
        data = path.read_bytes()
        start = time.perf_counter()
        plan = parse_document(data, path.name)
        cold = time.perf_counter() - start
        seconds = _best(lambda data=data, name=path.name: parse_document(data, name))  # type: ignore[misc]
        print(
            f"{path.name[:32]:32} {len(data):9d} {len(plan.tasks):6d} {seconds:8.3f}  (first run {cold:.3f})"
        )
    for name, text in (
        ("synthetic-1MB.txt", synthetic_plan()),
        ("synthetic-1MB-one-line.txt", synthetic_plan().replace("\n", "")),
    ):
        data = text.encode("utf-8")
        plan = parse_document(data, name)
        seconds = _best(lambda data=data, name=name: parse_document(data, name), runs=2)  # type: ignore[misc]
        print(f"{name:32} {len(data):9d} {len(plan.tasks):6d} {seconds:8.3f}")
    gb = synthetic_plan().encode("gb18030")
    plan = parse_document(gb, "synthetic.txt")
    seconds = _best(lambda: parse_document(gb, "synthetic.txt"), runs=2)
    print(f"{'synthetic-GB18030.txt':32} {len(gb):9d} {len(plan.tasks):6d} {seconds:8.3f}")


if __name__ == "__main__":
    main()
