"""Evidence files of progress reports: recognised by content, stored under a generated name.

A file's type is decided by its bytes (magic numbers, the parts inside an Office zip, a text
decoding), never by its name: an .exe renamed .pdf is refused. Files are stored only after every
file of the upload passed, and a failure later in the same service deletes what was stored.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from departments.models import User
from ipplan.audit import save_as
from ipplan.exceptions import TransitionError
from ipplan.permissions import Action, require
from planparser import filetype

from ..choices import ReviewStatus
from ..models import Attachment, ProgressReport

logger = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 10

#: extension -> content type of every kind of file accepted (recognised by content).
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "txt": "text/plain",
}
#: Name suffixes that already match a kind; any other name gets the kind's extension on download.
_SUFFIXES = {"jpg": {"jpg", "jpeg", "jpe"}}
#: what the sniffer calls a kind accepted by its content alone, and the kind it is stored as
_SIGNED_KINDS = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "gif": "gif"}
_TEXT_CHARSETS = ("utf-8", "gb18030")
# Binary files decode as GB18030 surprisingly often; real text has no such control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

if TYPE_CHECKING:
    UploadedFile: TypeAlias = File[Any]
else:  # File is generic only in the type stubs
    UploadedFile = File


def _storage() -> Storage:
    return Attachment._meta.get_field("file").storage  # type: ignore[attr-defined, no-any-return]


def upload_name(file: UploadedFile) -> str:
    """The uploader's file name without any directory part or control characters."""
    raw = str(file.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _CONTROL.sub("", raw).strip()[:255] or _("附件")


def _refuse(file: UploadedFile, message: str, **params: object) -> ValidationError:
    return ValidationError(
        {"attachments": message % {"name": upload_name(file), **params}}, code="invalid_upload"
    )


def _office_kind(file: UploadedFile) -> str | None:
    try:
        names = filetype.zip_names(file)
    except filetype.ZIP_ERRORS:
        return None
    # evidence has no need of macros (.docm, .xlsm carry a VBA project)
    if not filetype.is_office_package(names) or filetype.has_macros(names):
        return None
    kind = filetype.archive_kind(names)
    return kind if kind in ALLOWED_TYPES else None


def _text_charset(file: UploadedFile) -> str | None:
    file.seek(0)
    data = file.read()
    data = data.removeprefix(codecs.BOM_UTF8)
    for charset in _TEXT_CHARSETS:
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        return None if _CONTROL.search(text) else charset
    return None


def _sniff(file: UploadedFile) -> tuple[str, str] | None:
    file.seek(0)
    found = filetype.signature(file.read(8))
    kind = found.kind if found is not None else ""
    if kind in _SIGNED_KINDS:
        return ALLOWED_TYPES[_SIGNED_KINDS[kind]], _SIGNED_KINDS[kind]
    if kind == "zip":
        office = _office_kind(file)
        return (ALLOWED_TYPES[office], office) if office else None
    # any other signature may be text that happens to start like one (BM…, MZ…): its decoding decides
    charset = _text_charset(file)
    return (f"{ALLOWED_TYPES['txt']}; charset={charset}", "txt") if charset else None


def validate_upload(file: UploadedFile) -> tuple[str, str]:
    """(content type, extension) of an acceptable evidence file, recognised by its content."""
    size = file.size or 0
    if size == 0:
        raise _refuse(file, _("文件“%(name)s”是空文件。"))
    if size > MAX_ATTACHMENT_BYTES:
        raise _refuse(file, _("文件“%(name)s”超过大小上限 %(limit)s MB。"), limit=MAX_ATTACHMENT_BYTES >> 20)
    kind = _sniff(file)
    file.seek(0)
    if kind is None:
        raise _refuse(
            file,
            _(
                "文件“%(name)s”不是允许的类型:只接受 PDF、Word(.docx)、Excel(.xlsx)、PowerPoint(.pptx)、JPEG、PNG、GIF 图片和纯文本文件。"
            ),
        )
    return kind


def validate_uploads(files: Sequence[UploadedFile]) -> list[tuple[str, str]]:
    """Check every file of one upload; the error lists each refused file by name."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": _("一次最多上传 %(max)s 个附件,您选择了 %(count)s 个。")
                % {"max": MAX_ATTACHMENTS, "count": len(files)}
            },
            code="too_many",
        )
    kinds: list[tuple[str, str]] = []
    errors: list[str] = []
    for file in files:
        try:
            kinds.append(validate_upload(file))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors}, code="invalid_upload")
    return kinds


@contextmanager
def files_discarded_on_error() -> Iterator[list[str]]:
    """Yield a list for the names of files stored in the block; delete them if the block raises.

    Wrap it around the whole ``transaction.atomic`` block (not inside it), so a failure at commit
    is covered too: the database rows roll back, and this removes the files they pointed to.
    """
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            try:
                _storage().delete(name)
            except OSError:  # keep the original error; an orphan file is the lesser harm
                logger.exception("could not delete the stored attachment %s after a failure", name)
        raise


#: Digest algorithms an attachment may be stored with (IPPLAN_FILE_DIGEST chooses for new files).
DIGEST_ALGORITHMS = ("sha256", "sm3")


def file_hasher(algorithm: str) -> Any:
    """A new hash object of ``algorithm``, from OpenSSL through hashlib (SM3 included)."""
    if algorithm not in DIGEST_ALGORITHMS:
        raise ImproperlyConfigured(
            f"IPPLAN_FILE_DIGEST must be one of {', '.join(DIGEST_ALGORITHMS)}, not {algorithm!r}"
        )
    try:
        return hashlib.new(algorithm)
    except ValueError:
        raise ImproperlyConfigured(
            f"the digest {algorithm!r} is not available from this Python's OpenSSL (SM3 needs OpenSSL 1.1.1+)"
        ) from None


def store_file(
    *, report: ProgressReport, file: UploadedFile, actor: User, content_type: str, stored: list[str]
) -> Attachment:
    """Store one already-validated file under a generated name; appends the name to ``stored``."""
    algorithm = settings.IPPLAN_FILE_DIGEST
    digest = file_hasher(algorithm)
    for chunk in file.chunks():
        digest.update(chunk)
    attachment = Attachment(
        report=report,
        token=secrets.token_hex(16),
        original_name=upload_name(file),
        content_type=content_type,
        size=file.size or 0,
        digest=digest.hexdigest(),
        digest_algorithm=algorithm,
        uploaded_by=actor,
    )
    attachment.file.save(attachment.token, file, save=False)
    stored.append(attachment.file.name or "")
    return save_as(attachment, actor=actor, reason="upload")


def attachment_store(*, report: ProgressReport, file: UploadedFile, actor: User) -> Attachment:
    """Add one evidence file to a pending report of the actor's own department."""
    with files_discarded_on_error() as stored:
        return _attachment_store(report=report, file=file, actor=actor, stored=stored)


@transaction.atomic
def _attachment_store(
    *, report: ProgressReport, file: UploadedFile, actor: User, stored: list[str]
) -> Attachment:
    require(actor, Action.SUBMIT_REPORT, report.task)
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    require(actor, Action.AMEND_REPORT, report)  # only the reporting department adds evidence
    if report.review_status != ReviewStatus.PENDING:
        raise TransitionError(_("该进展填报已审核,不能再添加附件。"), code="invalid_transition")
    if report.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("每份进展填报最多 %(max)s 个附件。") % {"max": MAX_ATTACHMENTS}},
            code="too_many",
        )
    content_type, _ext = validate_upload(file)
    return store_file(report=report, file=file, actor=actor, content_type=content_type, stored=stored)


