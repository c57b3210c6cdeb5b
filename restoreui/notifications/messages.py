"""The bodies posted to targets: Slack's incoming webhook ({"text": ...}) and a generic JSON webhook."""

from restoreui.lib import formatting
from restoreui.lib.markdown import job_line


def restore_payload(kind: str, project_name: str, job, previous: str, backup_name: str, url: str) -> dict:
    """What KIND of target is sent when JOB reached its status from PREVIOUS; URL is the job's page."""
    text = job_line(job, url)
    if kind == "slack":
        return {"text": text}
    return {
        "event": f"restore_{job.state}",
        "project": project_name,
        "restore_job_id": job.id,
        "status": job.status,
        "previous_status": previous or None,
        "backup_id": job.backup_id,
        "backup_name": backup_name or None,
        "target_index_name": job.target_index_name,
        "created_at": job.created_at and formatting.iso(job.created_at),
        "completed_at": job.completed_at and formatting.iso(job.completed_at),
        "duration_seconds": job.duration and int(job.duration.total_seconds()),
        "url": url,
        "text": text,
    }


def backup_failed_payload(
    kind: str, project_name: str, backup_id: str, backup_name: str, schedule_name: str, status: str, url: str
) -> dict:
    """What KIND of target is sent when a scheduled backup failed; URL is the backup's page."""
    text = f"[Scheduled backup {backup_name or backup_id[:8]}]({url}) of schedule {schedule_name}: {status}"
    if kind == "slack":
        return {"text": text}
    return {
        "event": "scheduled_backup_failed",
        "project": project_name,
        "backup_id": backup_id,
        "backup_name": backup_name or None,
        "schedule_name": schedule_name,
        "status": status,
        "url": url,
        "text": text,
    }
