"""An S3-protocol server on loopback for the storage tests: moto's server mode, started once.

Each test that asks for ``s3`` gets a new, empty bucket and the default storage pointed at it
(the same options ``IPPLAN_STORAGE=s3`` sets), so tests never see each other's objects.
"""

from __future__ import annotations

import runpy
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest

ACCESS_KEY = "ipplan-test"
SECRET_KEY = "ipplan-test-secret"
REGION = "us-east-1"
SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"


@dataclass
class S3:
    endpoint: str
    bucket: str
    client: Any

    def objects(self, prefix: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def env(self) -> dict[str, str]:
        """What a child process needs to use this bucket (the documented variables)."""
        return s3_variables(self.endpoint, self.bucket)


def s3_variables(endpoint: str, bucket: str) -> dict[str, str]:
    """The documented variables that point ipplan at ``bucket`` on the server at ``endpoint``."""
    return {
        "IPPLAN_STORAGE": "s3",
        "IPPLAN_S3_ENDPOINT_URL": endpoint,
        "IPPLAN_S3_BUCKET": bucket,
        "IPPLAN_S3_ACCESS_KEY": ACCESS_KEY,
        "IPPLAN_S3_SECRET_KEY": SECRET_KEY,
        "IPPLAN_S3_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def storage_options(endpoint: str, bucket: str) -> dict[str, Any]:
    """The default storage's entry of STORAGES as config/settings.py builds it for ``bucket`` on
    the server at ``endpoint`` (the settings file run again with ``s3_variables``), with one
    attempt instead of the settings' three: a test against a local server fails at once."""
    with tempfile.TemporaryDirectory() as data, pytest.MonkeyPatch.context() as patch:
        for name, value in {**s3_variables(endpoint, bucket), "IPPLAN_DATA_DIR": data}.items():
            patch.setenv(name, value)
        entry: dict[str, Any] = runpy.run_path(str(SETTINGS))["STORAGES"]["default"]
    options = entry["OPTIONS"]
    options["client_config"] = options["client_config"].merge(
        botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    )
    return entry


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, settings: Any) -> S3:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    bucket = f"ipplan-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": storage_options(s3_endpoint, bucket)}
    settings.IPPLAN_STORAGE = "s3"
    return S3(s3_endpoint, bucket, client)