def download_name(attachment: Attachment) -> str:
    """The original name, with the extension of the real content appended when it differs.

    Served files keep their uploader's name, but never a suffix that would make the saved copy
    open as something else (a text file named page.html downloads as page.html.txt).
    """
    base_type = attachment.content_type.split(";", 1)[0].strip()
    ext = next((e for e, t in ALLOWED_TYPES.items() if t == base_type), "bin")
    name = attachment.original_name
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.lower() in _SUFFIXES.get(ext, {ext}):
        return name
    return f"{name}.{ext}"


class AttachmentIntegrityError(Exception):
    """The stored file is not the one that was uploaded (changed or replaced behind the app's back)."""

    def __init__(self, message: str, *, attachment: Attachment, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.attachment = attachment
        self.reason = reason


def _integrity_problem(attachment: Attachment, handle: File[Any]) -> str | None:
    """Why the open stored file does not match what was stored (None: it matches)."""
    digest = file_hasher(attachment.digest_algorithm)
    size = 0
    handle.seek(0)
    for chunk in handle.chunks():
        digest.update(chunk)
        size += len(chunk)
    if size != attachment.size:
        return f"size {size} != stored {attachment.size}"
    if not secrets.compare_digest(digest.hexdigest(), attachment.digest):
        return f"{attachment.digest_algorithm} digest mismatch"
    sniffed = _sniff(handle)
    if sniffed is None or sniffed[0] != attachment.content_type:
        return (
            f"content sniffed as {sniffed[0] if sniffed else 'unknown'}, stored as {attachment.content_type}"
        )
    return None


def _refused(attachment: Attachment, problem: str) -> AttachmentIntegrityError:
    """Log why a stored file failed its integrity check; the refusal to raise."""
    logger.error(
        "evidence file refused: attachment %s (report %s, stored as %s) failed its integrity check: %s",
        attachment.pk,
        attachment.report_id,
        attachment.file.name,
        problem,
    )
    return AttachmentIntegrityError(
        _("附件“%(name)s”未通过完整性校验(文件已被改动或缺失),已拒绝下载并记录。请联系系统管理员。")
        % {"name": attachment.original_name},
        attachment=attachment,
        reason=problem,
    )


def attachment_open(*, actor: User, attachment: Attachment) -> tuple[File[Any], str, str]:
    """(open binary file, content type, download name) of an attachment the actor may see.

    The file is checked before it is served: its size, its digest (with the algorithm it was
    stored with) and its content type as sniffed now must match what was recorded at upload. A
    file changed behind the app's back is refused (AttachmentIntegrityError) and logged.
    """
    require(actor, Action.VIEW_TASK, attachment)
    handle: File[Any] | None = None
    try:
        handle = _storage().open(attachment.file.name or "", "rb")
    except OSError:
        problem: str | None = "stored file missing"
    else:
        problem = _integrity_problem(attachment, handle)
    if problem is not None:
        if handle is not None:
            handle.close()
        raise _refused(attachment, problem)
    assert handle is not None
    handle.seek(0)
    return handle, attachment.content_type, download_name(attachment)


def _object_store(storage: Storage) -> Any:
    """The S3 storage behind ``storage`` (a lazy default storage included), or None."""
    from storages.backends.s3 import S3Storage

    storage.exists  # noqa: B018 (a lazy storage sets itself up on first use)
    wrapped = getattr(storage, "_wrapped", storage)
    return wrapped if isinstance(wrapped, S3Storage) else None


def attachment_presigned_url(*, actor: User, attachment: Attachment) -> str | None:
    """A short-lived signed URL of an attachment the actor may see, or None to stream it instead.

    Only with ``IPPLAN_DOWNLOADS=presigned`` and an object store; the permission check comes
    first, then one HEAD of the object: a missing file or one of another size is refused
    (AttachmentIntegrityError) like a streamed one. The digest is checked only when streaming (the
    app never sees the bytes of a presigned download). The URL names the download, its type and
    ``no-store`` in its signed parameters, and expires after ``IPPLAN_PRESIGNED_SECONDS``.
    """
    require(actor, Action.VIEW_TASK, attachment)
    storage = _object_store(_storage())
    if settings.IPPLAN_DOWNLOADS != "presigned" or storage is None:
        return None
    name = attachment.file.name or ""
    try:
        size: int | None = storage.size(name)
    except OSError:
        size = None
    if size != attachment.size:
        problem = "stored file missing" if size is None else f"size {size} != stored {attachment.size}"
        raise _refused(attachment, problem)
    parameters = {
        "ResponseContentDisposition": content_disposition_header(True, download_name(attachment)),
        "ResponseContentType": attachment.content_type,
        "ResponseCacheControl": "private, no-store",
    }
    return str(storage.url(name, parameters=parameters, expire=settings.IPPLAN_PRESIGNED_SECONDS))
