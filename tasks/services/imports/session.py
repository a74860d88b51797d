"""The import session shared by the browser and the API: upload -> (job) read -> preview -> commit.

One service function per step, which the HTML views and the API views only translate HTTP to:
``import_session_start``, ``import_session_preview``, ``plan_import_edit`` (``edits``),
``import_session_commit`` and ``import_session_discard``; the two jobs run
``plan_import_parse_run`` and ``plan_import_commit_run``.

A document is read once per upload, in a child process under a memory cap and a deadline
(``planparser.limits``). Small files are read in the request; bigger ones (over
``IPPLAN_IMPORT_INLINE_BYTES``) wait on the import record for the ``import_parse`` job, which
reports progress there and ends with the preview or a clear error. Committing a plan with many
tasks is a job as well (``import_commit``), so no request waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Region, User
from ipplan import celeryapp
from ipplan.audit import save_as
from ipplan.permissions import Action, can, require
from planparser import ParseError, parse_text
from planparser.limits import Usage
from planparser.model import ParsedPlan
from planparser.reading import read_document_limited

from ...choices import ImportState
from ...models import Plan, PlanImport, plan_import_upload_to
from .commit import plan_import_apply
from .edits import Edited, apply_edits, summarize
from .mapping import NO_CHOICES, Choices, check_mapping
from .preview import Preview, import_preview, infer_region
from .progress import commit_progress_clear, commit_progress_store, reporting
from .reimport import PlanDiff

log = logging.getLogger(__name__)


@dataclass
class ImportSession:
    """An import record and, once read, its parsed plan (None while the job reads the file)."""

    record: PlanImport
    parsed: ParsedPlan | None
    usage: Usage | None = None

    @property
    def pending(self) -> bool:
        return self.record.state in (ImportState.PARSING, ImportState.COMMITTING)


def _memory_bytes() -> int:
    return int(settings.IPPLAN_IMPORT_MEMORY_MB) * 1024 * 1024


def import_read(
    *,
    data: bytes | None = None,
    filename: str = "",
    text: str | None = None,
    seconds: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[str, ParsedPlan, Usage]:
    """Read a file or pasted text once, under the limits; ParseError for anything wrong with it."""
    return read_document_limited(
        data,
        filename,
        text,
        seconds=float(seconds if seconds is not None else settings.IPPLAN_IMPORT_INLINE_SECONDS),
        memory_bytes=_memory_bytes(),
        on_progress=on_progress,
    )


def import_session_start(
    *,
    actor: User,
    data: bytes | None = None,
    filename: str = "",
    text: str | None = None,
    region: Region | None = None,
    replaces: Plan | None = None,
) -> ImportSession:
    """Start importing a file (``data``, ``filename``) or pasted ``text``.

    A small input is read now: a ParseError leaves nothing behind. A file over
    ``IPPLAN_IMPORT_INLINE_BYTES`` is stored on the record for the ``import_parse`` job.
    """
    require(actor, Action.IMPORT_PLAN)
    if region is not None:
        require(actor, Action.IMPORT_PLAN, region)
    if replaces is not None:
        require(actor, Action.EDIT_PLAN, replaces)
    if data is not None and len(data) > int(settings.IPPLAN_IMPORT_INLINE_BYTES):
        return ImportSession(record=_queue_parse(actor, data, filename, region, replaces), parsed=None)
    source_text, parsed, usage = import_read(data=data, filename=filename, text=text)
    record = _record_start(
        actor=actor,
        source_text=source_text,
        source_name=filename if data is not None else "",
        region=region,
        replaces=replaces,
    )
    return ImportSession(record=record, parsed=parsed, usage=usage)


@transaction.atomic
def _record_start(
    *, actor: User, source_text: str, source_name: str, region: Region | None, replaces: Plan | None
) -> PlanImport:
    record = PlanImport(
        created_by=actor,
        region=replaces.region if replaces is not None else region,
        source_name=source_name[:255],
        source_text=source_text,
        replaces=replaces,
    )
    return save_as(record, actor=actor)


def _upload_storage() -> Storage:
    return PlanImport._meta.get_field("upload_file").storage  # type: ignore[attr-defined, no-any-return]


def _delete_upload(name: str) -> None:
    if not name:
        return
    try:
        _upload_storage().delete(name)
    except Exception:  # an orphan file is the lesser harm; keep what raised
        log.exception("could not delete the import file %s", name)


def _queue_parse(
    actor: User, data: bytes, filename: str, region: Region | None, replaces: Plan | None
) -> PlanImport:
    # The file goes to the default storage (local disk or the object store), so that a worker on
    # another host reads it; it is removed again when the record is not saved.
    name = _upload_storage().save(plan_import_upload_to(None, filename), ContentFile(bytes(data)))
    try:
        return _queue_parse_record(actor, name, filename, region, replaces)
    except BaseException:
        _delete_upload(name)
        raise


@transaction.atomic
def _queue_parse_record(
    actor: User, name: str, filename: str, region: Region | None, replaces: Plan | None
) -> PlanImport:
    record = PlanImport(
        created_by=actor,
        region=replaces.region if replaces is not None else region,
        source_name=filename[:255],
        source_text="",
        replaces=replaces,
        state=ImportState.PARSING,
        upload_file=name,
        progress=0,
    )
    save_as(record, actor=actor, reason="upload")
    pk = record.pk
    transaction.on_commit(lambda: _enqueue("import_parse", pk), robust=True)
    return record


def _enqueue(job: str, import_id: int) -> None:
    # by name: the jobs module imports this one, not the other way round
    celeryapp.get().tasks[f"tasks.jobs.{job}"].delay(import_id)


def plan_import_parse_run(*, import_id: int) -> str:
    """The ``import_parse`` job: read the stored file under the job's limits, once.

    Idempotent: a record no longer waiting to be read is left alone. The file is cleared from the
    record whatever the outcome; a file that breaks a limit ends the import with that error.
    """
    with transaction.atomic():
        record = (
            PlanImport.objects.select_for_update().filter(pk=import_id, state=ImportState.PARSING).first()
        )
        if record is None:
            return "skipped"
        data = _read_upload(record.upload_file.name or "")
        record.progress = 10
        save_as(record, actor=None, update_fields=["progress"], validate=False)
    try:
        source_text, _parsed, usage = import_read(
            data=data,
            filename=record.source_name,
            seconds=float(settings.IPPLAN_IMPORT_JOB_SECONDS),
            on_progress=lambda percent: _progress(import_id, percent),
        )
    except ParseError as error:
        failed: dict[str, Any] = {"code": error.code, "params": _plain(error.params)}
        cost: Usage | None = getattr(error, "usage", None)
        if cost is not None:  # what the refused file cost the worker, for the operator
            failed |= {"seconds": round(cost.seconds, 2), "peak_rss_mb": cost.peak_rss_bytes >> 20}
        _finish_parse(import_id, error=failed)
        return f"failed: {error.code}"
    except Exception as error:  # recorded on the import for the user, and raised for the worker log
        _finish_parse(import_id, error={"code": "internal", "params": {}})
        raise error
    _finish_parse(import_id, source_text=source_text)
    log.info("import %s read in %.1f s, peak %d MB", import_id, usage.seconds, usage.peak_rss_bytes >> 20)
    return "read"


def _read_upload(name: str) -> bytes:
    """The waiting file's bytes (empty when it is gone: the parser then reports an empty file)."""
    if not name:
        return b""
    try:
        with _upload_storage().open(name, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        log.error("the import file %s is missing from the storage", name)
        return b""


def _progress(import_id: int, percent: int) -> None:
    """The reading child's progress, committed at once so that the polling page sees it."""
    PlanImport.objects.filter(pk=import_id, state=ImportState.PARSING, progress__lt=percent).update(
        progress=percent
    )


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in params.items()}


