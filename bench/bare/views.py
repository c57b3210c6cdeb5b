"""The job pages' own templates and view logic, fed from rows the benchmark wrote to a file.

The context is the one the dashboard's views build for the same rows, so both
render the same HTML (figure a compares the bodies); the dashboard gets it from
the service module, its cache and the restore history, behind its middleware,
and that difference is what figure a measures. The user is the dashboard's
logged-in user, read by Django's own session and authentication middleware.
"""

import json
import os
from datetime import UTC, datetime

from django.shortcuts import render
from django.urls import reverse

from restoreui.filters import JobFilterForm
from restoreui.forms import JobNoteForm
from restoreui.history.merge import Merged
from restoreui.lib.markdown import job_line
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone.models import Backup, Fetched, Listing, RestoreDurations, RestoreJob
from restoreui.projects import get_project
from restoreui.views.jobs import (
    POLL_EVERY,
    TABLE_REFRESH_EVERY,
    _backup_facts,
    _estimate,
    _job_title,
    _seen,
    table_rows,
)

_rows = json.loads(open(os.environ["BENCH_ROWS_FILE"]).read())
_now = datetime.now(UTC)
_jobs = [RestoreJob.from_api(j, "2026-04") for j in _rows["jobs"]]
# The dashboard's order: newest first, unknown start times last.
_jobs.sort(key=lambda j: (j.created_at or datetime.min.replace(tzinfo=UTC), j.id), reverse=True)
JOBS = Fetched(Listing(tuple(_jobs), False, 1), _now)
_backups = [Backup.from_api(b, "2026-04") for b in _rows["backups"]]
NAMES = {b.id: b.display_name for b in _backups}
SOURCES = {b.id: b.source_index_name for b in _backups if b.source_index_name}
# What the restore history holds of each listed job: its last percentage.
LAST_PERCENT = {j.id: j.percent_complete for j in _jobs if j.percent_complete is not None}
# The filter's index name suggestions, chosen as the dashboard chooses them.
TARGET_NAMES = Merged(_jobs, frozenset(), {}, {}, LAST_PERCENT).target_names
JOB = Fetched(RestoreJob.from_api(_rows["job"], "2026-04"), _now)
BACKUP = Backup.from_api(_rows["backup"], "2026-04")
_sizes = {b.id: b.size_bytes for b in _backups if b.size_bytes is not None}
DURATIONS = RestoreDurations(
    tuple(
        (_sizes.get(j.backup_id), j.duration.total_seconds())
        for j in JOBS.value.items
        if j.state == "completed" and j.duration is not None
    ),
    _sizes,
)


def jobs_list(request, project_name):
    form = JobFilterForm(request.GET)
    jobs = form.apply(JOBS.value.items, NAMES, SOURCES)
    page = form.paginate(jobs)
    durations = None if all(job.finished for job in page) else DURATIONS
    estimates = {job.id: _estimate(job, durations) for job in page if not job.finished}
    project = get_project(project_name)
    context = {
        "project": project,
        "section": "jobs",
        "form": form,
        "filters_set": form.filters_set(),
        "sort": form.sort_headers(),
        "fetched": JOBS,
        "page": page,
        "rows": table_rows(project, page, NAMES, SOURCES, LAST_PERCENT, frozenset(), estimates),
        "total": len(jobs),
        "index_names": TARGET_NAMES,
        "source_names": sorted(set(SOURCES.values())),
        "live": any(not job.finished for job in page),
        "refresh_every": TABLE_REFRESH_EVERY,
    }
    return render(request, "jobs/list.html", context)


def jobs_detail(request, project_name, job_id):
    project = get_project(project_name)
    job = JOB.value
    progress = _estimate(job, None if job.finished else DURATIONS)
    share_url = request.build_absolute_uri(reverse("jobs-detail", args=[project.name, job.id]))
    context = {
        "project": project,
        "section": "jobs",
        "job": job,
        "job_id": job.id,
        "fetched": JOB,
        "record": None,
        "note": None,
        "estimate": progress,
        "poll_every": POLL_EVERY,
        "title": _job_title(job),
        "backup": BACKUP,
        "backup_name": BACKUP.display_name,
        "backup_facts": _backup_facts(BACKUP, None),
        "share_url": share_url,
        "markdown": job_line(job, share_url, progress),
        "retry_url": None,
        "note_form": JobNoteForm(initial={"text": None}),
        "note_refusal": write_refusal_reason(request.user, project),
    }
    context["seen"] = _seen(context)
    return render(request, "jobs/detail.html", context)
