import csv
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from restoreui import audit
from restoreui.filters import JobFilterForm
from restoreui.forms import JobNoteForm
from restoreui.history import recall
from restoreui.history.merge import as_job, merge, remembered_durations
from restoreui.history.models import JobNote
from restoreui.lib import formatting, index_names
from restoreui.lib.markdown import job_line
from restoreui.lib.progress import Estimate, estimate, expected_duration
from restoreui.models import AuditEntry
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone import Fetched, NotFound, RestoreDurations, RestoreJob, clock, service
from restoreui.views.common import known_job, linker, project_or_404, push_clean_url, refused
from restoreui.views.errors import part, upstream_errors
from restoreui.views.notify import notify_context

# Seconds between polls of a running job; slower while Pinecone is failing.
POLL_EVERY = 3
POLL_EVERY_FAILING = 15
TABLE_REFRESH_EVERY = 10
# What an open job page last showed, sent with each poll (see _seen).
SEEN_HEADER = "X-Job-Seen"


def _listed_backups(project) -> tuple[dict[str, str], dict[str, str], str]:
    """Backup names and source index names by backup id, for the job table, and the list's version;
    empty when the list cannot be had."""
    fetched = part(lambda: service.list_backups(project)).value
    if fetched is None:
        return {}, {}, ""

    def by_id():
        backups = fetched.value.items
        return {b.id: b.display_name for b in backups}, {
            b.id: b.source_index_name for b in backups if b.source_index_name
        }

    return *service.derived(f"jobs-backup-names:{project.name}", (fetched.version,), by_id), fetched.version


def _durations(project, jobs) -> RestoreDurations | None:
    """What estimates learn from, read only when one of JOBS is still running."""
    if all(job.finished for job in jobs):
        return None
    listed = part(lambda: service.restore_durations(project).value).value
    if listed is None:
        return None
    return RestoreDurations(listed.pairs + remembered_durations(project), listed.backup_sizes)


def _estimate(job, durations: RestoreDurations | None) -> Estimate:
    if job.finished or durations is None:
        return estimate(job)
    return estimate(job, expected_duration(durations.pairs, durations.backup_sizes.get(job.backup_id)))


@dataclass(frozen=True)
class JobRow:
    """A job of the table with what its cells show besides the job itself, looked up and linked once per row."""

    job: RestoreJob
    url: str
    unlisted: bool
    estimate: Estimate | None
    last_percent: float | None
    source: str | None
    source_url: str | None
    # The backup's name, or its id when the name is not known.
    backup_name: str
    backup_url: str | None
    target_url: str | None


def table_rows(project, page, names, sources, last_percent, unlisted, estimates) -> list[JobRow]:
    job_url, backup_url, index_url = (
        linker(name, project.name) for name in ("jobs-detail", "backups-detail", "indexes-detail")
    )
    rows = []
    for job in page:
        source = sources.get(job.backup_id)
        rows.append(
            JobRow(
                job=job,
                url=job_url(job.id),
                unlisted=job.id in unlisted,
                estimate=estimates.get(job.id),
                last_percent=last_percent.get(job.id),
                source=source,
                source_url=index_url(source) if source else None,
                backup_name=names.get(job.backup_id) or job.backup_id,
                backup_url=backup_url(job.backup_id) if job.backup_id else None,
                target_url=index_url(job.target_index_name) if job.target_index_name else None,
            )
        )
    return rows


def _filtered_jobs(request, project):
    """Pinecone's list plus the remembered jobs it no longer holds, filtered and sorted.

    Made once per process for each filter and each set of list copies and history version
    (service.derived), so a warm table costs about the same at 10,000 jobs as at 100.
    """
    form = JobFilterForm(request.GET)
    fetched = service.list_restore_jobs(project)
    if not fetched.stale:
        audit.reconcile_unknown(project, fetched.value.items, complete=not fetched.value.truncated)
    merged = merge(project, fetched.value, fetched.version)
    listed_names, listed_sources, backups_version = _listed_backups(project)
    versions = (merged.version, backups_version)

    def names_and_sources():
        # A deleted backup's name and source index are known only from the history.
        return {**merged.backup_names, **listed_names}, {**merged.source_indexes, **listed_sources}

    names, sources = service.derived(f"jobs-names:{project.name}", versions, names_and_sources)
    jobs = service.derived(
        f"jobs-table:{project.name}:{_filter_key(form)}", versions, lambda: form.apply(merged.jobs, names, sources)
    )
    return form, fetched, merged, jobs, names, sources


def _filter_key(form) -> str:
    """What decides a filtered table besides the lists: every filter and the sort, not the page."""
    chosen = [(name, form.value(name)) for name in (*form.FILTERS, "sort")]
    if form.value("since"):
        # "Last 24 hours" moves with the clock: such a table is reused within its second only.
        chosen.append(("now", int(clock.now())))
    return repr(chosen)


