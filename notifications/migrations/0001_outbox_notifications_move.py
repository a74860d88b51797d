# The Notification and ReminderPolicy models move from the tasks app to this one. Their tables
# keep their names (db_table), so no row moves and no table is recreated: this migration only
# tells Django's state where the models now live, and tasks.0016 removes them from the tasks
# app's state. The content types are renamed so admin history and permissions follow the models.

import django.db.models.deletion
import notifications.models
from django.conf import settings
from django.db import migrations, models

MOVED = ("notification", "reminderpolicy")


def rename_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="notifications", model=model).exists():
            ContentType.objects.filter(app_label="tasks", model=model).update(app_label="notifications")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="tasks", model=model).exists():
            ContentType.objects.filter(app_label="notifications", model=model).update(app_label="tasks")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tasks", "0015_perf2_notification_dedup_unique"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ReminderPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, db_index=True, verbose_name='更新时间')),
                        ('days_before', models.CharField(default='7,3,1', max_length=50, validators=[notifications.models._days_before_valid], verbose_name='到期前提醒(天)')),
                        ('on_day', models.BooleanField(default=True, verbose_name='到期当日提醒')),
                        ('repeat_every_days', models.PositiveSmallIntegerField(default=3, verbose_name='逾期后每隔(天)提醒')),
                        ('escalate_head_after', models.PositiveSmallIntegerField(default=7, verbose_name='逾期(天)后提请单位负责人')),
                        ('escalate_bureau_after', models.PositiveSmallIntegerField(default=14, verbose_name='逾期(天)后提请知识产权局')),
                        ('plan', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_policy', to='tasks.plan', verbose_name='工作方案')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人')),
                    ],
                    options={
                        'verbose_name': '提醒规则',
                        'verbose_name_plural': '提醒规则',
                        'db_table': 'tasks_reminderpolicy',
                        'ordering': ['plan', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('due_soon', '即将到期提醒'), ('due_today', '当日到期提醒'), ('overdue', '逾期催报'), ('escalation_head', '逾期提请单位负责人'), ('escalation_bureau', '逾期提请知识产权局'), ('report_due', '进展填报提醒'), ('urge', '催办'), ('review_result', '审核结果'), ('request_pending', '待办申请'), ('digest', '工作摘要'), ('webhook_disabled', 'Webhook 推送已停用'), ('task_changed', '任务调整')], max_length=24, verbose_name='类型')),
                        ('message', models.TextField(verbose_name='内容')),
                        ('dedup_key', models.CharField(max_length=255, verbose_name='去重键')),
                        ('state', models.CharField(choices=[('pending', '待发送'), ('sending', '发送中'), ('sent', '已发送'), ('failed', '发送失败'), ('skipped', '无需发送')], default='pending', max_length=16, verbose_name='发送状态')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='发送次数')),
                        ('last_error', models.TextField(blank=True, verbose_name='最近错误')),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='下次发送')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='创建时间')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='阅读时间')),
                        ('recipient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='接收人')),
                        ('task', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='tasks.task', verbose_name='任务')),
                    ],
                    options={
                        'verbose_name': '通知',
                        'verbose_name_plural': '通知',
                        'db_table': 'tasks_notification',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['recipient', 'read_at'], name='notification_unread_idx'), models.Index(condition=models.Q(('state__in', ['pending', 'sending'])), fields=['id'], name='notification_to_send_idx')],
                        'constraints': [models.UniqueConstraint(fields=('dedup_key',), name='notification_dedup_key_unique'), models.CheckConstraint(condition=models.Q(('dedup_key', ''), _negated=True), name='notification_dedup_key_not_empty'), models.CheckConstraint(condition=models.Q(('kind__in', ['due_soon', 'due_today', 'overdue', 'escalation_head', 'escalation_bureau', 'report_due', 'urge', 'review_result', 'request_pending', 'digest', 'webhook_disabled', 'task_changed'])), name='notification_kind_valid')],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
