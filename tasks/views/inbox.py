"""The department inbox at /my/: every task the user's department carries, most urgent first."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from ipplan.permissions import Action
from ipplan.roles import Role

from ..filtersets import TaskFilterSet, filtered
from ..models import Assignment, Plan, Task
from ..selectors import light_counts, of_department, order_by_urgency, signoff_queue
from .tasklists import TaskListPage

SORTS = {
    "urgency": (_("紧急程度"), None),
    "due": (_("完成时限"), ("due_date", "light_rank", "id")),
    "plan": (_("工作方案"), ("plan__title", "order", "id")),
    "progress": (_("进度"), ("progress", "light_rank", "id")),
    "updated": (_("最近更新"), ("-updated_at", "id")),
}


class Inbox(TaskListPage):
    """The department's tasks through the page's filters, sorted; the light counts ignore the
    light filter; htmx asks for the table alone."""

    def narrow(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        user, params = self.request.user, self.request.GET
        tasks = of_department(queryset, user)
        # the plans the department has a task in: EXISTS, not a DISTINCT over joined plan rows
        carried = Assignment.objects.filter(task__plan=OuterRef("pk"), department_id=user.department_id or 0)
        plans = Plan.objects.restrict(user, Action.VIEW_PLAN).filter(Exists(carried))
        self.filterset = TaskFilterSet(params or None, queryset=tasks, plans=plans)
        without_light = params.copy()
        without_light.pop("light", None)
        self.counted = TaskFilterSet(without_light or None, queryset=tasks, plans=plans).qs
        ordering = SORTS[self.sort()][1]
        matching = filtered(self.filterset)
        return matching.order_by(*ordering) if ordering else order_by_urgency(matching)

    def sort(self) -> str:
        sort = self.request.GET.get("sort", "urgency")
        return sort if sort in SORTS else "urgency"

    def partial(self) -> bool:
        return bool(self.request.headers.get("HX-Request"))

    def get_template_names(self) -> list[str]:
        return ["tasks/_inbox_table.html" if self.partial() else "tasks/inbox.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        return {
            **context,
            "filter": self.filterset,
            "counts": light_counts(self.counted),
            "sorts": [(key, label) for key, (label, _o) in SORTS.items()],
            "sort": self.sort(),
            "has_department": user.department_id is not None,
            # the head's sign-off queue comes first on the page
            "signoff": [] if self.partial() else list(signoff_queue(user)[:50]),
            "is_head": user.role == Role.DEPT_HEAD,
        }


inbox = Inbox.as_view()
