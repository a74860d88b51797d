"""The department inbox at /my/: every task the user's department carries, most urgent first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from departments.choices import Role
from ipplan.permissions import Action, scope

from ..filtersets import TaskFilterSet, filtered
from ..marks import attach_marks
from ..models import Assignment, Plan
from ..selectors import department_inbox, light_counts, order_by_urgency, signoff_queue

SORTS = {
    "urgency": (_("紧急程度"), None),
    "due": (_("完成时限"), ("due_date", "light_rank", "id")),
    "plan": (_("工作方案"), ("plan__title", "order", "id")),
    "progress": (_("进度"), ("progress", "light_rank", "id")),
    "updated": (_("最近更新"), ("-updated_at", "id")),
}
PAGE_SIZE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    tasks = department_inbox(request.user)  # type: ignore[arg-type]
    department = getattr(request.user, "department_id", None) or 0  # 0 matches nothing
    # the plans the department has a task in: EXISTS, not a DISTINCT over joined plan rows
    carried = Assignment.objects.filter(task__plan=OuterRef("pk"), department_id=department)
    plans = scope(request.user, Action.VIEW_PLAN, Plan.objects.filter(Exists(carried)))
    filterset = TaskFilterSet(request.GET or None, queryset=tasks, plans=plans)
    without_light = request.GET.copy()
    without_light.pop("light", None)
    counted = TaskFilterSet(without_light or None, queryset=tasks, plans=plans).qs
    sort = request.GET.get("sort", "urgency")
    ordering = SORTS.get(sort, SORTS["urgency"])[1]
    matching = filtered(filterset)
    listed = matching.order_by(*ordering) if ordering else order_by_urgency(matching)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = attach_marks(page.object_list)  # 已催办, 逾期 N 天, whom a request waits for
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "counts": light_counts(counted),
        "sorts": [(key, label) for key, (label, _o) in SORTS.items()],
        "sort": sort if sort in SORTS else "urgency",
        "query": query.urlencode(),
        "has_department": request.user.department_id is not None,  # type: ignore[union-attr]
        # the head's sign-off queue comes first on the page
        "signoff": list(signoff_queue(request.user)[:50]) if not request.headers.get("HX-Request") else [],  # type: ignore[arg-type]
        "is_head": getattr(request.user, "role", None) == Role.DEPT_HEAD,
    }
    template = "tasks/_inbox_table.html" if request.headers.get("HX-Request") else "tasks/inbox.html"
    return render(request, template, context)
