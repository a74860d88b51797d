"""Export the ledger (台账) of a plan or a department as .xlsx from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks.exports import write_ledger
from tasks.models import Plan, Task


class Command(BaseCommand):
    help = "Write the task ledger of a plan (or a department's tasks) to an .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", type=int, help="plan id")
        parser.add_argument("--department", type=int, help="department id: its tasks across all plans")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["plan"] and not options["department"]:
            raise CommandError("give --plan ID or --department ID")
        tasks = Task.objects.all()
        title = ""
        if options["plan"]:
            plan = Plan.objects.filter(pk=options["plan"]).first()
            if plan is None:
                raise CommandError(f"plan {options['plan']} does not exist")
            tasks, title = tasks.filter(plan=plan), plan.title
        if options["department"]:
            tasks = tasks.filter(assignments__department_id=options["department"]).distinct()
        count = write_ledger(tasks, options["out"], title=title)
        self.stderr.write(f"wrote {count} tasks to {options['out']}")
