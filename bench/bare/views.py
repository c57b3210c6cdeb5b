"""The job pages' own templates and view logic, fed from rows the benchmark wrote to a file.

The dashboard's view does the same with the service module, its cache,
authentication and its middleware around it; the difference is what figure a measures.
"""

import json
import os
from datetime import UTC, datetime

from django.shortcuts import render

from restoreui.filters import JobFilterForm
from restoreui.lib.markdown import job_line
from restoreui.pinecone.models import Backup, Fetched, Listing, RestoreDurations, RestoreJob
from restoreui.projects import get_project
from restoreui.views.jobs import POLL_EVERY, TABLE_REFRESH_EVERY, _backup_facts, _estimate, _job_title

_rows = json.loads(open(os.environ["BENCH_ROWS_FILE"]).read())
_now = datetime.now(UTC)
JOBS = Fetched(Listing(tuple(RestoreJob.from_api(j, "2026-04") for j in _rows["jobs"]), False, 1), _now)
_backups = [Backup.from_api(b, "2026-04") for b in _rows["backups"]]
NAMES = {b.id: b.display_name for b in _backups}
SOURCES = {b.id: b.source_index_name for b in _backups if b.source_index_name}
JOB = Fetched(RestoreJob.from_api(_rows["job"], "2026-04"), _now)
BACKUP = Backup.from_api(_rows["backup"], "2026-04")
_sizes = {
    b.id: b.size_bytes for b in (Backup.from_api(b, "2026-04") for b in _rows["backups"]) if b.size_bytes is not None
}
DURATIONS = RestoreDurations(
    tuple(
        (_sizes.get(j.backup_id), j.duration.total_seconds())
        for j in JOBS.value.items
        if j.state == "completed" and j.duration
    ),
    _sizes,
)


def jobs_list(request):
    form = JobFilterForm(request.GET)
    jobs = form.apply(JOBS.value.items, NAMES, SOURCES)
    page = form.paginate(jobs)
    context = {
        "project": get_project("bench"),
        "section": "jobs",
        "form": form,
        "sort": form.sort_headers(),
        "fetched": JOBS,
        "page": page,
        "total": len(jobs),
        "backup_names": NAMES,
        "source_indexes": SOURCES,
        "unlisted": frozenset(),
        "last_percent": {},
        "live": any(not job.finished for job in page),
        "estimates": {job.id: _estimate(job, DURATIONS) for job in page if not job.finished},
        "refresh_every": TABLE_REFRESH_EVERY,
    }
    return render(request, "jobs/list.html", context)


def jobs_detail(request, job_id):
    job = JOB.value
    progress = _estimate(job, DURATIONS)
    context = {
        "project": get_project("bench"),
        "section": "jobs",
        "job": job,
        "job_id": job.id,
        "fetched": JOB,
        "estimate": progress,
        "title": _job_title(job),
        "poll_every": POLL_EVERY,
        "backup": BACKUP,
        "backup_name": BACKUP.display_name,
        "backup_facts": _backup_facts(BACKUP, None),
        "share_url": request.build_absolute_uri(),
        "markdown": job_line(job, request.build_absolute_uri(), progress),
    }
    return render(request, "jobs/detail.html", context)