@require_GET
@vary_on_headers("HX-Request")
# On failure the table region stays in place and retries by itself.
@upstream_errors("jobs", region="jobs/list.html#table")
def list_(request, project_name):
    project = project_or_404(project_name)
    form, fetched, merged, jobs, names, sources = _filtered_jobs(request, project)
    page = form.paginate(jobs)
    durations = _durations(project, page)
    estimates = {job.id: _estimate(job, durations) for job in page if not job.finished}
    context = {
        "project": project,
        "section": "jobs",
        "form": form,
        "filters_set": form.filters_set(),
        "sort": form.sort_headers(),
        "fetched": fetched,
        "page": page,
        "rows": table_rows(project, page, names, sources, merged.last_percent, merged.unlisted, estimates),
        "total": len(jobs),
        "index_names": merged.target_names,
        "source_names": sorted(set(sources.values())),
        "live": any(not job.finished and job.id not in merged.unlisted for job in page),
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
    "source_index_name",
    "target_index_name",
    "target_index_id",
    "created_at",
    "completed_at",
    "duration_seconds",
    "listed_by_pinecone",
]


def _export_row(job, names, sources, unlisted):
    return {
        "restore_job_id": job.id,
        "status": job.status,
        "percent_complete": job.percent_complete,
        "backup_id": job.backup_id,
        "backup_name": names.get(job.backup_id),
        "source_index_name": sources.get(job.backup_id),
        "target_index_name": job.target_index_name,
        "target_index_id": job.target_index_id,
        "created_at": job.created_at and formatting.iso(job.created_at),
        "completed_at": job.completed_at and formatting.iso(job.completed_at),
        "duration_seconds": job.duration and int(job.duration.total_seconds()),
        "listed_by_pinecone": job.id not in unlisted,
    }


@require_GET
@upstream_errors("jobs")
def export(request, project_name, fmt):
    """The whole filtered list (every page) as CSV or JSON."""
    project = project_or_404(project_name)
    form, fetched, merged, jobs, names, sources = _filtered_jobs(request, project)
    rows = [_export_row(job, names, sources, merged.unlisted) for job in jobs]
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
        response: HttpResponse = JsonResponse(body, json_dumps_params={"indent": 2})
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
    """A running restore's target index as Pinecone describes it (Initializing until the end).

    A finished job's target is looked up only in the index list already held:
    the page of a finished job costs one upstream call at most.
    """
    if not job.target_index_name:
        return {}
    if job.finished:
        names = service.known_index_names(project, since=job.created_at)
        return {"target_index_missing": names is not None and job.target_index_name not in names}
    target = part(lambda: service.get_index(project, job.target_index_name).value)
    if isinstance(target.error, NotFound):
        return {"target_index_missing": True}
    if target.error:
        return {"target_index_error": target.error}
    return {"target_index": target.value}


def _job_title(job) -> str:
    if job.finished:
        return f"{job.status} restore -> {job.target_index_name}"
    if job.percent_complete is not None:
        return f"{formatting.percent(job.percent_complete)} restore -> {job.target_index_name}"
    return f"{job.status} restore -> {job.target_index_name}"


def _live(request, project, job_id) -> dict:
    """Everything the job page shows that can change, from Pinecone or, once it forgot the job, from history.

    Raises NotFound for a job neither knows, PineconeError when Pinecone fails with nothing cached.
    """
    try:
        fetched = service.get_restore_job(project, job_id)
    except NotFound:
        record = recall.record(project, job_id)
        if record is None:
            raise
        job = as_job(record)
        # Checked when it was last seen: the freshest copy there is.
        context: dict[str, Any] = {"fetched": Fetched(job, record.last_seen), "record": record, "from_history": True}
        context["estimate"] = estimate(job)
    else:
        job = fetched.value
        context = {"fetched": fetched, "record": recall.record(project, job.id)}
        context["estimate"] = _estimate(job, _durations(project, [job]))
        context["poll_every"] = POLL_EVERY_FAILING if fetched.stale else POLL_EVERY
    backup = service.known_backup(project, job.backup_id) if job.backup_id else None
    note = recall.note(project, job.id)
    share_url = request.build_absolute_uri(reverse("jobs-detail", args=[project.name, job.id]))
    context |= {
        "project": project,
        "section": "jobs",
        "job": job,
        "job_id": job.id,
        "backup": backup,
        # The backup may be deleted since: its name as history last saw it, else its id.
        "backup_name": backup.display_name
        if backup
        else (context["record"] and context["record"].backup_name) or job.backup_id,
        "backup_facts": _backup_facts(backup, context["record"]),
        "note": note,
        "title": _job_title(job),
        "share_url": share_url,
        "markdown": job_line(job, share_url, context["estimate"], note=note),
        "retry_url": _retry_url(request, project, job, context["record"]),
        **_target_index(project, job),
    }
    context["seen"] = _seen(context)
    return context


def _backup_facts(backup, record) -> dict:
    """The backup's source index, size and records: as Pinecone lists it, else as history last saw it."""
    if backup:
        return {
            "source_index_name": backup.source_index_name,
            "size_bytes": backup.size_bytes,
            "record_count": backup.record_count,
        }
    if record:
        return {
            "source_index_name": record.source_index_name,
            "size_bytes": record.backup_size_bytes,
            "record_count": record.backup_record_count,
        }
    return {"source_index_name": "", "size_bytes": None, "record_count": None}


