"""Evidence is append-only: a submitted progress report is never changed; a correction is a new
version that supersedes it, and the old one stays, visible as superseded, with its files."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from departments.models import User
from ipplan.exceptions import TransitionError
from ipplan.permissions import Action, require

from ..models import ProgressReport
from .attachments import UploadedFile
from .progress import report_filed


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

    def correction() -> ProgressReport:
        require(actor, Action.SUBMIT_REPORT, report.task)
        original = ProgressReport.objects.select_for_update().select_related("task").get(pk=report.pk)
        require(actor, Action.AMEND_REPORT, original)  # only the reporting department corrects it
        if ProgressReport.objects.filter(supersedes=original).exists():
            raise TransitionError(_("该进展填报已被更正,请在最新版本上更正。"), code="already_superseded")
        return ProgressReport(
            task=original.task,
            department=original.department,
            author=actor,
            period=(period if period is not None else original.period).strip(),
            text=text.strip(),
            percent=percent,
            supersedes=original,
        )

    return report_filed(
        actor=actor, report=correction, attachments=attachments, reason=f"correct #{report.pk}"
    )
