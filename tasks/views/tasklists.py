"""The base of the paged task lists (the department inbox and the drill-down list): the tasks the
user may see, a page of them, each row with its marks."""

from __future__ import annotations

from typing import Any

from departments.http import AuthenticatedRequest
from ipplan.generic import RestrictedListView
from ipplan.permissions import Action

from ..marks import attach_marks
from ..models import Task


class TaskListPage(RestrictedListView):
    """A page of the tasks the user may see, picked, filtered and ordered by ``narrow()``; each
    listed task carries its marks (已催办, 逾期 N 天, whom a request waits for). A role that may see
    no task gets an empty list, not a 403."""

    request: AuthenticatedRequest
    model = Task
    action = Action.VIEW_TASK
    required = False
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"].object_list = attach_marks(context["page"].object_list)
        query = self.request.GET.copy()
        query.pop("page", None)  # the pager's links add their own
        return {**context, "query": query.urlencode()}
