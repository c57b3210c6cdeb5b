from datetime import UTC, datetime

from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from restoreui import coverage
from restoreui.models import Preference
from restoreui.pinecone import PineconeError, service
from restoreui.projects import Project, all_projects
from restoreui.views.coverage import project_rows


@require_GET
def index(request):
    """One project: its restore jobs. Several: a card per project."""
    projects = all_projects()
    if len(projects) == 1:
        return redirect("jobs-list", next(iter(projects)))
    now = datetime.now(UTC)
    return render(request, "home.html", {"cards": [_card(p, now) for p in projects.values()]})


def _card(project: Project, now: datetime) -> dict:
    """One project's running restores, failures in the last 24 hours and coverage flags.

    A project whose Pinecone fails gets its error on its card; the other cards still show.
    """
    try:
        jobs = service.list_restore_jobs(project)
        found, indexes, backups, _ = project_rows(project, now)
    except PineconeError as error:
        return {"project": project, "error": error}
    recent, running = coverage.job_counts(jobs.value.items, now)
    counts = coverage.flag_counts(found)
    return {
        "project": project,
        "running": len(running),
        "failed": recent["failed"],
        "flags": [
            (key, coverage.SHORT[key], label, counts[key]) for key, label in coverage.FLAGS.items() if counts[key]
        ],
        "indexes": len(found),
        # The oldest copy shown, when Pinecone failed and the cache stood in.
        "stale": min((f for f in (jobs, indexes, backups) if f.stale), key=lambda f: f.fetched_at, default=None),
    }


@require_POST
def prefs_timezone(request):
    """UTC or the browser's local time; UTC is the default so times match incident timelines."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    choice = Preference.TimeZone.LOCAL if request.POST.get("tz") == "local" else Preference.TimeZone.UTC
    Preference.objects.update_or_create(user=request.user, defaults={"time_zone": choice})
    request.session["tz"] = choice.value
    return HttpResponseRedirect(target)
