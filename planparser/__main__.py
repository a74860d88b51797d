"""``python -m planparser PATH --json`` prints the plan as the seeds' expected JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import ParseError, parse_document


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m planparser", description="Parse an IP work-plan document.")
    ap.add_argument("path", help="a .txt, .docx, .xlsx, .pdf or .html file ('-' reads text from stdin)")
    ap.add_argument("--json", action="store_true", help="print the expected-JSON schema (the default)")
    ap.add_argument("--warnings", action="store_true", help="also print warnings to stderr")
    ap.add_argument("--max-bytes", type=int, default=20 * 1024 * 1024)
    args = ap.parse_args(argv)
    try:
        if args.path == "-":
            data, name = sys.stdin.buffer.read(), "stdin.txt"
        else:
            path = Path(args.path)
            data, name = path.read_bytes(), path.name
    except OSError as exc:
        print(f"无法读取文件 / cannot read file: {exc}", file=sys.stderr)
        return 2
    try:
        plan = parse_document(data, name, max_bytes=args.max_bytes)
    except ParseError as exc:
        print(f"{exc.message_zh}\n{exc.message_en}", file=sys.stderr)
        return 2
    json.dump(plan.to_expected_json(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    if args.warnings:
        for w in plan.warnings:
            print(f"line {w.line}: [{w.code}] {w.message_zh}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
