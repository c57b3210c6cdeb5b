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
    # Ids of the remembered jobs: a complete list from Pinecone no longer holds them.
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
    """LISTING's jobs, then the remembered jobs that a complete list from Pinecone left out.

    A remembered job that is merely missing from an old or cut-short copy of the list is
    not added: it is still listed, and the next fresh copy shows it.
    """
    try:
        records = RestoreRecord.objects.filter(project=project.name)
        names = dict(records.exclude(backup_name="").values_list("backup_id", "backup_name").distinct())
        live = {job.id for job in listing.items}
        remembered = [as_job(r) for r in records.filter(listed=False) if r.restore_job_id not in live]
    except DatabaseError:
        log.exception("project %s: restore history unreadable; showing Pinecone's list alone", project.name)
        return Merged(list(listing.items), frozenset(), {})
    return Merged([*listing.items, *remembered], frozenset(j.id for j in remembered), names)


def lookup(project: Project, job_id: str) -> RestoreRecord | None:
    """The remembered job, with its audit entry; None when restoreui never saw it."""
    try:
        return RestoreRecord.objects.select_related("audit_entry").filter(project=project.name, restore_job_id=job_id).first()
    except DatabaseError:
        log.exception("project %s: restore history unreadable", project.name)
        return None
