"""What every screen shares: finding the project in the URL and explaining upstream failures."""

from django.http import Http404
from django.shortcuts import render

from restoreui import audit
from restoreui.models import AuditEntry
from restoreui.pinecone import Busy, PineconeError
from restoreui.projects import Project, get_project


def project_or_404(name: str) -> Project:
    project = get_project(name)
    if project is None:
        raise Http404(f"There is no project named “{name}” in this restoreui.")
    return project


def upstream_failed(request, project: Project, error: PineconeError, section: str = ""):
    """Pinecone failed and nothing cached can stand in: say so, with the request id."""
    # 504 only when Pinecone ran out of time; a reset or an unreadable answer is a bad gateway.
    status = 504 if getattr(error, "timeout", None) is not None else 502
    if isinstance(error, Busy):
        status = 503
    return render(
        request,
        "upstream_error.html",
        {"project": project, "error": error, "section": section},
        status=status,
    )


def refused(request, project: Project, action: str, target: str, reason: str):
    """A write this user may not make: explained in words, and audited when it was one (a POST)."""
    if request.method == "POST":
        audit.record(request, project.name, action, target, AuditEntry.Outcome.REFUSED, detail=reason)
    return render(request, "refused.html", {"project": project, "reason": reason}, status=403)


def push_clean_url(request, response, form, form_id: str):
    """When the filter form asked, push its URL without the empty and default fields."""
    if request.htmx.trigger == form_id:
        query = form.canonical_query()
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    return response
