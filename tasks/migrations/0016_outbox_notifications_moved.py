# Notification and ReminderPolicy now live in the notifications app, on the same tables
# (notifications.0001): removed from this app's state only, nothing happens to the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0015_perf2_notification_dedup_unique"),
        ("notifications", "0001_outbox_notifications_move"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="reminderpolicy", name="plan"),
                migrations.RemoveField(model_name="reminderpolicy", name="updated_by"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="ReminderPolicy"),
            ],
        ),
    ]
