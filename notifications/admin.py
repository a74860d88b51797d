"""Admin of the notifications: operators see what is pending, failed or stuck and retry it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ipplan.admin import ReadOnlyPolicyAdmin
from ipplan.models import JobHeartbeat
from ipplan.permissions import Action

from .choices import NotificationState
from .models import Notification
from .services.delivery import notifications_retry


@admin.register(Notification)
class NotificationAdmin(ReadOnlyPolicyAdmin):
    """Operators see what is pending, failed or stuck, when beat last ticked, and retry."""

    view_action = Action.MANAGE_NOTIFICATIONS
    change_action = Action.MANAGE_NOTIFICATIONS
    list_display = [
        "recipient",
        "kind",
        "task",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "read_at",
    ]
    list_filter = ["state", "kind", ("last_error", admin.EmptyFieldListFilter), "created_at", "sent_at"]
    search_fields = ["recipient__username", "message", "dedup_key"]
    raw_id_fields = ["recipient", "task"]
    readonly_fields = ["dedup_key", "created_at"]
    actions = ["retry"]

    @admin.action(description=_("立即重新发送选中的失败/待发送通知"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = notifications_retry(actor=request.user, notifications=queryset)  # type: ignore[arg-type]
        self.message_user(request, _("已重新排队 %(count)d 条通知,将在下一次发送时发出。") % {"count": count})

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # The schedule and beat's last tick, shown above the list (no template of our own needed).
        beat = JobHeartbeat.objects.filter(name="tick").first()
        last = f"{timezone.localtime(beat.last_run_at):%Y-%m-%d %H:%M:%S}" if beat else "—"
        schedule = ";".join(
            f"{name}: {entry['schedule']}"
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
            if entry["task"].startswith("tasks.jobs.")
        )
        self.message_user(
            request, _("计划任务 %(schedule)s;上次节拍 %(last)s") % {"schedule": schedule, "last": last}
        )
        counts = dict(
            Notification.objects.filter(
                state__in=[NotificationState.PENDING, NotificationState.FAILED, NotificationState.SENDING]
            )
            .values_list("state")
            .annotate(n=Count("pk"))
        )
        self.message_user(
            request,
            _("待发送 %(pending)d,发送中 %(sending)d,发送失败 %(failed)d")
            % {
                "pending": counts.get(NotificationState.PENDING, 0),
                "sending": counts.get(NotificationState.SENDING, 0),
                "failed": counts.get(NotificationState.FAILED, 0),
            },
        )
        return super().changelist_view(request, extra_context)
