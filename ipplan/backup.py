"""Backups: the database and every stored file, with a manifest of SHA-256 checksums.

A backup is a folder::

    manifest.json        what is inside: engine, migrations, row counts, every file's digest
    database.pgdump      PostgreSQL: pg_dump's custom format
    database.sqlite3     SQLite: a copy made through SQLite's online backup API
    media/<name>         each file of the default storage (evidence files, import files, exports)

The row counts are taken in the same snapshot as the dump (PostgreSQL: pg_dump runs on the
snapshot the counting transaction exported; SQLite: counted in the copy), so a restore can check
its own result against them. Files are read and written through Django's storage API, so the
same commands work when the default storage is an object store.

``restore`` verifies the manifest before it changes anything: a missing or altered file, a backup
from another engine or a newer version of ipplan is refused and nothing is touched. On PostgreSQL
the schema is replaced in one transaction (psql --single-transaction), so a failure leaves the
database as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "ipplan-backup"
VERSION = 1
CHUNK = 1024 * 1024
DB_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore refused, with the reason for the operator."""


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, depth first, in a stable order."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local storage whose folder was never created (or was removed)
        if folder:
            raise
        return
    for name in sorted(files):
        yield str(PurePosixPath(folder, name)) if folder else name
    for sub in sorted(folders):
        yield from storage_files(storage, str(PurePosixPath(folder, sub)) if folder else sub)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"unsafe file name in the manifest: {name!r}")
    return str(path)


def _tables() -> list[str]:
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    tables.add(MigrationRecorder.Migration._meta.db_table)
    existing = set(connection.introspection.table_names())
    return sorted(tables & existing)


def _count(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied_migrations() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise BackupError(f"unsupported database engine: {vendor}")
    return vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment of the default database (the password never on a command line)."""
    db = connections["default"].settings_dict
    env = dict(os.environ)
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], **kwargs: Any) -> None:
    try:
        result = subprocess.run(command, capture_output=True, check=False, **kwargs)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools are needed)") from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.decode(errors='replace').strip()[-2000:]}")


def _dump_postgresql(target: Path) -> dict[str, int]:
    args, env = _pg_env()
    quote = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count(cursor, _tables(), quote)
        # pg_dump reads the very snapshot the counts were taken in
        _run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                str(connections["default"].settings_dict["NAME"]),
            ],
            env=env,
        )
    return counts


def _dump_sqlite(target: Path) -> dict[str, int]:
    source = sqlite3.connect(str(connections["default"].settings_dict["NAME"]))
    copy = sqlite3.connect(str(target))
    try:
        with copy:
            source.backup(copy)  # consistent even while others write
        tables = _tables()
        return _count(copy.cursor(), tables, connection.ops.quote_name)
    finally:
        copy.close()
        source.close()


def backup(
    dest: Path, *, storage: Storage | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Write a backup of the database and the stored files into the new or empty folder ``dest``."""
    storage = storage or default_storage
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: choose a new one")
    dest.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    db_file = dest / DB_FILES[engine]
    counts = _dump_postgresql(db_file) if engine == "postgresql" else _dump_sqlite(db_file)
    db_digest, db_size = _sha256_file(db_file)
    log(f"database ({engine}): {db_size} bytes, {sum(counts.values())} rows in {len(counts)} tables")

    files: list[dict[str, Any]] = []
    total = 0
    for name in storage_files(storage):
        target = dest / "media" / _safe_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as source, target.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        files.append({"name": name, "sha256": digest.hexdigest(), "size": size})
        total += size
    log(f"files: {len(files)}, {total} bytes")

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "database": {"file": db_file.name, "sha256": db_digest, "size": db_size},
        "migrations": _applied_migrations(),
        "row_counts": counts,
        "files": files,
    }
    # written last: a folder without a manifest is an unfinished backup
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"manifest: {dest / 'manifest.json'}")
    return manifest


@dataclass
class Verified:
    manifest: dict[str, Any]
    database: Path
    missing_migrations: list[list[str]]