@transaction.atomic
def _finish_parse(
    import_id: int, *, source_text: str | None = None, error: dict[str, Any] | None = None
) -> None:
    record = PlanImport.objects.select_for_update().filter(pk=import_id, state=ImportState.PARSING).first()
    if record is None:
        return
    stored = record.upload_file.name or ""
    record.upload_file = ""  # type: ignore[assignment]
    transaction.on_commit(lambda: _delete_upload(stored), robust=True)
    record.progress = 100
    if error is not None:
        record.state = ImportState.FAILED
        record.error = error
        reason = "read failed"
    else:
        record.state = ImportState.PREVIEWED
        record.source_text = source_text or ""
        reason = "read"
    save_as(
        record,
        actor=None,
        reason=reason,
        update_fields=["upload_file", "progress", "state", "error", "source_text"],
        validate=False,
    )


def import_error_message(record: PlanImport, language: str | None) -> str:
    """Why a job failed, in the user's language (the record keeps the stable code)."""
    error = record.error or {}
    code = str(error.get("code") or "")
    if not code:
        return ""
    if code in ("internal",):
        return _("读取文件时发生内部错误,请重试或联系管理员。")
    if code == "commit":
        return str(error.get("message") or "")
    parse_error = ParseError(code, **dict(error.get("params") or {}))
    return parse_error.message_en if (language or "").startswith("en") else parse_error.message_zh


