"""The notification's dedup key stays unique through a named constraint instead of ``unique=True``,
which also built a LIKE-only (varchar_pattern_ops) index that nothing queries and every reminder
sweep insert maintained (about 20 % of a 400,000-row ``INSERT … ON CONFLICT`` at province scale).
The new unique index is built before the old one goes: the key is never without uniqueness."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0014_storage_import_upload_file"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(fields=("dedup_key",), name="notification_dedup_key_unique"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedup_key",
            field=models.CharField(max_length=255, verbose_name="去重键"),
        ),
    ]
