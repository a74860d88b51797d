from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知与提醒")

    def ready(self) -> None:
        from ipplan import metrics

        from .policy import register
        from .services.delivery import OUTBOX, sent_figures

        register()
        metrics.register_outbox("notifications", OUTBOX)
        metrics.register_figures(sent_figures)
