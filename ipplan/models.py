"""Base models of the shared kernel, and the records the kernel keeps itself."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and last-change times. ``updated_at`` is indexed: sync clients page by it."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class JobHeartbeat(models.Model):
    """The last time a scheduled job ran, so operators can see that beat is ticking."""

    name = models.CharField(_("作业"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("最近运行"))
    runs = models.PositiveBigIntegerField(_("运行次数"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("定时作业心跳")
        verbose_name_plural = _("定时作业心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M:%S}"
