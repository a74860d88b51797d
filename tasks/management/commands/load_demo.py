"""Load the demo regions, departments, accounts and plan. Safe to run any number of times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from departments.models import Department, DepartmentAlias, Region, User
from departments.services import (
    department_alias_add,
    department_create,
    region_get_or_create,
    region_level_for_code,
    user_create,
)
from tasks.models import Plan
from tasks.parser import parse_document
from tasks.services import task_set_due_date
from tasks.services.imports import import_preview, plan_import_apply

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "demo.json"

PLANS_DIR = Path(settings.BASE_DIR) / "fixtures" / "plans"


class Command(BaseCommand):
    help = "Load demo regions, departments, one account per role and the five seed plans (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            created = self._load_registry(data)
            created += self._load_users(data)
            created += self._load_plans(data)
        self.stdout.write(self.style.SUCCESS(f"demo data ready ({created} objects created)"))

    def _load_registry(self, data: dict[str, Any]) -> int:
        created = 0
        for entry in data["regions"]:
            parent = Region.objects.get(code=entry["parent"]) if entry.get("parent") else None
            region = region_get_or_create(
                code=entry["code"],
                name=entry["name"],
                level=region_level_for_code(entry["code"]),
                parent=parent,
            )
            for item in entry["departments"]:
                department = Department.objects.filter(region=region, name=item["name"]).first()
                if department is None:
                    department = department_create(
                        actor=None, region=region, name=item["name"], kind=item["kind"]
                    )
                    created += 1
                for alias in item.get("aliases", []):
                    if not DepartmentAlias.objects.filter(region=region, name=alias).exists():
                        department_alias_add(actor=None, department=department, name=alias)
                        created += 1
        return created

    def _load_users(self, data: dict[str, Any]) -> int:
        created = 0
        for item in data["users"]:
            if User.objects.filter(username=item["username"]).exists():
                continue
            department = None
            if item.get("department"):
                code, name = item["department"]
                department = Department.objects.get(region__code=code, name=name)
            region = Region.objects.get(code=item["region"]) if item.get("region") else None
            user_create(
                actor=None,
                username=item["username"],
                password=data["password"],
                role=item["role"],
                department=department,
                region=region,
                display_name=item.get("display_name", ""),
                email=f"{item['username']}@demo.ipplan.local",
            )
            created += 1
        return created

    def _load_plans(self, data: dict[str, Any]) -> int:
        """Import the five seed plans through the importer, as a coordinator would."""
        created = 0
        for item in data["plans"]:
            path = PLANS_DIR / item["file"]
            region = Region.objects.get(code=item["region"])
            parsed = parse_document(path.read_bytes(), path.name)
            if Plan.objects.filter(region=region, title=parsed.title).exists():
                continue
            preview = import_preview(parsed=parsed, region=region)
            if preview.unresolved:
                names = "、".join(r.name for r in preview.unresolved)
                raise CommandError(f"{path.name}: departments missing from the demo registry: {names}")
            plan, _diff = plan_import_apply(actor=None, parsed=parsed, region=region, source_name=path.name)
            if item.get("deadlines_by"):
                self._spread_deadlines(plan, User.objects.get(username=item["deadlines_by"]))
            created += 1
        return created

    def _spread_deadlines(self, plan: Plan, bureau: User) -> None:
        """The bureau sets deadlines, some already past, so the demo shows every light."""
        today = timezone.localdate()
        for index, task in enumerate(plan.tasks.order_by("order")):
            offset = (index % 12) * 15 - 45  # from 45 days ago to 120 days ahead
            task_set_due_date(
                actor=bureau, task=task, due_date=today + dt.timedelta(days=offset), reason="demo"
            )