# --- preview ---------------------------------------------------------------------------------------
@dataclass
class SessionPreview:
    """A session's document with the bureau's edits applied, and its preview.

    ``out_of_scope`` is the region the document or the record names when the user may not import
    for it (the preview then has no region and asks for one)."""

    edited: Edited
    preview: Preview
    out_of_scope: Region | None = None

    @property
    def parsed(self) -> ParsedPlan:
        return self.edited.parsed


def _edited(record: PlanImport, parsed: ParsedPlan | None = None) -> Edited:
    """The stored text parsed again (or ``parsed``, its reading), with the bureau's edits (a copy
    only when there are some)."""
    parsed = parsed if parsed is not None else parse_text(record.source_text)
    return apply_edits(parsed, record.edits) if record.edits else Edited(parsed=parsed)


def import_session_preview(
    *,
    actor: User,
    record: PlanImport,
    region: Region | None = None,
    default_region: Region | None = None,
    parsed: ParsedPlan | None = None,
) -> SessionPreview:
    """The preview of a read import, computed again from its stored text and edits (``parsed``:
    the reading ``import_session_start`` just made, not parsed twice).

    The region is ``region``, else the record's, else the one the document names (its candidates
    listed), else ``default_region``."""
    edited = _edited(record, parsed)
    region = region or record.region
    candidates: list[Region] = []
    if region is None:
        region, candidates = infer_region(edited.parsed)
        region = region or default_region
    out_of_scope = None
    if region is not None and not can(actor, Action.IMPORT_PLAN, region):
        out_of_scope, region = region, None
    preview = import_preview(parsed=edited.parsed, region=region, replaces=record.replaces, infer=False)
    preview.region_candidates = candidates
    return SessionPreview(edited=edited, preview=preview, out_of_scope=out_of_scope)


# --- commit -----------------------------------------------------------------------------------------
@dataclass
class Committed:
    """What a commit did: the plan written (and for a revised plan the diff applied), or, for a
    plan too big to write in the request, nothing yet: the ``import_commit`` job writes it."""

    record: PlanImport
    plan: Plan | None
    diff: PlanDiff | None = None

    @property
    def queued(self) -> bool:
        return self.plan is None


def import_session_commit(
    *, actor: User, record: PlanImport, region: Region | None = None, choices: Choices = NO_CHOICES
) -> Committed:
    """Commit a previewed import: in the request, or for more than
    ``IPPLAN_IMPORT_INLINE_COMMIT_TASKS`` tasks in the ``import_commit`` job (the choices are
    checked now). ValidationError for anything refused; nothing is written then."""
    if record.state == ImportState.PREVIEWED and (
        len(_edited(record).parsed.tasks) > settings.IPPLAN_IMPORT_INLINE_COMMIT_TASKS
    ):
        return Committed(record=_commit_later(actor, record, region, choices), plan=None)
    plan, diff = _commit_now(actor, record, region, choices)
    return Committed(record=record, plan=plan, diff=diff)


def _unprocessed(record: PlanImport) -> None:
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")


def _commit_region(actor: User, record: PlanImport, parsed: ParsedPlan, region: Region | None) -> Region:
    region = region or record.region or infer_region(parsed)[0]
    if region is None:
        raise ValidationError({"region": _("无法从发文机关或标题判断方案所属行政区划,请选择。")})
    require(actor, Action.IMPORT_PLAN, region)
    return region


@transaction.atomic
def _commit_now(
    actor: User, record: PlanImport, region: Region | None, choices: Choices
) -> tuple[Plan, PlanDiff | None]:
    """Write a previewed import: the new plan, or the revised plan with the diff applied."""
    require(actor, Action.IMPORT_PLAN)
    _unprocessed(record)
    edited = _edited(record)
    if edited.unapplied:
        # never commit something other than what the bureau saw: the preview lists these
        raise ValidationError(
            _("以下预览修改无法应用到当前解析结果,请检查:%(edits)s")
            % {"edits": ";".join(f"{summarize(op)}({op['reason']})" for op in edited.unapplied)},
            code="edit_unapplied",
        )
    region = _commit_region(actor, record, edited.parsed, region)
    plan, diff = plan_import_apply(
        actor=actor,
        parsed=edited.parsed,
        region=region,
        replaces=record.replaces,
        choices=choices,
        source_name=record.source_name,
        source_text=record.source_text,
        notes=edited.edited_paths,
    )
    record.state = ImportState.COMMITTED
    record.plan = plan
    save_as(record, actor=actor, update_fields=["state", "plan"])
    _carry_edits_to_plan(plan, record)
    return plan, diff


