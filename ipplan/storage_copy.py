"""Copy every stored file from one storage to another, checked by SHA-256, safe to run again.

Used to move an installation's files from local disk to an object store (or back, or between two
buckets) before switching ``IPPLAN_STORAGE``. A file already at the target with the same content is
left alone, so an interrupted copy is resumed by running it again; a file at the target with other
content is a conflict, reported and left alone unless ``replace`` is asked for. Every copied file
is read back from the target and its checksum compared with the source's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from ipplan.backup import CHUNK, storage_files


class StorageCopyError(Exception):
    """A storage that cannot be used, named for the operator."""


@dataclass
class CopyResult:
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.failed


def storage_from_spec(spec: str) -> Storage:
    """``default`` or another alias of ``STORAGES``, or a local folder (an absolute path, or
    ``file:///path``) read or written as a FileSystemStorage."""
    if spec.startswith("file://"):
        spec = spec.removeprefix("file://")
    if spec.startswith("/"):
        return FileSystemStorage(location=Path(spec))
    if spec == "staticfiles":
        raise StorageCopyError("the static files are built by collectstatic, not copied")
    try:
        return storages[spec]
    except Exception as error:  # InvalidStorageError: an unknown alias
        raise StorageCopyError(f"{spec!r} is neither an alias of STORAGES nor an absolute folder") from error


def sha256_of(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_storage(
    source: Storage,
    target: Storage,
    *,
    replace: bool = False,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> CopyResult:
    """Copy each file of ``source`` to the same name in ``target``; see the module's docstring."""
    result = CopyResult()
    for name in storage_files(source):
        checksum = sha256_of(source, name)
        if target.exists(name):
            if sha256_of(target, name) == checksum:
                result.unchanged.append(name)
                continue
            if not replace:
                log(f"conflict: {name} differs at the target (left alone; --replace overwrites it)")
                result.conflicts.append(name)
                continue
            if not dry_run:
                target.delete(name)
        if dry_run:
            log(f"would copy {name}")
            result.copied.append(name)
            continue
        with source.open(name, "rb") as handle:
            saved = target.save(name, File(handle, name=name))
        if saved != name:
            log(f"failed: the target stored {name} as {saved}")
            target.delete(saved)
            result.failed.append(name)
            continue
        if sha256_of(target, name) != checksum:
            log(f"failed: {name} read back from the target with another checksum")
            result.failed.append(name)
            continue
        log(f"copied {name} (sha256 {checksum[:12]}…)")
        result.copied.append(name)
    return result
