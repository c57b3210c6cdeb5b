"""The live job list joined with the jobs restoreui remembers, and the lookup of one of them."""

import logging
from dataclasses import dataclass

from django.db import DatabaseError

from restoreui.history.models import RestoreRecord
from restoreui.pinecone import Listing, RestoreJob
from restoreui.projects import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Merged:
    jobs: list[RestoreJob]
    # Ids of the jobs that a complete list from Pinecone no longer holds.
    unlisted: frozenset[str]
    # Backup names as recorded, for backups that may since have been deleted.
    backup_names: dict[str, str]


def as_job(record: RestoreRecord) -> RestoreJob:
    """The job as last seen, in the service module's shape, so every table and page takes it."""
    return RestoreJob(
        id=record.restore_job_id,
        backup_id=record.backup_id,
        target_index_name=record.target_index_name,
        target_index_id=record.target_index_id,
        status=record.status,
        created_at=record.created_at,
        completed_at=record.completed_at,
        percent_complete=record.percent_complete,
    )


def merge(project: Project, listing: Listing[RestoreJob]) -> Merged:
    """LISTING's jobs, then every remembered job it does not hold, with its last known state."""
    try:
        records = list(RestoreRecord.objects.filter(project=project.name))
    except DatabaseError:
        log.exception("project %s: restore history unreadable; showing Pinecone's list alone", project.name)
        return Merged(list(listing.items), frozenset(), {})
    live = {job.id for job in listing.items}
    remembered = [r for r in records if r.restore_job_id not in live]
    return Merged(
        jobs=[*listing.items, *(as_job(r) for r in remembered)],
        unlisted=frozenset(r.restore_job_id for r in remembered if not r.listed),
        backup_names={r.backup_id: r.backup_name for r in records if r.backup_name},
    )


def lookup(project: Project, job_id: str) -> RestoreRecord | None:
    """The remembered job, with its audit entry; None when restoreui never saw it."""
    try:
        return RestoreRecord.objects.select_related("audit_entry").filter(project=project.name, restore_job_id=job_id).first()
    except DatabaseError:
        log.exception("project %s: restore history unreadable", project.name)
        return None
