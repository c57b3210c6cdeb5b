"""What every screen shares: the project in the URL, refusals, filter URLs, jobs Pinecone may have forgotten."""

from collections.abc import Callable
from urllib.parse import quote

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.urls.converters import get_converters
from django.utils.http import RFC3986_SUBDELIMS
from django_htmx.http import push_url

from restoreui import audit
from restoreui.history import recall
from restoreui.history.merge import as_job
from restoreui.models import AuditEntry
from restoreui.pinecone import NotFound, RestoreJob, service
from restoreui.projects import Project, get_project


def project_or_404(name: str) -> Project:
    project = get_project(name)
    if project is None:
        raise Http404(f"There is no project named “{name}” in this restoreui.")
    return project


def linker(name: str, *args: str) -> Callable[[str], str]:
    """reverse(NAME, args=[*ARGS, value]) for many values at the cost of one reverse(): the job table links each
    row to four pages. The value fills the URL's last parameter, a `seg`, and is quoted as reverse() quotes it."""
    # A NUL, which no route's own text holds, comes back from reverse() quoted as %00.
    before, _, after = reverse(name, args=[*args, "\0"]).rpartition("%00")
    segment = get_converters()["seg"]
    return lambda value: f"{before}{quote(segment.to_url(value), safe=RFC3986_SUBDELIMS + '/~:@')}{after}"


def refused(request, project: Project, action: str, target: str, reason: str):
    """A write this user may not make: explained in words, and audited when it was one (a POST)."""
    if request.method == "POST":
        audit.record(request, project.name, action, target, AuditEntry.Outcome.REFUSED, detail=reason)
    return render(request, "refused.html", {"project": project, "reason": reason}, status=403)


def push_clean_url(request, response, form, form_id: str):
    """When the filter form asked, push its URL without the empty and default fields."""
    if request.htmx.trigger == form_id:
        query = form.canonical_query()
        return push_url(response, f"{request.path}?{query}" if query else request.path)
    return response


def known_job(project: Project, job_id: str) -> RestoreJob:
    """The job as Pinecone describes it, else as the history last saw it; NotFound when neither knows it."""
    try:
        return service.get_restore_job(project, job_id).value
    except NotFound:
        record = recall.record(project, job_id)
        if record is None:
            raise
        return as_job(record)
