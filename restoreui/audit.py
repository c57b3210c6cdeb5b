"""The audit trail of writes: a database row to browse and a JSON log line to ship."""

import json
import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone

from restoreui.middleware import client_ip
from restoreui.models import AuditEntry
from restoreui.pinecone import RestoreJob, Unavailable
from restoreui.prepared import ByKey
from restoreui.projects import Project

# A restore that started shows in the job list at once; one missing this long after did not start.
UNKNOWN_SETTLES_AFTER = timedelta(minutes=10)
# Our clock and Pinecone's may differ a little.
CLOCK_SLACK = timedelta(minutes=5)

logger = logging.getLogger("restoreui.audit")


def record(
    request,
    project_name: str,
    action: str,
    target: str,
    outcome: str,
    detail: str = "",
    error=None,
    extra: dict | None = None,
) -> AuditEntry:
    """Record one attempted write.

    ACTION is an AuditEntry.Action value, OUTCOME an AuditEntry.Outcome value.
    ERROR is the service module's upstream error, if any: its status, code and
    message are kept. The log line is written before the row, so a database
    outage still leaves a trace, and it does not turn a write Pinecone accepted
    into an error page.
    """
    entry = AuditEntry(
        username=request.user.get_username() if request.user.is_authenticated else "",
        project=project_name,
        action=action,
        target=target[:255],
        outcome=outcome,
        detail=detail,
        method=request.method,
        path=request.get_full_path()[:2000],
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
        upstream_status=getattr(error, "status", None),
        upstream_code=str(getattr(error, "code", None) or "")[:64],
        upstream_message=str(getattr(error, "message", None) or error or "")[:4000],
        extra=extra or {},
    )
    return _store(entry)


def failure_outcome(error) -> str:
    """UNKNOWN for a write that reached Pinecone without a clear answer (it may have been done), else FAILED."""
    if isinstance(error, Unavailable) and error.sent:
        return AuditEntry.Outcome.UNKNOWN
    return AuditEntry.Outcome.FAILED


_unsettled = ByKey(AuditEntry, "project", "action", "outcome")


def reconcile_unknown(project: Project, jobs: Iterable[RestoreJob], complete: bool) -> None:
    """Settle this project's restores recorded as unknown against its restore job list.

    A job from the same backup into the same index, created after the attempt,
    makes the entry ok; a COMPLETE list without one, UNKNOWN_SETTLES_AFTER the
    attempt, makes it failed. Each change is also written to the audit log.
    """
    unsettled = {"project": project.name, "action": AuditEntry.Action.RESTORE, "outcome": AuditEntry.Outcome.UNKNOWN}
    # Asked on every view of the job table; almost always there are none.
    if not _unsettled.exists(**unsettled):
        return
    pending = AuditEntry.objects.filter(**unsettled)
    jobs = list(jobs)
    now = timezone.now()
    for entry in pending:
        job = next((j for j in jobs if _restored_by(entry, j)), None)
        if job is not None:
            outcome, extra = AuditEntry.Outcome.OK, {"restore_job_id": job.id}
            note = f"Reconciled: restore job {job.id} shows the restore started."
        elif complete and now - entry.when > UNKNOWN_SETTLES_AFTER:
            outcome, extra = AuditEntry.Outcome.FAILED, {}
            note = f"Reconciled: no restore job for it in the job list after {UNKNOWN_SETTLES_AFTER}."
        else:
            continue
        entry.outcome, entry.extra = outcome, {**entry.extra, **extra}
        entry.detail = f"{entry.detail} {note}".strip()
        # Conditional, so two workers reconciling at once change (and log) it once.
        changed = AuditEntry.objects.filter(pk=entry.pk, outcome=AuditEntry.Outcome.UNKNOWN).update(
            outcome=entry.outcome, extra=entry.extra, detail=entry.detail
        )
        if changed:
            logger.info(json.dumps(entry.as_log(), default=str, sort_keys=True))


def _restored_by(entry: AuditEntry, job: RestoreJob) -> bool:
    return (
        job.backup_id == entry.target
        and job.target_index_name == entry.extra.get("index")
        and (job.created_at is None or job.created_at >= entry.when - CLOCK_SLACK)
    )


def record_watcher(
    project_name: str, action: str, target: str, outcome: str, detail: str, path: str, reference: str, extra: dict
) -> AuditEntry:
    """Record something the watcher did on its own (a notification sent or failing).

    There is no request: the user is "(watcher)", PATH is the page the entry is about
    and REFERENCE stands in for the request id.
    """
    entry = AuditEntry(
        username="(watcher)",  # no account can be named so
        project=project_name,
        action=action,
        target=target[:255],
        outcome=outcome,
        detail=detail,
        method="POST",
        path=path[:2000],
        request_id=reference[:64],
        extra=extra,
    )
    return _store(entry)


def _store(entry: AuditEntry) -> AuditEntry:
    """Log ENTRY as a JSON line, then save it; a database failure never loses the log line."""
    entry.full_clean()
    logger.info(json.dumps(entry.as_log(), default=str, sort_keys=True))
    try:
        entry.save()
    except DatabaseError:
        logger.exception("audit entry %s could not be saved", entry.request_id)
    return entry
