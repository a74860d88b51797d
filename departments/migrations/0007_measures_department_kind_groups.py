"""Existing collectives (各镇街, 各成员单位, 有关部门 …) become groups: listed, never ranked.

The rule is copied from ``departments.kinds`` as it was when this migration was written, so that
the migration gives the same result whenever it runs.
"""

import re

from django.db import migrations

COLLECTIVE = re.compile(
    r"^各|各(成员|有关|相关|级|区|县|镇|街|市|部门|单位)|成员单位|(有关|相关)(部门|单位)|等(部门|单位|机构)?$"
)


def mark_groups(apps, schema_editor):
    Department = apps.get_model("departments", "Department")
    ids = [pk for pk, name in Department.objects.values_list("pk", "name") if COLLECTIVE.search(name.strip())]
    Department.objects.filter(pk__in=ids).exclude(kind="group").update(kind="group")


class Migration(migrations.Migration):
    dependencies = [("departments", "0006_pages_user_language")]

    operations = [migrations.RunPython(mark_groups, migrations.RunPython.noop)]
