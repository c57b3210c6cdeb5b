"""The live job list joined with the jobs restoreui remembers, and the lookup of one of them."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from restoreui.history.models import JobNote, RestoreRecord
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
    # Source index names as recorded, by backup id, likewise.
    source_indexes: dict[str, str]
    # The last percentage seen of each job, for the ones Pinecone no longer reports it for.
    last_percent: dict[str, float | None]


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
        sources = dict(records.exclude(source_index_name="").values_list("backup_id", "source_index_name").distinct())
        percents = dict(
            records.filter(percent_complete__isnull=False).values_list("restore_job_id", "percent_complete")
        )
        live = {job.id for job in listing.items}
        remembered = [as_job(r) for r in records.filter(listed=False) if r.restore_job_id not in live]
    except DatabaseError:
        log.exception("project %s: restore history unreadable; showing Pinecone's list alone", project.name)
        return Merged(list(listing.items), frozenset(), {}, {}, {})
    return Merged([*listing.items, *remembered], frozenset(j.id for j in remembered), names, sources, percents)


def lookup(project: Project, job_id: str) -> RestoreRecord | None:
    """The remembered job, with its audit entry; None when restoreui never saw it."""
    try:
        return (
            RestoreRecord.objects.select_related("audit_entry")
            .filter(project=project.name, restore_job_id=job_id)
            .first()
        )
    except DatabaseError:
        log.exception("project %s: restore history unreadable", project.name)
        return None


def note_for(project: Project, job_id: str) -> JobNote | None:
    """The note operators attached to the job, if any; None as well when the database cannot say."""
    try:
        return JobNote.objects.filter(project=project.name, restore_job_id=job_id).first()
    except DatabaseError:
        log.exception("project %s: job notes unreadable", project.name)
        return None


def remembered_durations(project: Project) -> tuple[tuple[int | None, float], ...]:
    """(backup size then, seconds taken) of the completed restores Pinecone no longer lists.

    Their target indexes are gone, but how long they took still teaches the estimates;
    read at most once per list lifetime per process, since a running job's page polls.
    """
    key = f"restoreui:remembered-durations:{project.name}"
    if (pairs := cache.get(key)) is not None:
        return pairs
    try:
        rows = RestoreRecord.objects.filter(
            project=project.name,
            listed=False,
            status__iexact="completed",
            created_at__isnull=False,
            completed_at__isnull=False,
        ).values_list("backup_size_bytes", "created_at", "completed_at")
        pairs = tuple(
            (size, (done - start).total_seconds()) for size, start, done in rows if start and done and done >= start
        )
    except DatabaseError:
        log.exception("project %s: restore history unreadable; estimates use Pinecone's list alone", project.name)
        return ()
    cache.set(key, pairs, timeout=max(1, int(settings.CACHE_TTL_LIST)))
    return pairs
