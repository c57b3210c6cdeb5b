"""The one-line Markdown summary of a restore job, shared by the job page and the notifications."""

from datetime import datetime, timezone

from restoreui.lib import formatting


def job_line(job, url: str, estimate=None, now: datetime | None = None) -> str:
    """One line for an incident channel: job, target index, status, time running and expected
    (from ESTIMATE, a progress.Estimate), and the UTC time."""
    if job.finished:
        when = f"at {formatting.utc(job.completed_at, seconds=False)}" if job.completed_at else ""
    else:
        progress = f" {formatting.percent(job.percent_complete)}" if job.percent_complete is not None else ""
        note = formatting.running_note(estimate)
        progress += f" ({note})" if note else ""
        when = f"{progress} as of {formatting.utc(now or datetime.now(timezone.utc), seconds=False)}"
    return f"[Restore job {job.short_id} → {job.target_index_name}]({url}): {job.status}{when and ' ' + when.strip()}"
