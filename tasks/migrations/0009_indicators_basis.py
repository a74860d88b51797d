"""Indicators: the basis of the target (新增/累计/提高/降低…), filled for existing rows from their names."""

import re

from django.db import migrations, models

# A frozen reading of the verb in an imported indicator's name (the parser of the day does more:
# baselines, 、-lists); existing rows get the basis their name states and 新增/累计 lose the "=".
_RISE_BY = re.compile(r"(?<!年均)(提高|提升|增加|增长|上升|扩大)了?\s*\d")
_FALL_BY = re.compile(r"(?<!年均)(降低|下降|减少|压减|缩短|压缩)了?\s*\d")


def _basis(name: str) -> str:
    if _RISE_BY.search(name):
        return "rise"
    if _FALL_BY.search(name):
        return "fall"
    if "新增" in name or "新建" in name:
        return "increment"
    if "累计" in name:
        return "cumulative"
    return "level"


def fill_basis(apps, schema_editor):  # type: ignore[no-untyped-def]
    Indicator = apps.get_model("tasks", "Indicator")
    for indicator in Indicator.objects.filter(comparator__in=["=", ">=", "<=", "~"]).iterator():
        basis = _basis(indicator.name)
        if basis == "level":
            continue
        comparator = indicator.comparator
        if basis == "rise" and comparator != "~":
            comparator = ">="
        elif basis == "fall" and comparator != "~":
            comparator = "<="
        elif comparator == "=":
            comparator = ">="
        Indicator.objects.filter(pk=indicator.pk).update(basis=basis, comparator=comparator)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0008_maint_plan_maintenance"),
    ]

    operations = [
        migrations.AddField(
            model_name="indicator",
            name="basis",
            field=models.CharField(
                choices=[
                    ("level", "达到"),
                    ("increment", "新增"),
                    ("cumulative", "累计"),
                    ("rise", "提高"),
                    ("fall", "降低"),
                ],
                default="level",
                help_text="新增:数值从零计;累计:累计总量;提高/降低:相对基准值的变化",
                max_length=12,
                verbose_name="口径",
            ),
        ),
        migrations.RunPython(fill_basis, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("basis__in", ["level", "increment", "cumulative", "rise", "fall"])),
                name="indicator_basis_valid",
            ),
        ),
    ]
