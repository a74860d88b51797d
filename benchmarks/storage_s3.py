"""Evidence files on local disk against an S3-protocol server (moto's, on loopback).

    .venv/bin/python -m benchmarks.storage_s3 [--files 50] [--mb 2]

For each storage: save N files of the given size (as an upload does), read each back through
``storage.open`` with its SHA-256 (as a streamed download does), a presigned URL per file (S3),
and ``storage_copy`` of the local files into a new bucket, then the same copy again (all
unchanged). Moto is a Python server in this process: its figures bound a real store from below,
they do not measure MinIO.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import boto3  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage, Storage  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from storages.backends.s3 import S3Storage  # noqa: E402

from ipplan.storage_copy import copy_storage  # noqa: E402
from tests.storage.conftest import ACCESS_KEY, REGION, SECRET_KEY, storage_options  # noqa: E402


def new_bucket(endpoint: str) -> S3Storage:
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    ).create_bucket(Bucket=bucket)  # fmt: skip
    return S3Storage(**storage_options(endpoint, bucket)["OPTIONS"])


def timed(label: str, count: int, size: int, work: Callable[[], object]) -> None:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    megabytes = count * size / 1024 / 1024
    print(f"  {label:<34} {seconds:7.2f} s  {count / seconds:7.1f} files/s  {megabytes / seconds:7.1f} MB/s")


def run(storage: Storage, label: str, files: int, size: int) -> None:
    print(label)
    payload = os.urandom(size)
    names: list[str] = []

    def save() -> None:
        for number in range(files):
            names.append(storage.save(f"attachments/bench/{number:05d}", ContentFile(payload)))

    def read() -> None:
        for name in names:
            digest = hashlib.sha256()
            with storage.open(name, "rb") as handle:
                for chunk in handle.chunks():
                    digest.update(chunk)
            assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()

    timed("save (upload)", files, size, save)
    timed("open + SHA-256 (streamed download)", files, size, read)
    if isinstance(storage, S3Storage):
        timed("presigned URL", files, 0, lambda: [storage.url(n, expire=60) for n in names])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--mb", type=float, default=2)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            local = FileSystemStorage(location=Path(folder))
            print(f"{args.files} files of {args.mb} MB")
            run(local, "local disk (FileSystemStorage)", args.files, size)
            run(new_bucket(endpoint), "S3 protocol (moto server on loopback)", args.files, size)
            target = new_bucket(endpoint)
            print("storage_copy local -> new bucket")
            timed(
                "first copy (read back, compared)",
                args.files,
                size,
                lambda: copy_storage(local, target, log=lambda _m: None),
            )
            timed(
                "again (every file unchanged)",
                args.files,
                size,
                lambda: copy_storage(local, target, log=lambda _m: None),
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
