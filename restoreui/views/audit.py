"""The audit log of writes: who restored, backed up or deleted what, and how it went."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from restoreui.models import AuditEntry
from restoreui.permissions import is_operator, operated_projects

PAGE_SIZE = 50


@require_safe
def log(request):
    if not is_operator(request.user):
        raise PermissionDenied("The audit log is open to operators only.")
    filters = {
        "project": request.GET.get("project", ""),
        "action": request.GET.get("action", ""),
        "outcome": request.GET.get("outcome", ""),
        "user": request.GET.get("user", "").strip(),
        # One entry, as linked from the page of a restore started here.
        "entry": request.GET.get("entry", "").strip(),
    }
    # Operators read their projects' entries (client addresses included); superusers read all.
    visible = AuditEntry.objects.all()
    if not request.user.is_superuser:
        visible = visible.filter(project__in=operated_projects(request.user))
    entries = visible
    if filters["project"]:
        entries = entries.filter(project=filters["project"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["outcome"]:
        entries = entries.filter(outcome=filters["outcome"])
    if filters["user"]:
        entries = entries.filter(username=filters["user"])
    if filters["entry"]:
        entries = entries.filter(pk=filters["entry"]) if filters["entry"].isdigit() else entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "project_names": visible.order_by("project").values_list("project", flat=True).distinct(),
        "actions": AuditEntry.Action.choices,
        "outcomes": AuditEntry.Outcome.choices,
        "section": "audit",
    }
    return render(request, "audit/list.html", context)
