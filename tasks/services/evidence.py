"""Evidence is append-only: a submitted progress report is never changed; a correction is a new
version that supersedes it, and the old one stays, visible as superseded, with its files."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import User
from ipplan.audit import save_as
from ipplan.exceptions import TransitionError
from ipplan.permissions import Action, require

from .. import events
from ..models import ProgressReport
from .attachments import UploadedFile, files_discarded_on_error, store_file, validate_uploads


def progress_report_correct(
    *,
    actor: User,
    report: ProgressReport,
    text: str,
    percent: int,
    period: str | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> ProgressReport:
    """The reporting department corrects its report: a new report (with its own evidence files)
    that supersedes ``report``; the old one is kept unchanged. Only the latest version can be
    corrected. Nothing is written, and no file stays, when anything is refused."""
    with files_discarded_on_error() as stored:
        return _progress_report_correct(
            actor=actor,
            report=report,
            text=text,
            percent=percent,
            period=period,
            files=list(attachments),
            stored=stored,
        )


@transaction.atomic
def _progress_report_correct(
    *,
    actor: User,
    report: ProgressReport,
    text: str,
    percent: int,
    period: str | None,
    files: list[UploadedFile],
    stored: list[str],
) -> ProgressReport:
    require(actor, Action.SUBMIT_REPORT, report.task)
    original = ProgressReport.objects.select_for_update().select_related("task").get(pk=report.pk)
    require(actor, Action.AMEND_REPORT, original)  # only the reporting department corrects it
    if ProgressReport.objects.filter(supersedes=original).exists():
        raise TransitionError(_("该进展填报已被更正,请在最新版本上更正。"), code="already_superseded")
    if not text.strip():
        raise ValidationError({"text": _("请填写进展情况。")})
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("进度必须在 0 到 100 之间。")})
    kinds = validate_uploads(files)
    correction = ProgressReport(
        task=original.task,
        department=original.department,
        author=actor,
        period=(period if period is not None else original.period).strip(),
        text=text.strip(),
        percent=percent,
        supersedes=original,
    )
    save_as(correction, actor=actor, reason=f"correct #{original.pk}")
    for file, (content_type, _ext) in zip(files, kinds, strict=True):
        store_file(report=correction, file=file, actor=actor, content_type=content_type, stored=stored)
    events.publish(events.ReportSubmitted(correction))
    return correction