def _seen(context) -> str:
    """What an open page shows, as "<status digest>.<digest of all of it>", for the poll to compare.

    Times are taken as shown (to the minute once past one); the "Checked" time is left
    out: the page refreshes it itself when the poll says nothing changed.
    """
    job, est, record, note = context["job"], context["estimate"], context["record"], context["note"]
    target = context.get("target_index")
    shown = (
        job,
        context["fetched"].stale,
        context.get("poll_every"),
        formatting.elapsed(est.elapsed),
        # As shown: to the second from a reported rate, else rounded like the median it comes from.
        (formatting.duration if est.rate_per_minute else formatting.approx)(est.remaining),
        est.rate_per_minute and f"{est.rate_per_minute:.2f}",
        est.expected,
        est.overdue,
        target and target.status,
        context.get("target_index_missing"),
        str(context.get("target_index_error") or ""),
        context["backup_facts"],
        record and (record.listed, record.started_by),
        note and (note.text, note.updated_by, note.updated_at),
        context["markdown"],
    )
    return f"{_digest(job.status)}.{_digest(shown)}"


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


def _retry_url(request, project, job, record) -> str | None:
    """For those who may restore: the failed job's backup's restore form, filled in as it was, into a new index."""
    if job.state not in ("failed", "cancelled") or not job.backup_id or write_refusal_reason(request.user, project):
        return None
    taken = set(service.known_index_names(project) or ()) | {job.target_index_name}
    query = {"name": index_names.retry_name(job.target_index_name, taken), "retry_of": job.id}
    if record and record.requested_tags:
        query["tags"] = "\n".join(f"{k}={v}" for k, v in record.requested_tags.items())
    if record and record.requested_deletion_protection:
        query["deletion_protection"] = record.requested_deletion_protection
    return f"{reverse('backups-restore', args=[project.name, job.backup_id])}?{urlencode(query)}"


@require_GET
@upstream_errors("jobs", not_found="jobs/not_found.html")
def detail(request, project_name, job_id):
    project = project_or_404(project_name)
    context = _live(request, project, job_id)
    context["note_form"] = JobNoteForm(initial={"text": context["note"] and context["note"].text})
    context["note_refusal"] = write_refusal_reason(request.user, project)
    context |= notify_context(request, project, context["job"])
    return render(request, "jobs/detail.html", context)


@require_GET
# A job that vanished while someone watched it: the region says so and stops polling.
# While Pinecone fails, the region stays in place and keeps asking, slower.
@upstream_errors(
    "jobs", not_found="jobs/not_found.html", region="jobs/detail.html#progress", poll_every=POLL_EVERY_FAILING
)
def detail_poll(request, project_name, job_id):
    """The job page's live parts for an open page: nothing (204) when they are as it last saw them."""
    project = project_or_404(project_name)
    context = _live(request, project, job_id)
    job, seen = context["job"], request.headers.get(SEEN_HEADER, "")
    if seen == context["seen"] and not job.finished:
        response = HttpResponse(status=204)
        # Nothing to run or frame in an empty answer: its policy would be bytes for nothing.
        response._csp_config = {}  # type: ignore[attr-defined]
        del response["Content-Type"]
        return response
    if seen.partition(".")[0] != context["seen"].partition(".")[0]:
        context["announce"] = _announcement(job)
    body = render_to_string("jobs/detail.html#poll", context | {"oob": True}, request)
    if job.finished or context.get("from_history"):
        return HttpResponseStopPolling(body)
    return HttpResponse(body)


def _announcement(job) -> str:
    """The sentence screen readers hear when the job's state changes, and only then."""
    return f"Restore job {job.short_id}: {job.status}."


@require_POST
@upstream_errors("jobs", not_found="jobs/not_found.html")
def note(request, project_name, job_id):
    """Attach an incident reference or note to a job (an empty note removes it)."""
    project = project_or_404(project_name)
    reason = write_refusal_reason(request.user, project)
    if reason:
        return refused(request, project, AuditEntry.Action.JOB_NOTE, job_id, reason)
    # Only a job Pinecone or the history knows takes a note.
    known_job(project, job_id)
    form = JobNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["text"]))
        return redirect("jobs-detail", project.name, job_id)
    text = form.cleaned_data["text"]
    entry = audit.record(
        request, project.name, AuditEntry.Action.JOB_NOTE, job_id, AuditEntry.Outcome.OK, extra={"note": text}
    )
    if text:
        JobNote.objects.update_or_create(
            project=project.name, restore_job_id=job_id, defaults={"text": text, "updated_by": entry.username}
        )
        messages.success(request, "Note saved.")
    else:
        JobNote.objects.filter(project=project.name, restore_job_id=job_id).delete()
        messages.success(request, "Note removed.")
    return redirect("jobs-detail", project.name, job_id)
