"""The plan's document text moves out of the plan row into PlanDocument (one-to-one)."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    Plan = apps.get_model("tasks", "Plan")
    PlanDocument = apps.get_model("tasks", "PlanDocument")
    for pk, text in Plan.objects.exclude(source_text="").values_list("pk", "source_text").iterator():
        PlanDocument.objects.create(plan_id=pk, text=text)


def backwards(apps, schema_editor):
    Plan = apps.get_model("tasks", "Plan")
    PlanDocument = apps.get_model("tasks", "PlanDocument")
    for pk, text in PlanDocument.objects.values_list("plan_id", "text").iterator():
        Plan.objects.filter(pk=pk).update(source_text=text)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0009_indicators_basis")]

    operations = [
        migrations.CreateModel(
            name="PlanDocument",
            fields=[
                (
                    "plan",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="document",
                        serialize=False,
                        to="tasks.plan",
                        verbose_name="工作方案",
                    ),
                ),
                ("text", models.TextField(blank=True, verbose_name="原文")),
            ],
            options={"verbose_name": "方案原文", "verbose_name_plural": "方案原文", "ordering": ["plan"]},
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="plan", name="source_text"),
    ]
