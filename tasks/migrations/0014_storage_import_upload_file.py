# Import files waiting for the job move from the database (a BinaryField) to the default storage.

import secrets

from django.core.files.base import ContentFile
from django.db import migrations, models
from django.utils import timezone

import tasks.models


def move_to_storage(apps, schema_editor):
    PlanImport = apps.get_model("tasks", "PlanImport")
    for record in PlanImport.objects.exclude(upload=None).only("pk", "upload").iterator():
        name = f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"
        record.upload_file.save(name, ContentFile(bytes(record.upload)), save=False)
        PlanImport.objects.filter(pk=record.pk).update(upload_file=record.upload_file.name, upload=None)


def move_back(apps, schema_editor):
    PlanImport = apps.get_model("tasks", "PlanImport")
    for record in PlanImport.objects.exclude(upload_file="").only("pk", "upload_file").iterator():
        with record.upload_file.open("rb") as handle:
            data = handle.read()
        PlanImport.objects.filter(pk=record.pk).update(upload=data, upload_file="")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0013_sweep_notification_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="planimport",
            name="upload_file",
            field=models.FileField(
                blank=True,
                editable=False,
                max_length=255,
                upload_to=tasks.models.plan_import_upload_to,
                verbose_name="待读取的文件",
            ),
        ),
        migrations.RunPython(move_to_storage, move_back, elidable=True),
        migrations.RemoveField(model_name="planimport", name="upload"),
    ]
