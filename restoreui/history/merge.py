"""The live job list joined with the jobs restoreui remembers (one of them is read by recall.record)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from django.core.cache import cache
from django.db import DatabaseError

from restoreui.history.models import RestoreRecord
from restoreui.pinecone import Listing, RestoreJob, service
from restoreui.projects import Project

log = logging.getLogger(__name__)

_OLDEST = datetime.min.replace(tzinfo=UTC)


# The most target index names the job table's filter suggests: the newest jobs' targets.
SUGGESTED_TARGETS = 200
# The restore history's columns read for every job, and for the jobs Pinecone no longer lists.
SUMMARY_FIELDS = ("restore_job_id", "backup_id", "backup_name", "source_index_name", "percent_complete", "listed")
JOB_FIELDS = ("restore_job_id", *RestoreRecord.JOB_FIELDS)
# Jobs no longer listed read at a time.
GONE_READ = 500


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
    last_percent: dict[str, float]
    # Names the list copy and the history this was made from; "" when it was made afresh.
    version: str = ""

    @cached_property
    def target_names(self) -> tuple[str, ...]:
        """The target index names of the newest jobs (SUGGESTED_TARGETS at most), sorted: the filter's suggestions."""
        newest = sorted(
            (j for j in self.jobs if j.target_index_name), key=lambda j: j.created_at or _OLDEST, reverse=True
        )
        chosen: dict[str, None] = {}
        for job in newest:
            chosen.setdefault(job.target_index_name)
            if len(chosen) >= SUGGESTED_TARGETS:
                break
        return tuple(sorted(chosen))


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


def _version_key(project_name: str) -> str:
    return f"restoreui:history-version:{project_name}"


def history_version(project: Project) -> str:
    """Names the project's restore history as it stands: it changes with every write to it."""
    key = _version_key(project.name)
    found = cache.get(key)
    if found is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        found = cache.get(key)
    # Without a cache to hold it, every read is a new version: nothing is reused.
    return found or uuid.uuid4().hex


def history_changed(project_name: str) -> None:
    """Called after each write to PROJECT_NAME's history, so merged tables made before are made again."""
    cache.set(_version_key(project_name), uuid.uuid4().hex, timeout=None)


def merge(project: Project, listing: Listing[RestoreJob], version: str = "") -> Merged:
    """LISTING's jobs, then the remembered jobs that a complete list from Pinecone left out.

    A remembered job that is merely missing from an old or cut-short copy of the list is
    not added: it is still listed, and the next fresh copy shows it. Read in one query, and one
    per GONE_READ jobs Pinecone no longer lists; with the list copy's VERSION, once per process
    for each pair of list copy and history version, so a warm job table asks the database nothing.
    """
    try:
        if not version:
            return _merge(project, listing, "")
        # The history's version is read before the history itself: a write in between makes a new one.
        both = f"{version}:{history_version(project)}"
        return service.derived(f"restoreui:merged:{project.name}", (both,), lambda: _merge(project, listing, both))
    except DatabaseError:
        log.exception("project %s: restore history unreadable; showing Pinecone's list alone", project.name)
        return Merged(list(listing.items), frozenset(), {}, {}, {})


def _merge(project: Project, listing: Listing[RestoreJob], version: str) -> Merged:
    names: dict[str, str] = {}
    sources: dict[str, str] = {}
    percents: dict[str, float] = {}
    gone = []
    live = {job.id for job in listing.items}
    records = RestoreRecord.objects.filter(project=project.name)
    # Every row gives names and percentages; only the few jobs Pinecone no longer lists need
    # their times, read apart: converting 20,000 times costs most of a 10,000-row read.
    rows = records.values_list(*SUMMARY_FIELDS).iterator(chunk_size=1000)
    for job_id, backup_id, backup_name, source, percent, listed in rows:
        if backup_name:
            names[backup_id] = backup_name
        if source:
            sources[backup_id] = source
        if percent is not None:
            percents[job_id] = percent
        if not listed and job_id not in live:
            gone.append(job_id)
    remembered = [
        RestoreJob(
            id=job_id,
            backup_id=backup_id,
            target_index_name=target,
            target_index_id=target_id,
            status=status,
            created_at=created,
            completed_at=completed,
            percent_complete=percent,
        )
        for start in range(0, len(gone), GONE_READ)
        for job_id, backup_id, target, target_id, status, percent, created, completed in records.filter(
            restore_job_id__in=gone[start : start + GONE_READ]
        ).values_list(*JOB_FIELDS)
    ]
    jobs = [*listing.items, *remembered]
    return Merged(jobs, frozenset(j.id for j in remembered), names, sources, percents, version)


def remembered_durations(project: Project) -> tuple[tuple[int | None, float], ...]:
    """(backup size then, seconds taken) of the completed restores Pinecone no longer lists.

    Their target indexes are gone, but how long they took still teaches the estimates;
    read once per process per history version, since a running job's page polls.
    """
    try:
        return service.derived(
            f"restoreui:remembered-durations:{project.name}", (history_version(project),), lambda: _durations(project)
        )
    except DatabaseError:
        log.exception("project %s: restore history unreadable; estimates use Pinecone's list alone", project.name)
        return ()


def _durations(project: Project) -> tuple[tuple[int | None, float], ...]:
    rows = RestoreRecord.objects.filter(
        project=project.name,
        listed=False,
        status__iexact="completed",
        created_at__isnull=False,
        completed_at__isnull=False,
    ).values_list("backup_size_bytes", "created_at", "completed_at")
    # Both times are set (the filter says so); a clock skew can still put the end first.
    return tuple(
        (size, (done - start).total_seconds()) for size, start, done in rows if start and done and done >= start
    )
