"""Writing down what a fresh load from Pinecone showed: only what changed, in one transaction.

The service module calls record_listing and record_job (through its hooks)
after each successful fetch from Pinecone, never on a cache hit; the restore
view calls record_start. A database failure is logged and never breaks a page.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from restoreui.history import recall
from restoreui.history.merge import history_changed
from restoreui.history.models import RestoreRecord
from restoreui.pinecone import Backup, Listing, RestoreJob, RestoreStarted, service
from restoreui.projects import Project

log = logging.getLogger(__name__)

# last_seen and last_listed move only once they are this old, so that an unchanged list costs no write.
SEEN_RESOLUTION = timedelta(minutes=5)
JOB_FIELDS = RestoreRecord.JOB_FIELDS
BACKUP_FIELDS = ("backup_name", "backup_size_bytes", "backup_record_count", "source_index_name")
SEEN_FIELDS = ("last_seen",)
LISTED_FIELDS = ("last_listed", "listed")
START_FIELDS = ("started_by", "audit_entry", "requested_tags", "requested_deletion_protection")
# Stored rows read, compared and written at a time.
CHUNK = 256
STORED = ("project", "restore_job_id", "first_seen", *JOB_FIELDS, *BACKUP_FIELDS, *SEEN_FIELDS, *LISTED_FIELDS)


def record_listing(project: Project, listing: Listing[RestoreJob]) -> int:
    """Store a list Pinecone just sent; returns the number of rows written."""
    try:
        return _record(project, listing.items, whole_list=not listing.truncated)
    except DatabaseError:
        log.exception("project %s: restore history not recorded", project.name)
        return 0


def record_job(project: Project, job: RestoreJob) -> int:
    """Store one job Pinecone just described; returns the number of rows written (0 or 1)."""
    try:
        return _record(project, [job], whole_list=None)
    except DatabaseError:
        log.exception("project %s: restore history of job %s not recorded", project.name, job.id)
        return 0


def _record(project: Project, jobs, whole_list: bool | None) -> int:
    """WHOLE_LIST: True for a complete list, False for a cut-short one, None for one described job.

    The stored rows are read CHUNK at a time, and what changed is written after each read, all in
    one transaction: a list of 10,000 jobs never holds more than a chunk of rows at once, and a
    project of fewer than CHUNK jobs costs one read.
    """
    now = timezone.now()
    pending = {j.id: j for j in jobs if len(j.id) <= RestoreRecord.ID_LENGTH}
    if whole_list is None:
        # A described job: the job page's own prepared read.
        chunks: Iterable[list[dict]] = [
            [_stored(held) for i in pending if (held := recall.by_job.get(project=project.name, restore_job_id=i))]
        ]
        backups = {j.backup_id: b for j in pending.values() if (b := service.known_backup(project, j.backup_id))}
    else:
        chunks = _chunks(RestoreRecord.objects.filter(project=project.name))
        backups = service.known_backups(project)
    listed = whole_list is not None
    fields = JOB_FIELDS + BACKUP_FIELDS + SEEN_FIELDS + (LISTED_FIELDS if listed else ())

    def row(job: RestoreJob, old: dict | None) -> dict | None:
        return _changed(project, job, backups.get(job.backup_id), old, now, listed)

    written = 0
    with transaction.atomic():
        for stored in chunks:
            rows = []
            for old in stored:
                job = pending.pop(old["restore_job_id"], None)
                if job is not None:
                    rows.append(row(job, old))
                elif whole_list and old["listed"]:
                    rows.append({**old, "listed": False})
            written += _write([r for r in rows if r], fields, announce=False)
        new = list(pending.values())
        for start in range(0, len(new), CHUNK):
            written += _write([r for job in new[start : start + CHUNK] if (r := row(job, None))], fields, False)
    if written:
        # After the write: a table made from the history before it is made again.
        history_changed(project.name)
    return written


def _stored(record: RestoreRecord) -> dict:
    return {name: getattr(record, name) for name in STORED}


def _chunks(records) -> Iterator[list[dict]]:
    """RECORDS' stored rows, CHUNK at a time in the database's order of job ids."""
    ordered = records.order_by("restore_job_id").values(*STORED)
    chunk = list(ordered[:CHUNK])
    while chunk:
        yield chunk
        if len(chunk) < CHUNK:
            return
        # Writes keep every job's id, so the next chunk starts after this one's last.
        chunk = list(ordered.filter(restore_job_id__gt=chunk[-1]["restore_job_id"])[:CHUNK])


def _changed(project, job: RestoreJob, backup: Backup | None, old: dict | None, now, listed: bool) -> dict | None:
    """The row JOB makes as seen NOW, or None when the stored row OLD already says it all."""
    new = {
        "backup_id": job.backup_id[: RestoreRecord.ID_LENGTH],
        "target_index_name": job.target_index_name[:255],
        "target_index_id": job.target_index_id[: RestoreRecord.ID_LENGTH],
        "status": job.status[:64],
        "percent_complete": _last_percent(job, old),
        "created_at": job.created_at,
        "completed_at": job.completed_at,
    }
    if backup:
        new |= _backup_fields(backup)
    if listed:
        new["listed"] = True
    if old and all(old[k] == v for k, v in new.items()) and not _due(old["last_seen"], now):
        if not listed or not _due(old["last_listed"], now):
            return None
    row = old or {
        "project": project.name,
        "restore_job_id": job.id,
        "first_seen": now,
        "backup_name": "",
        "backup_size_bytes": None,
        "backup_record_count": None,
        "source_index_name": "",
        "last_listed": None,
        "listed": True,
    }
    return {**row, **new, "last_seen": now, **({"last_listed": now} if listed else {})}


def _last_percent(job: RestoreJob, old: dict | None) -> float | None:
    """A job that failed or was cancelled keeps the figure last seen: where it stopped."""
    if job.percent_complete is None and job.state in ("failed", "cancelled") and old:
        return old["percent_complete"]
    return job.percent_complete


def _due(when, now) -> bool:
    return when is None or now - when >= SEEN_RESOLUTION


def _backup_fields(backup: Backup) -> dict:
    return {
        "backup_name": (backup.name or "")[:255],
        "backup_size_bytes": backup.size_bytes,
        "backup_record_count": backup.record_count,
        "source_index_name": backup.source_index_name[:255],
    }


def _write(rows: list[dict], fields: tuple[str, ...], announce: bool = True) -> int:
    for run in _runs(rows):
        RestoreRecord.objects.bulk_create(
            [RestoreRecord(**row) for row in run],
            update_conflicts=True,
            unique_fields=["project", "restore_job_id"],
            update_fields=fields,
        )
    if rows and announce:
        # After the write: a table made from the history before it is made again.
        for project_name in {row["project"] for row in rows}:
            history_changed(project_name)
    return len(rows)


def _runs(rows: list[dict]) -> Iterator[list[dict]]:
    """ROWS in runs whose lengths are powers of two, longest first.

    Each length is a statement of its own, which the database keeps compiled (SQLite about 2 KB
    per row, per connection): a few shapes, instead of one for every count of changed rows.
    """
    start = 0
    while start < len(rows):
        size = 1 << (len(rows) - start).bit_length() - 1
        yield rows[start : start + size]
        start += size


def record_start(
    project: Project,
    started: RestoreStarted,
    backup: Backup,
    index_name: str,
    tags: dict | None,
    deletion_protection: str | None,
    username: str,
    audit_entry_id: int | None,
) -> None:
    """Remember who started a restore from this dashboard, and what they asked for."""
    if len(started.restore_job_id) > RestoreRecord.ID_LENGTH:
        return
    now = timezone.now()
    row = {
        "project": project.name,
        "restore_job_id": started.restore_job_id,
        "backup_id": backup.id[: RestoreRecord.ID_LENGTH],
        **_backup_fields(backup),
        "target_index_name": index_name,
        "target_index_id": (started.index_id or "")[: RestoreRecord.ID_LENGTH],
        # What Pinecone reports for a restore that has just started; the first load corrects it.
        "status": "Pending",
        "created_at": now,
        "first_seen": now,
        "last_seen": now,
        "started_by": username,
        "audit_entry_id": audit_entry_id,
        "requested_tags": tags,
        "requested_deletion_protection": deletion_protection or "",
    }
    try:
        _write([row], START_FIELDS + BACKUP_FIELDS)
    except DatabaseError:
        log.exception("project %s: who started restore job %s not recorded", project.name, started.restore_job_id)


def prune() -> int:
    """Forget jobs not seen for RESTOREUI_HISTORY_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.RESTOREUI_HISTORY_DAYS)
    deleted, _ = RestoreRecord.objects.filter(last_seen__lt=cutoff).delete()
    if deleted:
        for project_name in settings.RESTOREUI_PROJECTS:
            history_changed(project_name)
    return deleted
