"""The job page's reads of the history, made on every view and poll of it: one prepared query each.

None when the database cannot say; read with statements built once per process
(see restoreui.prepared).
A record's audit entry is read only when it has one, and only if the page shows it.
"""

import logging

from django.db import DatabaseError

from restoreui.history.models import JobNote, RestoreRecord
from restoreui.prepared import ByKey
from restoreui.projects import Project

log = logging.getLogger(__name__)

# Also how the history reads a job Pinecone just described, before writing what changed.
by_job = ByKey(RestoreRecord, "project", "restore_job_id")
_notes = ByKey(JobNote, "project", "restore_job_id")


def record(project: Project, job_id: str) -> RestoreRecord | None:
    """The remembered job; None when restoreui never saw it."""
    try:
        return by_job.get(project=project.name, restore_job_id=job_id)
    except DatabaseError:
        log.exception("project %s: restore history unreadable", project.name)
        return None


def note(project: Project, job_id: str) -> JobNote | None:
    """The note operators attached to the job, if any."""
    try:
        return _notes.get(project=project.name, restore_job_id=job_id)
    except DatabaseError:
        log.exception("project %s: job notes unreadable", project.name)
        return None
