import csv

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from restoreui import audit
from restoreui.filters import JobFilterForm
from restoreui.history.merge import as_job, lookup, merge
from restoreui.lib import formatting
from restoreui.lib.markdown import job_line
from restoreui.lib.progress import Estimate, estimate, expected_duration
from restoreui.pinecone import Fetched, NotFound, PineconeError, RestoreDurations, service
from restoreui.views.common import project_or_404, push_clean_url, upstream_failed
from restoreui.views.notify import notify_context

# Seconds between polls of a running job; slower while Pinecone is failing.
POLL_EVERY = 3
POLL_EVERY_FAILING = 15
TABLE_REFRESH_EVERY = 10


def _backup_names(project) -> dict[str, str]:
    """Backup names for the job table; ids stand in when the list cannot be had."""
    try:
        backups = service.list_backups(project).value.items
    except PineconeError:
        return {}
    return {b.id: b.display_name for b in backups}


def _durations(project, jobs) -> RestoreDurations | None:
    """What estimates learn from, read only when one of JOBS is still running."""
    if all(job.finished for job in jobs):
        return None
    try:
        return service.restore_durations(project).value
    except PineconeError:
        return None


def _estimate(job, durations: RestoreDurations | None) -> Estimate:
    if job.finished or durations is None:
        return estimate(job)
    return estimate(job, expected_duration(durations.pairs, durations.backup_sizes.get(job.backup_id)))


def _filtered_jobs(request, project):
    """Pinecone's list plus the remembered jobs it no longer holds, filtered and sorted."""
    form = JobFilterForm(request.GET)
    fetched = service.list_restore_jobs(project)
    if not fetched.stale:
        audit.reconcile_unknown(project, fetched.value.items, complete=not fetched.value.truncated)
    merged = merge(project, fetched.value)
    names = {**merged.backup_names, **_backup_names(project)}
    return form, fetched, merged, form.apply(merged.jobs, names), names


@require_GET
@vary_on_headers("HX-Request")
def jobs_list(request, project_name):
    project = project_or_404(project_name)
    try:
        form, fetched, merged, jobs, names = _filtered_jobs(request, project)
    except PineconeError as error:
        if request.htmx:
            # Keep the table region in place (htmx swaps only 2xx) and keep retrying.
            return render(request, "jobs/list.html#table", {"project": project, "error": error})
        return upstream_failed(request, project, error, section="jobs")
    page = form.paginate(jobs)
    durations = _durations(project, page)
    context = {
        "project": project,
        "section": "jobs",
        "form": form,
        "sort": form.sort_headers(),
        "fetched": fetched,
        "page": page,
        "total": len(jobs),
        "backup_names": names,
        "unlisted": merged.unlisted,
        "index_names": sorted({job.target_index_name for job in merged.jobs if job.target_index_name}),
        "live": any(not job.finished and job.id not in merged.unlisted for job in page),
        "estimates": {job.id: _estimate(job, durations) for job in page if not job.finished},
        "refresh_every": TABLE_REFRESH_EVERY,
    }
    if not request.htmx:
        return render(request, "jobs/list.html", context)
    response = render(request, "jobs/list.html#table", context)
    return push_clean_url(request, response, form, "jobs-filters")


EXPORT_FIELDS = [
    "restore_job_id",
    "status",
    "percent_complete",
    "backup_id",
    "backup_name",
    "target_index_name",
    "target_index_id",
    "created_at",
    "completed_at",
    "duration_seconds",
    "listed_by_pinecone",
]


def _export_row(job, names, unlisted):
    return {
        "restore_job_id": job.id,
        "status": job.status,
        "percent_complete": job.percent_complete,
        "backup_id": job.backup_id,
        "backup_name": names.get(job.backup_id),
        "target_index_name": job.target_index_name,
        "target_index_id": job.target_index_id,
        "created_at": job.created_at and formatting.iso(job.created_at),
        "completed_at": job.completed_at and formatting.iso(job.completed_at),
        "duration_seconds": job.duration and int(job.duration.total_seconds()),
        "listed_by_pinecone": job.id not in unlisted,
    }


