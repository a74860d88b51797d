""".doc and .wps (LibreOffice headless) and .ofd (the package's text objects) import like a .docx;
a corrupt one gets a clear error and writes nothing; without LibreOffice the refusal is clear."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from planparser import ParseError, extract_text
from planparser import convert as convert_module
from planparser.limits import ArchiveLimits
from tasks.models import Plan, PlanImport

from ..conftest import World
from .files import docx_bytes, ofd_bytes, soffice_convert

pytestmark = pytest.mark.django_db

# a compound-file header (signature, version 3, byte order, 512-byte sectors) over garbage
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")


@pytest.fixture(scope="module")
def doc_file() -> bytes:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    return soffice_convert(docx_bytes(), "docx", "doc:MS Word 97")


@pytest.fixture
def bureau(client: Client, world: World) -> Client:
    client.force_login(world.users["bureau"])
    return client


def _import(bureau: Client, name: str, data: bytes) -> PlanImport:
    response = bureau.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return PlanImport.objects.get()


def _commit(bureau: Client, world: World, record: PlanImport) -> Plan:
    form = {"region": world.city.pk, "map_0": "__create__", "map_1": "__create__"}
    response = bureau.post(reverse("tasks:import_preview", args=[record.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    record.refresh_from_db()
    assert record.plan is not None
    return record.plan


@needs_soffice
@pytest.mark.parametrize("extension", [".doc", ".wps"])
def test_word_97_and_wps_files_import(bureau: Client, world: World, doc_file: bytes, extension: str) -> None:
    # a WPS Office .wps document is a Word 97 binary document under another name
    assert doc_file.startswith(b"\xd0\xcf\x11\xe0")
    record = _import(bureau, f"方案{extension}", doc_file)
    assert record.source_name == f"方案{extension}" and "东府办〔2026〕7号" in record.source_text
    plan = _commit(bureau, world, record)
    assert plan.doc_number == "东府办〔2026〕7号"
    assert sorted(plan.tasks.values_list("path", flat=True)) == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert (
        plan.tasks.get(path="二.(一).1").assignments.filter(role="lead", department__name="市科技局").exists()
    )


def test_ofd_file_imports(bureau: Client, world: World) -> None:
    record = _import(bureau, "方案.ofd", ofd_bytes())
    # the runs of a line come back in reading order, whatever their order in the file
    assert "1. 培育高价值专利组合,支持企业布局核心专利。(市科技局、知识产权局)" in record.source_text
    plan = _commit(bureau, world, record)
    assert plan.tasks.count() == 3 and plan.doc_number == "东府办〔2026〕7号"


def test_ofd_is_recognised_by_content_and_kept_under_the_archive_limits() -> None:
    assert "东府办〔2026〕7号" in extract_text(ofd_bytes(), "download.bin")
    buffer = io.BytesIO(ofd_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        for i in range(30):
            archive.writestr(f"Doc_0/Res/{i}.xml", "<a/>")
    with pytest.raises(ParseError) as caught:
        convert_module.ofd_text(buffer.getvalue(), ArchiveLimits(max_entries=20))
    assert caught.value.code == "too_many_parts"


def _corrupt_ofd() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody/></ofd:OFD>'
        )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("坏.doc", OLE_HEADER + b"\x00\xff" * 3000, marks=needs_soffice, id="doc"),
        pytest.param("坏.wps", OLE_HEADER + b"garbage" * 900, marks=needs_soffice, id="wps"),
        pytest.param(
            "坏.doc", b"this is not a word document at all" * 20, marks=needs_soffice, id="doc-text"
        ),
        pytest.param("坏.ofd", _corrupt_ofd(), id="ofd-no-docroot"),
        pytest.param("坏.ofd", ofd_bytes()[:400], id="ofd-truncated"),
    ],
)
def test_corrupt_files_get_a_clear_error_and_write_nothing(bureau: Client, name: str, data: bytes) -> None:
    plans = Plan.objects.count()
    response = bureau.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert "文件已损坏或格式不正确" in response.content.decode()
    assert not PlanImport.objects.exists() and Plan.objects.count() == plans
    api = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile(name, data)})
    assert api.status_code == 422 and api.json()["code"] == "malformed"
    assert not PlanImport.objects.exists()


def test_without_libreoffice_doc_and_wps_are_refused_clearly(
    bureau: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(convert_module, "soffice_path", lambda: None)
    data = OLE_HEADER + b"\x00" * 2000
    for name in ("方案.doc", "方案.wps"):
        response = bureau.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 400
        assert "服务器未安装 LibreOffice" in response.content.decode()
        api = bureau.post(
            "/api/v1/imports/", {"file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert api.status_code == 422 and api.json()["code"] == "converter_missing"
        assert "LibreOffice is not installed" in api.json()["detail"]
    assert not PlanImport.objects.exists()


def test_the_docker_image_installs_libreoffice_for_doc_and_wps() -> None:
    """The image converts .doc/.wps like a host set up by bin/install: the apt step installs it."""
    from pathlib import Path

    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text(encoding="utf-8")
    installs = [
        line
        for line in dockerfile.replace("\\\n", " ").splitlines()
        if line.startswith("RUN ") and "apt-get install" in line
    ]
    assert any("libreoffice-writer-nogui" in line.split() for line in installs), installs
