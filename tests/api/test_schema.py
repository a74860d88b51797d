"""The OpenAPI schema: valid, complete, and served with its documentation from our own files."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

UNSAFE = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", *UNSAFE}
    ]


def test_schema_validates_against_the_openapi_specification(schema: dict[str, Any]) -> None:
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 meta-schema
    assert schema["openapi"].startswith("3.") and len(_operations(schema)) >= 45


def test_every_operation_documents_its_errors_in_the_one_format(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        for code in ("400", "401", "403", "404", "429"):
            content = responses[code]["content"]
            assert list(content) == ["application/problem+json"], (method, path, code)
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if method in UNSAFE:
            assert {"409", "422"} <= responses.keys(), (method, path)
        assert operation.get("description") or operation.get("summary"), f"{method} {path} is not described"
        assert operation["security"], (method, path)


def test_writes_to_versioned_objects_require_if_match(schema: dict[str, Any]) -> None:
    guarded = {
        (method, path)
        for method, path, operation in _operations(schema)
        if any(
            p["name"] == "If-Match" and p["in"] == "header" and p["required"]
            for p in operation.get("parameters", [])
        )
    }
    assert ("patch", "/api/v1/tasks/{id}/") in guarded
    assert ("post", "/api/v1/tasks/{id}/completion/") in guarded
    assert ("delete", "/api/v1/webhooks/{id}/") in guarded
    for method, path in guarded:
        responses = schema["paths"][path][method]["responses"]
        assert {"412", "428"} <= responses.keys(), (method, path)
    task = schema["paths"]["/api/v1/tasks/{id}/"]["get"]
    assert task["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert "304" in task["responses"]


def test_lists_offer_page_numbers_and_the_sync_cursor(schema: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert {"page", "page_size", "cursor", "updated_since", "plan", "department", "status", "light"} <= set(
        parameters
    )
    assert parameters["cursor"]["schema"]["pattern"]
    page = schema["paths"]["/api/v1/tasks/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert {"count", "next", "next_cursor", "results"} <= set(
        schema["components"]["schemas"][page["$ref"].split("/")[-1]]["properties"]
    )


def test_schema_and_docs_are_served_from_our_own_files(db: None) -> None:
    client = Client()
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200 and served.json()["info"]["title"] == "ipplan API"
    for page in ("/api/docs/", "/api/docs/redoc/"):
        html = client.get(page).content.decode()
        outside = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert outside == [], f"{page} loads {outside}"
        assert "/static/drf_spectacular_sidecar/" in html


def test_json_whatever_the_client_accepts(world: Any, api: Any) -> None:
    client = api("bureau")
    for accept in ("text/html", "application/xml", "*/*", "application/json"):
        response = client.get("/api/v1/tasks/", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == "application/json", accept
