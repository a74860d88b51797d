"""``/api/v1/imports/``: a plan document in, the preview out; committing is a second call."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.models import Region
from ipplan.api import fields
from ipplan.api.errors import lost_race, problem_response
from ipplan.api.etag import check_if_match, etag_for
from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, can, get_for
from planparser import ParseError
from tasks.forms import MAX_IMPORT_BYTES

from ..choices import ImportState
from ..models import Plan, PlanImport
from ..services.imports.edits import imports_for, plan_import_edit, task_flags
from ..services.imports.mapping import Choices
from ..services.imports.preview import Preview
from ..services.imports.progress import import_progress
from ..services.imports.session import (
    import_error_message,
    import_session_commit,
    import_session_preview,
    import_session_start,
)


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        required=False,
        help_text="方案文件:txt/docx/doc/wps/ofd/xlsx/pdf/html,最大 20 MB;超过 1 MB 的文件由后台任务读取(202)",
    )
    text = fields.CharField(required=False, help_text="或直接粘贴方案文本")
    region = fields.CharField(required=False, help_text="行政区划代码、名称或 ID;省略时从文本推断")
    replaces = fields.IntegerField(required=False, help_text="修订版:被替换方案的 ID")


class ImportPreviewSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    state = serializers.CharField(
        help_text="parsing / previewed / committing / committed / discarded / failed"
    )
    progress = serializers.IntegerField(help_text="读取或写入进度(0–100)")
    status_url = serializers.CharField(
        allow_null=True, help_text="轮询此地址直到 state 不再是 parsing/committing"
    )
    error = serializers.CharField(allow_null=True, help_text="读取或导入失败的原因")
    error_code = serializers.CharField(allow_null=True)
    plan_id = serializers.IntegerField(allow_null=True, help_text="导入后的方案 ID")
    source_name = serializers.CharField(allow_blank=True)
    replaces = serializers.IntegerField(allow_null=True)
    region = serializers.DictField(allow_null=True)
    region_candidates = serializers.ListField(child=serializers.DictField())
    plan = serializers.DictField(allow_null=True, help_text="解析出的方案结构(章节、任务、单位、指标、阶段)")
    departments = serializers.ListField(
        child=serializers.DictField(), help_text="每个单位名称的匹配结果与建议"
    )
    unresolved = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.DictField())
    diff = serializers.DictField(allow_null=True, help_text="修订版与现有方案的差异")


class ImportCommitSerializer(serializers.Serializer[Any]):
    region = fields.CharField(required=False)
    mapping = serializers.DictField(
        child=fields.IntegerField(), required=False, help_text="未识别的单位名称 → 已有单位 ID"
    )
    create = serializers.ListField(child=fields.CharField(), required=False, help_text="按名称新建的单位")
    save_aliases = fields.BooleanField(required=False, help_text="把映射保存为单位别名")
    create_missing = fields.BooleanField(required=False, help_text="新建所有未识别的单位")


class ImportCommittedSerializer(serializers.Serializer[Any]):
    plan = serializers.DictField()
    diff = serializers.DictField(required=False)


def _error(code: str, message: str, http_status: int, **extra: Any) -> Response:
    if "fields" in extra:
        extra["errors"] = extra.pop("fields")
    return problem_response(http_status, code, message, **extra)


def _body_refused(
    request: Request, serializer_class: type[serializers.Serializer[Any]], *, upload: bool = False
) -> Response | None:
    """A 400 unless the body is an object whose fields ``serializer_class`` accepts (None then).
    With an ``upload``, the serializer reads the plain fields only: not ``request.data.copy()``,
    which deep-copies a file spooled to disk (over 5 MB) and cannot pickle it."""
    if not isinstance(request.data, dict):
        return _error("invalid", "the body must be an object", 400)
    fields = {key: request.data.get(key) for key in request.data if key != "file"} if upload else request.data
    form = serializer_class(data=fields)
    if not form.is_valid():
        return _error("invalid", "invalid fields", 400, fields=form.errors)
    return None


def _parse_error(error: ParseError) -> Response:
    message = error.message_en if (get_language() or "").startswith("en") else error.message_zh
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if error.code == "too_large" else 422
    return _error(error.code, message, http_status)


def _validation_error(error: ValidationError) -> Response:
    if hasattr(error, "error_dict"):
        fields = {k: [m for e in v for m in e.messages] for k, v in error.error_dict.items()}
        return _error("invalid", " ".join(error.messages), 400, fields=fields)
    params: dict[str, Any] = error.params if isinstance(getattr(error, "params", None), dict) else {}  # type: ignore[assignment]
    code = error.code or "invalid"
    return _error(code, " ".join(error.messages), 422 if code == "unresolved_departments" else 400, **params)


def _status_url(request: Request, record: PlanImport) -> str:
    return request.build_absolute_uri(reverse("api-import-detail", args=[record.pk]))


def status_json(request: Request, record: PlanImport) -> dict[str, Any]:
    """An import still being read or written, or one whose reading failed: no preview yet."""
    return {
        "id": record.pk,
        "state": record.state,
        "progress": import_progress(record),
        "status_url": _status_url(request, record),
        "error": import_error_message(record, get_language()) or None,
        "error_code": (record.error or {}).get("code") or None,
        "source_name": record.source_name,
        "replaces": record.replaces_id,
        "plan_id": record.plan_id,
        "region": None,
        "region_candidates": [],
        "plan": None,
        "departments": [],
        "unresolved": [],
        "warnings": [],
        "diff": None,
    }


def _accepted(request: Request, record: PlanImport) -> Response:
    """202: the work goes on in a job; ``Location`` and ``status_url`` say where to follow it."""
    response = Response(status_json(request, record), status=202)
    response["Location"] = _status_url(request, record)
    return response


def preview_json(record: PlanImport, preview: Preview, status_url: str | None = None) -> dict[str, Any]:
    parsed = preview.parsed
    departments = []
    for name, resolution in preview.resolutions.items():
        departments.append(
            {
                "name": name,
                "resolved": resolution.resolved,
                "method": resolution.method.value,
                "department": {"id": resolution.department.pk, "name": resolution.department.name}
                if resolution.department
                else None,
                "suggestions": [
                    {"id": s.department.pk, "name": s.department.name, "score": s.score}
                    for s in resolution.suggestions
                ],
            }
        )
    diff = preview.diff
    return {
        "id": record.pk,
        "state": record.state,
        "progress": import_progress(record),
        "status_url": status_url,
        "error": None,
        "error_code": (record.error or {}).get("code") or None,
        "plan_id": record.plan_id,
        "source_name": record.source_name,
        "replaces": record.replaces_id,
        "region": {"id": preview.region.pk, "code": preview.region.code, "name": preview.region.name}
        if preview.region
        else None,
        "region_candidates": [
            {"id": r.pk, "code": r.code, "name": r.name} for r in preview.region_candidates
        ],
        "plan": parsed.to_expected_json(),  # type: ignore[attr-defined]
        "departments": departments,
        "unresolved": [r.name for r in preview.unresolved],
        "warnings": [
            {"line": w.line, "code": w.code, "message_zh": w.message_zh, "message_en": w.message_en}
            for w in parsed.warnings  # type: ignore[attr-defined]
        ],
        "diff": None
        if diff is None
        else {
            "added": diff.added,
            "removed": diff.removed,
            "changed": [
                {
                    "path": c.path,
                    "fields": {k: list(v) for k, v in c.fields.items()},
                    "departments": {k: list(v) for k, v in c.departments.items()},
                }
                for c in diff.changed
            ],
            "unchanged": diff.unchanged,
        },
    }


def _region_param(user: Any, value: Any) -> Region | None:
    if value in (None, ""):
        return None
    region = Region.objects.filter(
        Q(code=str(value)) | Q(name=str(value)) | (Q(pk=value) if str(value).isdigit() else Q())
    ).first()
    if region is None or not can(user, Action.IMPORT_PLAN, region):
        raise ValidationError({"region": f"unknown region: {value}"})
    return region


class ImportListView(APIView):
    """POST a document (``file``) or pasted ``text``; answers with the preview, writes no plan."""

    extra_error_codes = (413, 422)

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["imports"],
        request={"multipart/form-data": ImportUploadSerializer, "application/json": ImportUploadSerializer},
        responses={201: ImportPreviewSerializer, 202: ImportPreviewSerializer},
        operation_id="imports_create",
    )
    def post(self, request: Request) -> Response:
        if not can(request.user, Action.IMPORT_PLAN):
            return _error("forbidden", "not allowed to import plans", 403)
        if (refused := _body_refused(request, ImportUploadSerializer, upload=True)) is not None:
            return refused
        upload = request.FILES.get("file")
        text = request.data.get("text") if upload is None else None
        try:
            region = _region_param(request.user, request.data.get("region"))
            replaces = None
            if request.data.get("replaces"):
                replaces = get_for(
                    request.user, Action.EDIT_PLAN, Plan.objects.all(), pk=request.data.get("replaces")
                )
            if upload is not None:
                if upload.size > MAX_IMPORT_BYTES:
                    raise ParseError("too_large", size=upload.size, max_bytes=MAX_IMPORT_BYTES)
                session = import_session_start(
                    actor=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    region=region,
                    replaces=replaces,
                )
            elif isinstance(text, str) and text.strip():
                session = import_session_start(
                    actor=request.user, text=text, region=region, replaces=replaces
                )
            else:
                return _error(
                    "invalid",
                    "send a document as 'file' or the text as 'text'",
                    400,
                    fields={"file": ["required"]},
                )
        except ParseError as error:
            return _parse_error(error)
        except ValidationError as error:
            return _validation_error(error)
        except Http404:
            return _error("not_found", "no such plan", 404)
        record = session.record
        if session.parsed is None:  # a big file: the job reads it, the caller polls the status URL
            return _accepted(request, record)
        preview = import_session_preview(actor=request.user, record=record, parsed=session.parsed).preview
        return Response(preview_json(record, preview), status=201)


def _own(request: Request, pk: int) -> PlanImport:
    return get_object_or_404(imports_for(request.user).select_related("region", "replaces"), pk=pk)


class ImportEditSerializer(serializers.Serializer[Any]):
    edits = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text=(
            "预览修改,按顺序应用:op = task(path, title, full_text, deadline YYYY-MM-DD, lead/responsible/"
            "cooperating 单位名称列表, section)、add(section, title …)、delete(path)、merge(path, into)、"
            "split(path, at)、plan(title, doc_number, period [起, 止])"
        ),
    )
    region = fields.CharField(required=False, help_text="改为该行政区划(代码、名称或 ID)")


class ImportDetailView(APIView):
    """The preview of an import (the caller's, or their region's bureau's), computed again from its
    stored text with the bureau's edits applied; ``PATCH`` adds edits (``If-Match`` required)."""

    etag_detail = True
    parser_classes = [JSONParser]
    extra_error_codes = (412, 428)

    @extend_schema(tags=["imports"], responses=ImportPreviewSerializer, operation_id="imports_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        if not can(request.user, Action.IMPORT_PLAN):
            return _error("forbidden", "not allowed to import plans", 403)
        record = _own(request, pk)
        if record.state in (ImportState.PARSING, ImportState.COMMITTING, ImportState.FAILED):
            return Response(status_json(request, record))
        return self._preview(request, record)

    def _preview(self, request: Request, record: PlanImport) -> Response:
        session = import_session_preview(actor=request.user, record=record)  # type: ignore[arg-type]
        edited, preview = session.edited, session.preview
        body = preview_json(record, preview, status_url=_status_url(request, record))
        body["version"] = record.version
        body["edits"] = record.edits
        body["unapplied_edits"] = edited.unapplied
        flags = {t.path: [f["code"] for f in task_flags(t, preview.resolutions)] for t in edited.parsed.tasks}
        for task in body["plan"]["tasks"]:
            task["flags"] = flags.get(task["path"], [])
        body["needs_look"] = sum(1 for codes in flags.values() if codes)
        return Response(body, headers={"ETag": etag_for(record)})

    @extend_schema(
        tags=["imports"],
        request=ImportEditSerializer,
        responses=ImportPreviewSerializer,
        operation_id="imports_partial_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        if not can(request.user, Action.IMPORT_PLAN):
            return _error("forbidden", "not allowed to import plans", 403)
        record = _own(request, pk)
        expected = check_if_match(request, record)
        if (refused := _body_refused(request, ImportEditSerializer)) is not None:
            return refused
        try:
            record = plan_import_edit(
                actor=request.user,  # type: ignore[arg-type]
                record=record,
                ops=list(request.data.get("edits") or []),
                version=expected,
                region=_region_param(request.user, request.data.get("region")),
            )
        except ConflictError as error:
            raise lost_race(error) from None
        except ValidationError as error:
            return _validation_error(error)
        return self._preview(request, record)


class ImportCommitView(APIView):
    """Commit a previewed import: ``region``, ``mapping`` {name: department id}, ``create`` [names],
    ``save_aliases``. The plan is written whole or not at all."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]
    extra_error_codes = (422,)

    @extend_schema(
        tags=["imports"],
        request=ImportCommitSerializer,
        responses={201: ImportCommittedSerializer, 202: ImportPreviewSerializer},
        operation_id="imports_commit",
    )
    def post(self, request: Request, pk: int) -> Response:
        if not can(request.user, Action.IMPORT_PLAN):
            return _error("forbidden", "not allowed to import plans", 403)
        record = _own(request, pk)
        if (refused := _body_refused(request, ImportCommitSerializer)) is not None:
            return refused
        mapping = request.data.get("mapping") or {}
        create = request.data.get("create") or []
        if not isinstance(mapping, dict) or not all(str(v).isdigit() for v in mapping.values()):
            return _error(
                "invalid", "mapping must map names to department ids", 400, fields={"mapping": ["invalid"]}
            )
        if not isinstance(create, list):
            return _error("invalid", "create must be a list of names", 400, fields={"create": ["invalid"]})
        try:
            committed = import_session_commit(
                actor=request.user,  # type: ignore[arg-type]
                record=record,
                region=_region_param(request.user, request.data.get("region")),
                choices=Choices.of(
                    mapping={str(k): int(v) for k, v in mapping.items()},
                    create_names=create,
                    create_missing=bool(request.data.get("create_missing")),
                    save_aliases=bool(request.data.get("save_aliases")),
                ),
            )
        except ValidationError as error:
            return _validation_error(error)
        plan, diff = committed.plan, committed.diff
        if plan is None:  # a big plan: the job writes it, the caller polls the status URL
            return _accepted(request, committed.record)
        body: dict[str, Any] = {"plan": {"id": plan.pk, "title": plan.title, "tasks": plan.tasks.count()}}
        if diff is not None:
            body["diff"] = {
                "added": diff.added,
                "changed": [c.path for c in diff.changed],
                "removed": diff.removed,
                "unchanged": diff.unchanged,
            }
        return Response(body, status=201)
