"""The import session shared by the browser and the API: upload -> (job) read -> preview -> commit.

A document is read once per upload, in a child process under a memory cap and a deadline
(``planparser.limits``). Small files are read in the request; bigger ones (over
``IPPLAN_IMPORT_INLINE_BYTES``) wait on the import record for the ``import_parse`` job, which
reports progress there and ends with the preview or a clear error. Committing a plan with many
tasks is a job as well (``import_commit``), so no request waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, Region, User
from ipplan.audit import save_as
from ipplan.permissions import Action, require

from ...choices import ImportState
from ...models import Plan, PlanImport, plan_import_upload_to
from planparser import ParseError
from planparser.limits import Usage, read_document_limited
from planparser.model import ParsedPlan
from . import import_preview, infer_region, plan_import_commit_record, plan_import_start
from .progress import commit_progress_clear, commit_progress_store, reporting

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
    record = plan_import_start(
        actor=actor,
        source_text=source_text,
        source_name=filename if data is not None else "",
        region=region,
        replaces=replaces,
    )
    return ImportSession(record=record, parsed=parsed, usage=usage)


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
    current_app.tasks[f"tasks.jobs.{job}"].delay(import_id)


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


# --- commit -----------------------------------------------------------------------------------------
def import_task_count(record: PlanImport) -> int:
    from planparser import parse_text

    return len(parse_text(record.source_text).tasks) if record.source_text else 0


def _check_commit(
    *,
    record: PlanImport,
    region: Region,
    mapping: dict[str, int],
    create_names: Iterable[str],
    create_missing: bool,
) -> None:
    """Refuse now, in the request, what the commit job would refuse: unknown names, bad mapping."""
    from planparser import parse_text

    preview = import_preview(parsed=parse_text(record.source_text), region=region, infer=False)
    visible = {r.pk for r in region.ancestors_and_self()}
    known = set(
        Department.objects.filter(pk__in=set(mapping.values()), region__in=visible).values_list(
            "pk", flat=True
        )
    )
    for name, pk in mapping.items():
        if pk not in known:
            raise ValidationError(
                {"mapping": _("“%(name)s”映射到的单位不存在或不属于本区划。") % {"name": name}}
            )
    to_create = set(create_names)
    missing = [
        r.name
        for r in preview.unresolved
        if r.name not in mapping and r.name not in to_create and not create_missing
    ]
    if missing:
        raise ValidationError(
            _("以下单位尚未对应到单位库,请映射或新建:%(names)s") % {"names": "、".join(missing)},
            code="unresolved_departments",
            params={"names": missing},
        )


@transaction.atomic
def plan_import_commit_queue(
    *,
    actor: User,
    record: PlanImport,
    region: Region | None = None,
    mapping: dict[str, int] | None = None,
    save_aliases: bool = False,
    create_missing: bool = False,
    create_names: Iterable[str] = (),
) -> PlanImport:
    """Check the choices now and leave the writing to the ``import_commit`` job."""
    from planparser import parse_text

    require(actor, Action.IMPORT_PLAN)
    record = PlanImport.objects.select_for_update().get(pk=record.pk)
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")
    region = region or record.region or infer_region(parse_text(record.source_text))[0]
    if region is None:
        raise ValidationError({"region": _("无法从发文机关或标题判断方案所属行政区划,请选择。")})
    require(actor, Action.IMPORT_PLAN, region)
    names = [str(n) for n in create_names]
    _check_commit(
        record=record, region=region, mapping=mapping or {}, create_names=names, create_missing=create_missing
    )
    record.state = ImportState.COMMITTING
    record.progress = 0
    record.error = {}
    record.commit_options = {
        "actor": actor.pk,
        "region": region.pk,
        "mapping": mapping or {},
        "save_aliases": save_aliases,
        "create_missing": create_missing,
        "create_names": names,
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
                plan, _diff = plan_import_commit_record(
                    actor=actor,
                    record=record,
                    region=region,
                    mapping={str(k): int(v) for k, v in (options.get("mapping") or {}).items()},
                    save_aliases=bool(options.get("save_aliases")),
                    create_missing=bool(options.get("create_missing")),
                    create_names=list(options.get("create_names") or []),
                )
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