@require_GET
def jobs_export(request, project_name, fmt):
    """The whole filtered list (every page) as CSV or JSON."""
    project = project_or_404(project_name)
    try:
        form, fetched, merged, jobs, names = _filtered_jobs(request, project)
    except PineconeError as error:
        return upstream_failed(request, project, error, section="jobs")
    rows = [_export_row(job, names, merged.unlisted) for job in jobs]
    # A file from an old copy says so in its name, where whoever opens it later sees it.
    filename = f"restore-jobs-{project.name}{'-stale' if fetched.stale else ''}.{fmt}"
    if fmt == "json":
        body = {
            "project": project.name,
            "fetched_at": formatting.iso(fetched.fetched_at),
            "stale": fetched.stale,
            "stale_because": fetched.error.explain() if fetched.stale else None,
            "incomplete": fetched.value.truncated,
            "jobs": rows,
        }
        response = JsonResponse(body, json_dumps_params={"indent": 2})
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Fetched-At"] = formatting.iso(fetched.fetched_at)
    response["X-Stale"] = "true" if fetched.stale else "false"
    return response


def _csv_safe(value):
    """Spreadsheets run cells that start with = + - @ as formulas; quote those."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _target_index(project, job) -> dict:
    """A running restore's target index as Pinecone describes it (Initializing until the end)."""
    if job.finished or not job.target_index_name:
        return {}
    try:
        return {"target_index": service.get_index(project, job.target_index_name).value}
    except NotFound:
        return {"target_index_missing": True}
    except PineconeError as error:
        return {"target_index_error": error}


def _job_title(job) -> str:
    if job.finished:
        return f"{job.status} restore -> {job.target_index_name}"
    if job.percent_complete is not None:
        return f"{formatting.percent(job.percent_complete)} restore -> {job.target_index_name}"
    return f"{job.status} restore -> {job.target_index_name}"


@require_GET
@vary_on_headers("HX-Request")
def jobs_detail(request, project_name, job_id):
    project = project_or_404(project_name)
    try:
        fetched = service.get_restore_job(project, job_id)
    except NotFound:
        record = lookup(project, job_id)
        if record:
            return _from_history(request, project, record)
        if request.htmx:
            # The job vanished while someone watched it: say so and stop polling.
            context = {"project": project, "job_id": job_id, "gone": True}
            response = render(request, "jobs/detail.html#progress", context)
            response.status_code = HttpResponseStopPolling.status_code
            return response
        return render(
            request,
            "jobs/not_found.html",
            {"project": project, "section": "jobs", "job_id": job_id},
            status=404,
        )
    except PineconeError as error:
        if request.htmx:
            return render(
                request,
                "jobs/detail.html#progress",
                {"project": project, "error": error, "job_id": job_id, "poll_every": POLL_EVERY_FAILING},
            )
        return upstream_failed(request, project, error, section="jobs")
    job = fetched.value
    context = {
        "project": project,
        "section": "jobs",
        "job": job,
        "job_id": job.id,
        "fetched": fetched,
        "estimate": _estimate(job, _durations(project, [job])),
        "title": _job_title(job),
        "poll_every": POLL_EVERY_FAILING if fetched.stale else POLL_EVERY,
        "record": lookup(project, job.id),
        **_target_index(project, job),
    }
    if request.htmx:
        response = render(request, "jobs/detail.html#progress", context)
        if job.finished:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return _job_page(request, project, job, context)


def _from_history(request, project, record):
    """A job Pinecone no longer knows (its target index was probably deleted), as last seen."""
    job = as_job(record)
    context = {
        "project": project,
        "section": "jobs",
        "job": job,
        "job_id": job.id,
        # Checked when it was last seen: the freshest copy there is.
        "fetched": Fetched(job, record.last_seen),
        "record": record,
        "from_history": True,
        "estimate": estimate(job),
        "title": _job_title(job),
    }
    if request.htmx:
        response = render(request, "jobs/detail.html#progress", context)
        response.status_code = HttpResponseStopPolling.status_code
        return response
    return _job_page(request, project, job, context)


def _job_page(request, project, job, context):
    context["backup"] = service.known_backup(project, job.backup_id)
    context["share_url"] = request.build_absolute_uri()
    context["markdown"] = job_line(job, request.build_absolute_uri(), context["estimate"])
    context |= notify_context(request, project, job)
    return render(request, "jobs/detail.html", context)
