from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhook 推送")

    def ready(self) -> None:
        from ipplan import metrics

        from . import subscribers
        from .delivery import OUTBOX
        from .policy import register

        register()
        subscribers.connect()
        metrics.register_outbox("webhooks", OUTBOX)