def verify(src: Path) -> Verified:
    """Check a backup against its manifest without changing anything; raise BackupError if it differs."""
    src = Path(src)
    manifest_path = src / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path} is missing: not a backup, or an unfinished one")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{manifest_path} is not readable JSON: {error}") from error
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{manifest_path}: not an ipplan backup of version {VERSION}")
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(
            f"the backup is of a {manifest['engine']} database and this installation uses {engine}"
        )
    problems = []
    database = src / _safe_name(manifest["database"]["file"])
    entries = [(database, manifest["database"]["file"], manifest["database"])]
    entries += [(src / "media" / _safe_name(item["name"]), item["name"], item) for item in manifest["files"]]
    for path, name, expected in entries:
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        digest, size = _sha256_file(path)
        if size != expected["size"] or digest != expected["sha256"]:
            problems.append(
                f"{name}: checksum mismatch (sha256 {digest[:12]}…, expected {expected['sha256'][:12]}…)"
            )
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise BackupError(f"the backup does not match its manifest, nothing was restored: {shown}")

    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, name in manifest["migrations"]}
    unknown = sorted(in_backup - known)
    if unknown:
        raise BackupError(
            "the backup was made by a newer ipplan (migrations this code does not have: "
            + ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            + "): restore it with that version"
        )
    missing = sorted([app, name] for app, name in known - in_backup)
    return Verified(manifest=manifest, database=database, missing_migrations=missing)


def _restore_postgresql(dump: Path) -> None:
    args, env = _pg_env()
    name = str(connections["default"].settings_dict["NAME"])
    connections.close_all()
    script = subprocess.Popen(
        ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert script.stdout is not None
    # One transaction: the old schema goes and the backup comes in together, or nothing changes.
    psql = subprocess.Popen(
        ["psql", *args, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
         "--dbname", name, "--file=-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )  # fmt: skip
    assert psql.stdin is not None
    try:
        psql.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        shutil.copyfileobj(script.stdout, psql.stdin, CHUNK)
        psql.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped on an error; its message follows
    script_err = script.stderr.read() if script.stderr else b""
    psql_err = psql.stderr.read() if psql.stderr else b""
    if script.wait() != 0:
        psql.kill()
        psql.wait()
        raise BackupError(
            f"pg_restore failed, nothing was changed: {script_err.decode(errors='replace')[-2000:]}"
        )
    if psql.wait() != 0:
        raise BackupError(f"psql failed, nothing was changed: {psql_err.decode(errors='replace')[-2000:]}")


def _restore_sqlite(copy: Path) -> None:
    live = str(connections["default"].settings_dict["NAME"])
    connections.close_all()
    source = sqlite3.connect(str(copy))
    target = sqlite3.connect(live)
    try:
        with target:
            source.backup(target)  # replaces every page of the live database at once
    finally:
        target.close()
        source.close()


def _restore_files(src: Path, manifest: dict[str, Any], storage: Storage) -> tuple[int, int]:
    wanted = {item["name"] for item in manifest["files"]}
    removed = 0
    for name in list(storage_files(storage)):
        if name not in wanted:  # not in the backup: it belongs to a state that no longer exists
            storage.delete(name)
            removed += 1
    for item in manifest["files"]:
        name = _safe_name(item["name"])
        if storage.exists(name):
            storage.delete(name)
        with (src / "media" / name).open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"the storage saved {name} as {saved}")
    return len(wanted), removed


def restore(
    src: Path,
    *,
    storage: Storage | None = None,
    log: Callable[[str], None] = print,
    checked: Verified | None = None,
) -> dict[str, Any]:
    """Replace the database and the stored files with the backup in ``src`` (verified first)."""
    storage = storage or default_storage
    checked = checked or verify(src)
    manifest = checked.manifest
    log(f"backup of {manifest['created_at']} verified: database and {len(manifest['files'])} files")
    if manifest["engine"] == "postgresql":
        _restore_postgresql(checked.database)
    else:
        _restore_sqlite(checked.database)
    log("database restored")
    restored, removed = _restore_files(Path(src), manifest, storage)
    log(f"files restored: {restored} (removed {removed} not in the backup)")

    counts = _count(connection.cursor(), sorted(manifest["row_counts"]), connection.ops.quote_name)
    differing = {t: (counts.get(t), n) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
    if differing:
        raise BackupError(f"row counts differ from the manifest after the restore: {differing}")
    log(f"row counts equal the manifest: {sum(counts.values())} rows in {len(counts)} tables")

    from django.core.cache import cache

    cache.clear()  # nothing cached from the replaced state survives
    if checked.missing_migrations:
        log(
            f"the backup predates {len(checked.missing_migrations)} migration(s) of this code: "
            "run `python manage.py migrate` now"
        )
    return manifest
