"""What the watcher calls: find transitions in the restore history, write one Notification
row per target and transition, and deliver the rows that are due, each exactly once.

Semantics: at most once per transition and target, with retries only when the
target surely did not take the message. A row is inserted (unique per
transition and target) before anything is sent, and claimed for each attempt
by one atomic UPDATE, so two watchers, or a retry, never both send it. A failed
attempt that never reached the target (no connection, HTTP 429 or 5xx) is
tried again after a growing delay; one that may have reached it (no answer in
time, a connection broken mid-way, or the process dying between sending and
marking) is marked UNKNOWN and not sent again.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from restoreui import audit
from restoreui.history.merge import as_job
from restoreui.history.models import RestoreRecord
from restoreui.models import AuditEntry
from restoreui.notifications import messages, send
from restoreui.notifications.models import Notification, Subscription
from restoreui.notifications.targets import find
from restoreui.notifications.transitions import Seen, recipients, transitions
from restoreui.projects import Project, all_projects

log = logging.getLogger(__name__)

# A row claimed longer ago than this belongs to a watcher that died while sending.
ABANDONED_AFTER = timedelta(minutes=5)
BATCH = 100


def retry_delay(attempt: int, base: float) -> timedelta:
    """Wait after failed attempt number ATTEMPT (1, 2, ...): BASE, then four times longer each time."""
    return timedelta(seconds=base * 4 ** (attempt - 1))


def job_url(project_name: str, job_id: str) -> str:
    return settings.RESTOREUI_BASE_URL + reverse("jobs-detail", args=[project_name, job_id])


def detect(project: Project) -> int:
    """Queue a notification for each target that should hear of a job's status change
    since the watcher last looked; returns how many were queued."""
    now = timezone.now()
    rows = list(RestoreRecord.objects.filter(project=project.name).exclude(status=F("watched_status")))
    if not rows:
        return 0
    found = transitions([Seen(as_job(r), r.watched_status) for r in rows], now)
    names = {r.restore_job_id: r.backup_name for r in rows}
    subscribed: dict[str, set[str]] = {}
    for job_id, target_name in Subscription.objects.filter(
        project=project.name, restore_job_id__in=[t.job.id for t in found]
    ).values_list("restore_job_id", "target"):
        subscribed.setdefault(job_id, set()).add(target_name)
    queued = []
    for t in found:
        url = job_url(project.name, t.job.id)
        for name, reason in recipients(t, subscribed.get(t.job.id, set()), project.notify).items():
            if target := find(project, name):
                payload = messages.restore_payload(target.kind, project.name, t.job, t.previous, names[t.job.id], url)
                queued.append(
                    _queued(
                        project,
                        Notification.Subject.RESTORE_JOB,
                        t.job.id,
                        name,
                        t.status,
                        t.previous,
                        reason,
                        payload,
                        now,
                    )
                )
    with transaction.atomic():
        Notification.objects.bulk_create(queued, ignore_conflicts=True)
        # Only the rows read above: a row that changed since is a transition still to look at.
        for status in {r.status for r in rows}:
            ids = [r.pk for r in rows if r.status == status]
            for start in range(0, len(ids), BATCH):
                RestoreRecord.objects.filter(pk__in=ids[start : start + BATCH], status=status).update(
                    watched_status=status
                )
    return len(queued)


def _queued(project, subject, subject_id, target, status, previous, reason, payload, now) -> Notification:
    return Notification(
        project=project.name,
        subject=subject,
        subject_id=subject_id,
        target=target,
        status=status,
        previous_status=previous,
        reason=reason,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


@dataclass(frozen=True)
class BackupFailure:
    backup_id: str
    backup_name: str
    # The schedule that made the backup; without it the backup was not scheduled.
    schedule_name: str
    status: str


def scheduled_backup_failed(project: Project, failure: BackupFailure) -> int:
    """Queue a notification to every target of PROJECT with the "scheduled_backup_failed" event;
    returns how many targets that is.

    The hook for whoever loads schedule history: call it once a backup made by a
    schedule is seen failed. A backup without a schedule name is not announced,
    and a backup and status already queued is not queued again.
    """
    if not failure.schedule_name:
        return 0
    now = timezone.now()
    url = settings.RESTOREUI_BASE_URL + reverse("backups-detail", args=[project.name, failure.backup_id])
    queued = [
        _queued(
            project,
            Notification.Subject.BACKUP,
            failure.backup_id,
            target.name,
            failure.status,
            "",
            "scheduled_backup_failed",
            messages.backup_failed_payload(
                target.kind,
                project.name,
                failure.backup_id,
                failure.backup_name,
                failure.schedule_name,
                failure.status,
                url,
            ),
            now,
        )
        for target in project.notify
        if "scheduled_backup_failed" in target.events
    ]
    Notification.objects.bulk_create(queued, ignore_conflicts=True)
    return len(queued)


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0


def deliver_due(holder: str) -> Delivered:
    """Send every queued notification that is due, as HOLDER; failures are audited, never raised."""
    counts = Delivered()
    _give_up_abandoned()
    now = timezone.now()
    due = Notification.objects.filter(state=Notification.State.PENDING, next_attempt_at__lte=now).order_by("id")
    for n in due[:BATCH]:
        claimed = Notification.objects.filter(pk=n.pk, state=Notification.State.PENDING, attempts=n.attempts).update(
            state=Notification.State.SENDING, attempts=n.attempts + 1, claimed_by=holder, claimed_at=timezone.now()
        )
        if not claimed:
            continue  # another watcher has it
        n.attempts += 1
        if _deliver(n):
            counts.sent += 1
        else:
            counts.failed += 1
    return counts


def _deliver(n: Notification) -> bool:
    project = all_projects().get(n.project)
    target = find(project, n.target) if project else None
    if target is None:
        _finish(n, Notification.State.FAILED, "the target is no longer in the projects file")
        return False
    result = send.post(target, n.payload)
    if result.outcome == send.DELIVERED:
        n.delivered_at = timezone.now()
        _finish(n, Notification.State.DELIVERED, "")
        return True
    attempts = settings.RESTOREUI_NOTIFY_ATTEMPTS
    if result.outcome == send.NOT_SENT and n.attempts < attempts:
        delay = retry_delay(n.attempts, settings.RESTOREUI_NOTIFY_RETRY_SECONDS)
        n.next_attempt_at = timezone.now() + delay
        _finish(
            n,
            Notification.State.PENDING,
            f"{result.error}; attempt {n.attempts} of {attempts}, next in {int(delay.total_seconds())} s",
        )
    elif result.outcome == send.NOT_SENT:
        _finish(n, Notification.State.FAILED, f"{result.error}; gave up after {n.attempts} attempts")
    elif result.outcome == send.UNKNOWN:
        _finish(n, Notification.State.UNKNOWN, f"{result.error}; it may have been posted, so it is not sent again")
    else:
        _finish(n, Notification.State.FAILED, f"{result.error}; not sent again")
    return False


def _finish(n: Notification, state: str, error: str) -> None:
    n.state, n.last_error = state, error
    n.save(update_fields=["state", "last_error", "next_attempt_at", "delivered_at"])
    _audit(n, error)


def _give_up_abandoned() -> None:
    """Rows a dead watcher claimed: it may have sent them, so they are never sent again."""
    cutoff = timezone.now() - ABANDONED_AFTER
    for n in Notification.objects.filter(state=Notification.State.SENDING, claimed_at__lt=cutoff):
        taken = Notification.objects.filter(pk=n.pk, state=Notification.State.SENDING).update(
            state=Notification.State.UNKNOWN, last_error=f"{n.claimed_by} stopped while sending it; not sent again"
        )
        if taken:
            n.state, n.last_error = (
                Notification.State.UNKNOWN,
                f"{n.claimed_by} stopped while sending it; not sent again",
            )
            _audit(n, n.last_error)


def _audit(n: Notification, error: str) -> None:
    outcome = {
        str(Notification.State.DELIVERED): AuditEntry.Outcome.OK,
        # It may have been posted: audited as such, and never sent again.
        str(Notification.State.UNKNOWN): AuditEntry.Outcome.UNKNOWN,
    }.get(n.state, AuditEntry.Outcome.FAILED)
    if n.subject == Notification.Subject.RESTORE_JOB:
        path = reverse("jobs-detail", args=[n.project, n.subject_id])
    else:
        path = reverse("backups-detail", args=[n.project, n.subject_id])
    audit.record_watcher(
        n.project,
        AuditEntry.Action.NOTIFY,
        n.subject_id,
        outcome,
        detail=f"{n.target}: {n.previous_status or 'first seen'} -> {n.status}" + (f": {error}" if error else ""),
        path=path,
        reference=f"notification-{n.pk}",
        extra={
            "notify_target": n.target,
            "reason": n.reason,
            "status": n.status,
            "attempt": n.attempts,
            "state": n.state,
        },
    )


def prune() -> int:
    """Forget messages and subscriptions older than RESTOREUI_HISTORY_DAYS, like the history; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.RESTOREUI_HISTORY_DAYS)
    messages_deleted, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    subscriptions_deleted, _ = Subscription.objects.filter(created_at__lt=cutoff).delete()
    return messages_deleted + subscriptions_deleted


def subscribed_targets(project: Project, job_id: str) -> set[str]:
    return set(
        Subscription.objects.filter(project=project.name, restore_job_id=job_id).values_list("target", flat=True)
    )


def sent_for(project: Project, job_id: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            project=project.name, subject=Notification.Subject.RESTORE_JOB, subject_id=job_id
        ).order_by("created_at", "target")
    )