def _carry_edits_to_plan(plan: Plan, record: PlanImport) -> None:
    """One history row on the plan per preview edit, by its author, so that the plan's audit
    trail shows who corrected what before the commit (the import record keeps them too)."""
    if not record.edits:
        return
    authors = User.objects.in_bulk({op.get("by") for op in record.edits if op.get("by")})
    for op in record.edits:
        when = str(op.get("when", ""))[:16].replace("T", " ")
        save_as(
            plan,
            actor=authors.get(op.get("by")),
            reason=f"导入预览修改 {when}: {summarize(op)}"[:1000],
            update_fields=[],
            validate=False,
        )


@transaction.atomic
def _commit_later(actor: User, record: PlanImport, region: Region | None, choices: Choices) -> PlanImport:
    """Check the choices now and leave the writing to the ``import_commit`` job."""
    require(actor, Action.IMPORT_PLAN)
    record = PlanImport.objects.select_for_update().get(pk=record.pk)
    _unprocessed(record)
    parsed = _edited(record).parsed
    region = _commit_region(actor, record, parsed, region)
    # refuse now, in the request, what the job would refuse: unknown names, a bad mapping
    check_mapping(
        region=region,
        resolutions=import_preview(parsed=parsed, region=region, infer=False).resolutions,
        choices=choices,
    )
    record.state = ImportState.COMMITTING
    record.progress = 0
    record.error = {}
    record.commit_options = {
        "actor": actor.pk,
        "region": region.pk,
        "mapping": choices.mapping,
        "save_aliases": choices.save_aliases,
        "create_missing": choices.create_missing,
        "create_names": list(choices.create_names),
    }
    save_as(
        record,
        actor=actor,
        reason="commit queued",
        update_fields=["state", "progress", "error", "commit_options"],
    )
    pk = record.pk
    transaction.on_commit(lambda: _enqueue("import_commit", pk), robust=True)
    return record


def plan_import_commit_run(*, import_id: int) -> str:
    """The ``import_commit`` job: write the plan in one transaction, or put the import back to
    the preview with the reason (nothing written). Idempotent: only a queued commit runs."""
    with transaction.atomic():
        record = (
            PlanImport.objects.select_for_update(of=("self",))
            .select_related("region", "replaces")
            .filter(pk=import_id, state=ImportState.COMMITTING)
            .first()
        )
        if record is None:
            return "skipped"
        options = record.commit_options or {}
        actor = User.objects.get(pk=options["actor"])
        region = Region.objects.get(pk=options["region"])
        # back to "previewed" inside this transaction: the commit service expects it and sets
        # "committed"; any error rolls both back and the record below says why
        record.state = ImportState.PREVIEWED
        save_as(record, actor=actor, update_fields=["state"], validate=False)
        try:
            with transaction.atomic(), reporting(commit_progress_store(import_id)):
                choices = Choices.of(
                    mapping={str(k): int(v) for k, v in (options.get("mapping") or {}).items()},
                    create_names=options.get("create_names") or [],
                    create_missing=bool(options.get("create_missing")),
                    save_aliases=bool(options.get("save_aliases")),
                )
                plan, _diff = _commit_now(actor, record, region, choices)
        except ValidationError as error:
            commit_progress_clear(import_id)
            record.error = {"code": "commit", "message": " ".join(error.messages)}
            record.progress = 100
            save_as(
                record,
                actor=actor,
                reason="commit failed",
                update_fields=["error", "progress"],
                validate=False,
            )
            return "failed"
        record.progress = 100
        save_as(record, actor=actor, update_fields=["progress"], validate=False)
    commit_progress_clear(import_id)
    return f"committed: plan {plan.pk}"


@transaction.atomic
def import_session_discard(*, actor: User, record: PlanImport) -> PlanImport:
    """Give up a previewed import: nothing of it is written."""
    _unprocessed(record)
    record.state = ImportState.DISCARDED
    return save_as(record, actor=actor, update_fields=["state"])
