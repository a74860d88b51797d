"""Forms of the work-plan pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Region
from ipplan.formfields import FileListField, FlagField, ISODateField, TextField, WholeNumberField

from .choices import AssignmentRole, TaskStatus
from .models import Section, Task
from .services.imports.edits import ROLES
from .services.maintenance import Departments

#: Largest document accepted for import; the parser refuses anything larger the same way.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_EXTENSIONS = (".txt", ".docx", ".xlsx", ".pdf", ".html", ".htm", ".doc", ".wps", ".ofd")


class ImportForm(forms.Form):
    """A plan document as a file or as pasted text."""

    file = forms.FileField(
        label=_("方案文件"),
        required=False,
        help_text=_("支持 .docx、.doc、.wps、.ofd、.xlsx、.pdf(含文字层)、.html 网页、.txt;不超过 20 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}),
    )
    text = forms.CharField(
        label=_("或粘贴方案全文"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    region = forms.ModelChoiceField(
        label=_("所属行政区划"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("留空时根据发文机关和标题自动判断。"),
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        text = (data.get("text") or "").strip()
        if upload and text:
            raise forms.ValidationError(_("请上传文件或粘贴文本,二者选其一。"))
        if not upload and not text:
            raise forms.ValidationError(_("请上传方案文件或粘贴方案全文。"))
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(
                    _("文件过大(%(size).1f MB),最大 20 MB。") % {"size": upload.size / 1024 / 1024}
                )
            name = upload.name.lower()
            if not name.endswith(IMPORT_EXTENSIONS):
                raise forms.ValidationError(
                    _(
                        "不支持的文件类型:%(name)s。请上传 .docx、.doc、.wps、.ofd、.xlsx、.pdf、.html 或 .txt 文件。"
                    )
                    % {"name": upload.name}
                )
        return data


class CommitImportForm(forms.Form):
    """Choices made on the preview page: region, and a department for each unknown name."""

    region = forms.ModelChoiceField(label=_("所属行政区划"), queryset=Region.objects.none(), required=False)
    save_aliases = forms.BooleanField(
        label=_("将映射保存为单位别名,下次自动识别"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        regions: Any = None,
        unresolved: list[Any] | None = None,
        departments: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.unresolved = unresolved or []
        choices = [("", _("— 请选择 —")), ("__create__", _("新建为本区划单位"))]
        choices += [(str(d.pk), d.name) for d in (departments or [])]
        for index, resolution in enumerate(self.unresolved):
            initial = str(resolution.suggestions[0].department.pk) if resolution.suggestions else "__create__"
            self.fields[f"map_{index}"] = forms.ChoiceField(
                label=resolution.name, choices=choices, initial=initial, required=True
            )

    def mapping(self) -> tuple[dict[str, int], list[str]]:
        """(name -> department id, names to create)."""
        mapped: dict[str, int] = {}
        create: list[str] = []
        for index, resolution in enumerate(self.unresolved):
            value = self.cleaned_data[f"map_{index}"]
            if value == "__create__":
                create.append(resolution.name)
            elif value:
                mapped[resolution.name] = int(value)
        return mapped, create


def _names(value: str) -> list[str]:
    """Department names typed in one box, split at 、 , , or ;."""
    return [
        n.strip()
        for n in value.replace(",", "、").replace(",", "、").replace(";", "、").split("、")
        if n.strip()
    ]


def edit_op(post: Any) -> dict[str, Any]:
    """The edit operation a preview form posts (the same JSON the API's PATCH takes)."""
    kind = post.get("op", "")
    op: dict[str, Any] = {"op": kind}
    if kind in ("task", "delete", "merge", "split"):
        op["path"] = post.get("path", "")
    if kind in ("task", "add"):
        for key in ("title", "full_text", "deadline"):
            if key in post:
                op[key] = post.get(key, "")
        for role in ROLES:
            if role in post:
                op[role] = _names(post.get(role, ""))
        if post.get("section"):
            op["section"] = post["section"]
    if kind == "merge":
        op["into"] = post.get("into", "")
    if kind == "split":
        op["at"] = post.get("at", "")
    if kind == "forget":
        op["index"] = int(post["index"]) if str(post.get("index", "")).isdigit() else -1
    if kind == "plan":
        for key in ("title", "doc_number"):
            if key in post:
                op[key] = post.get(key, "")
        start, end = post.get("period_start", ""), post.get("period_end", "")
        if start.isdigit() and end.isdigit():
            op["period"] = [int(start), int(end)]
        elif "period_start" in post and not start and not end:
            op["period"] = None
    return op


class ImportEditForm(forms.Form):
    """One correction posted from the import preview, as ``plan_import_edit`` takes it: the edit
    operation, the version the page showed (none: no check) and, with ``op=plan``, a new region
    among ``regions`` (one outside them is ignored). The service judges the operation itself."""

    version = forms.CharField(required=False)
    region = forms.CharField(required=False)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = regions

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        op = edit_op(self.data)
        version, region = data.get("version", ""), data.get("region", "")
        return {
            "ops": [op],
            "version": int(version) if version.isdigit() else None,
            "region": self.regions.filter(pk=region).first()
            if op["op"] == "plan" and region.isdigit()
            else None,
        }


# --- plan maintenance (each form carries the version the page was rendered with) ----------------


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


#: the department picker's fields: ``role_<department id>``
ROLE_FIELD = "role_"


def picked_ids(data: Any) -> list[int]:
    """The departments a picker posted, in the order the form lists them."""
    return [
        int(key.removeprefix(ROLE_FIELD))
        for key in data
        if key.startswith(ROLE_FIELD) and key.removeprefix(ROLE_FIELD).isdigit()
    ]


class DepartmentPickerForm(forms.Form):
    """A form with the department picker: ``role_<department id>`` = lead / responsible /
    cooperating (empty: not assigned), chosen from ``registry``; ``cleaned_data["departments"]``
    is what the services take. Unknown or invisible departments are refused by name."""

    def __init__(self, *args: Any, registry: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registry = registry

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: list[tuple[int, str]] = []
        for key in self.data:
            value = self.data.get(key, "")
            if not key.startswith(ROLE_FIELD) or not value:
                continue
            try:
                department_id = int(key.removeprefix(ROLE_FIELD))
            except ValueError:
                raise forms.ValidationError(_("单位参数无效。")) from None
            if value not in AssignmentRole.values:
                raise forms.ValidationError(_("单位角色无效。"))
            chosen.append((department_id, value))
        found = self.registry.in_bulk([pk for pk, _role in chosen])
        missing = [str(pk) for pk, _role in chosen if pk not in found]
        if missing:
            raise forms.ValidationError(_("单位不存在或不可选:%(ids)s") % {"ids": "、".join(missing)})
        by_role: dict[str, list[Department]] = {role: [] for role in AssignmentRole.values}
        for pk, role in chosen:
            by_role[role].append(found[pk])
        data["departments"] = Departments(by_role["lead"], by_role["responsible"], by_role["cooperating"])
        return data


class TaskDepartmentsForm(DepartmentPickerForm, VersionedForm):
    reason = forms.CharField(required=False, strip=False)


class TaskEditForm(VersionedForm):
    title = forms.CharField(label=_("任务名称"), max_length=500)
    full_text = forms.CharField(label=_("任务全文"), required=False, widget=forms.Textarea, strip=False)
    reason = forms.CharField(label=_("调整说明"), required=False, max_length=500)


class SplitForm(VersionedForm):
    title = forms.CharField(label=_("新任务名称"), max_length=500)
    full_text = forms.CharField(label=_("新任务全文"), required=False, widget=forms.Textarea)
    remaining_title = forms.CharField(label=_("原任务保留部分的名称"), required=False, max_length=500)
    remaining_text = forms.CharField(label=_("原任务保留部分的全文"), required=False, widget=forms.Textarea)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("remaining_title", "remaining_text"):  # empty: the original keeps its own
            data[name] = data.get(name) or None
        return data


class _PlanBound(VersionedForm):
    def __init__(self, *args: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan


class MergeForm(_PlanBound):
    other = forms.ModelChoiceField(label=_("并入本任务的任务"), queryset=Task.objects.none())
    reason = forms.CharField(label=_("合并说明"), required=False, max_length=500)

    def __init__(self, *args: Any, plan: Any, exclude: int, **kwargs: Any) -> None:
        super().__init__(*args, plan=plan, **kwargs)
        self.fields["other"].queryset = (  # type: ignore[attr-defined]
            Task.objects.filter(plan=plan).exclude(pk=exclude).exclude(status=TaskStatus.CANCELLED)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["other_version"] = None  # the page does not show the other task's version
        return data


class MoveForm(_PlanBound):
    section = forms.ModelChoiceField(label=_("目标章节"), queryset=Section.objects.none())

    def __init__(self, *args: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(*args, plan=plan, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(plan=plan)  # type: ignore[attr-defined]


class CancelForm(VersionedForm):
    reason = forms.CharField(label=_("取消原因"), max_length=2000)


class RestoreForm(VersionedForm):
    reason = forms.CharField(label=_("恢复说明"), required=False, max_length=500)


class SectionEditForm(VersionedForm):
    title = forms.CharField(label=_("章节标题"), max_length=300)


class PlanEditForm(VersionedForm):
    title = forms.CharField(label=_("方案标题"), max_length=300)
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=100)
    issuer = forms.CharField(label=_("发文机关"), required=False, max_length=200)
    issued_on = forms.DateField(label=_("印发日期"), required=False)
    period_start = forms.IntegerField(label=_("起始年度"), required=False, min_value=1900, max_value=2200)
    period_end = forms.IntegerField(label=_("截止年度"), required=False, min_value=1900, max_value=2200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["period"] = (data.pop("period_start", None), data.pop("period_end", None))
        return data


class PlanTaskForm(DepartmentPickerForm):
    section = forms.ModelChoiceField(label=_("章节"), queryset=Section.objects.none())
    title = forms.CharField(label=_("任务名称"), max_length=500)
    full_text = forms.CharField(label=_("任务全文"), required=False, widget=forms.Textarea)
    due_date = forms.DateField(label=_("完成时限"), required=False)

    def __init__(self, *args: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(plan=plan)  # type: ignore[attr-defined]


# --- a plan's reminder rules, the assessment (said as a message on their page) --------------------


class DayCountField(WholeNumberField):
    """A number of days; empty is 0."""

    def __init__(self) -> None:
        super().__init__(required=False, message=_("天数必须是整数。"))

    def to_python(self, value: Any) -> int:
        return super().to_python(value) or 0


class ReminderRulesForm(forms.Form):
    days_before = forms.CharField(required=False)
    on_day = forms.BooleanField(required=False)
    repeat_every_days = DayCountField()
    escalate_head_after = DayCountField()
    escalate_bureau_after = DayCountField()


WEIGHT_MESSAGE = _("权重必须是整数。")


class AssessmentWeightsForm(forms.Form):
    on_time = WholeNumberField(message=WEIGHT_MESSAGE)
    reports = WholeNumberField(message=WEIGHT_MESSAGE)
    overdue = WholeNumberField(message=WEIGHT_MESSAGE)


class AssessmentPublishForm(forms.Form):
    """The period (empty: the page's) and the title of the published ranking."""

    start = ISODateField(required=False)
    end = ISODateField(required=False)
    title = TextField()


class ReadingForm(forms.Form):
    """A reading of a numeric target."""

    value = forms.DecimalField(error_messages={"required": _("请输入数值。"), "invalid": _("请输入数值。")})
    observed_on = ISODateField(
        error_messages={"required": _("请选择统计日期。"), "invalid": _("请选择统计日期。")}
    )
    note = forms.CharField(required=False)


# --- task actions (one form per POST of the task page and the review queue) ---------------------


class ProgressForm(forms.Form):
    version = WholeNumberField()
    status = forms.CharField(required=False)
    progress = WholeNumberField(required=False)

    def clean_status(self) -> str | None:
        return self.cleaned_data["status"] or None  # not chosen: the status stays


class ReportCorrectionForm(forms.Form):
    """A report's text, percentage and evidence (a correction keeps the period it corrects)."""

    text = TextField()
    percent = WholeNumberField()
    # the pages post the evidence as "files"; the metaclass takes the field out of the class, so
    # it does not replace BaseForm.files (the uploaded files) on the instance
    files = FileListField()  # type: ignore[assignment]


class ReportForm(ReportCorrectionForm):
    period = TextField()

    field_order = ["text", "percent", "period", "files"]


class CompletionRequestForm(forms.Form):
    version = WholeNumberField()
    reason = TextField()


class CommentForm(forms.Form):
    """Approval and return of a completion request."""

    comment = TextField()


class ExtensionRequestForm(forms.Form):
    requested_due_date = ISODateField()
    reason = TextField()


class ExtensionDecisionForm(forms.Form):
    approve = FlagField()
    comment = TextField()


class UrgeForm(forms.Form):
    message = TextField()


class DeadlineForm(forms.Form):
    due_date = ISODateField(required=False)
    version = WholeNumberField()


class PlanDeadlinesForm(forms.Form):
    """One deadline for the open tasks of a whole plan, or of one section (its id) of it."""

    due_date = ISODateField(
        error_messages={"required": _("请选择有效的完成时限。"), "invalid": _("请选择有效的完成时限。")}
    )
    section = WholeNumberField(required=False)


class ReportReviewForm(forms.Form):
    accept = FlagField()
    comment = TextField()
