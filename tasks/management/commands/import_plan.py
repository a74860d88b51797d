"""Import a plan document from the command line.

    python manage.py import_plan PATH [--json] [--commit] [--region 441900|东莞市]
                                 [--create-departments] [--update PLAN_ID]

Without --commit nothing is written. With --json stdout carries only the parsed structure, in the
schema of shared/seeds/*.expected.json, with department names as read from the document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import translation

from departments.models import Region
from planparser import ParseError, parse_document
from tasks.models import Plan
from tasks.services.imports.commit import plan_import_apply
from tasks.services.imports.mapping import Choices
from tasks.services.imports.preview import import_preview


class Command(BaseCommand):
    help = "Parse a plan document (txt, docx, xlsx, pdf, html) and optionally commit it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the document")
        parser.add_argument(
            "--json", action="store_true", help="print the parsed structure as JSON, nothing else"
        )
        parser.add_argument("--commit", action="store_true", help="write the plan (one transaction)")
        parser.add_argument(
            "--region", help="region code or name; inferred from the issuer and title when omitted"
        )
        parser.add_argument(
            "--create-departments", action="store_true", help="create departments the registry does not know"
        )
        parser.add_argument(
            "--update", type=int, metavar="PLAN_ID", help="apply as a revised version of this plan"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        language = translation.get_language() or "zh-hans"
        try:
            parsed = parse_document(data, path.name)
        except ParseError as exc:
            message = exc.message_en if language.startswith("en") else exc.message_zh
            raise CommandError(f"{path.name}: {message}", returncode=2) from None

        if options["json"]:
            self.stdout.write(json.dumps(parsed.to_expected_json(), ensure_ascii=False, indent=1))
        if not options["commit"]:
            if not options["json"]:
                self._summary(parsed)
            return

        replaces = Plan.objects.filter(pk=options["update"]).first() if options["update"] else None
        if options["update"] and replaces is None:
            raise CommandError(f"plan {options['update']} does not exist")
        region = replaces.region if replaces else self._region(options["region"], parsed)
        preview = import_preview(parsed=parsed, region=region, replaces=replaces)
        try:
            plan, diff = plan_import_apply(
                actor=None,
                parsed=parsed,
                region=region,
                replaces=replaces,
                choices=Choices(create_missing=options["create_departments"]),
                source_name=path.name,
            )
        except ValidationError as exc:
            unresolved = preview.unresolved
            lines = [" ".join(exc.messages)]
            for resolution in unresolved:
                hint = "、".join(f"{s.department.name}({s.score:.0f})" for s in resolution.suggestions) or "-"
                lines.append(f"  {resolution.name}: suggestions {hint}")
            if unresolved:
                lines.append("map them in the browser, add aliases, or pass --create-departments")
            raise CommandError("\n".join(lines)) from None
        if diff is not None:
            self.stderr.write(
                f"updated plan {plan.pk}: {len(diff.added)} added, {len(diff.changed)} changed, "
                f"{len(diff.removed)} cancelled, {diff.unchanged} unchanged"
            )
        else:
            self.stderr.write(f"imported plan {plan.pk}: {plan.title} ({plan.tasks.count()} tasks)")

    def _region(self, wanted: str | None, parsed: Any) -> Region:
        if wanted:
            region = Region.objects.filter(Q(code=wanted) | Q(name=wanted)).first()
            if region is None:
                raise CommandError(
                    f"no region {wanted!r}; known: " + ", ".join(r.name for r in Region.objects.all())
                )
            return region
        preview = import_preview(parsed=parsed)
        if preview.region is None:
            names = ", ".join(f"{r.name} ({r.code})" for r in preview.region_candidates) or "none matched"
            raise CommandError(
                "cannot tell the plan's region from its issuer or title; pass --region. Candidates: " + names
            )
        return preview.region

    def _summary(self, parsed: Any) -> None:
        self.stdout.write(
            f"{parsed.title}\n{parsed.doc_number or '-'} · {parsed.issuer or '-'} · {parsed.issued_on or '-'}"
        )
        self.stdout.write(
            f"{len(parsed.tasks)} tasks, {len(parsed.indicators)} indicators, {len(parsed.phases)} phases, "
            f"{len(parsed.warnings)} warnings (nothing written; --commit to import)"
        )
        for warning in parsed.warnings:
            self.stdout.write(f"  line {warning.line}: {warning.message_en}")
