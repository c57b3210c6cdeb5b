"""The one-line Markdown summary of a restore job, shared by the job page and the notifications."""

from datetime import UTC, datetime

from restoreui.lib import formatting


def job_line(job, url: str, estimate=None, now: datetime | None = None, note=None) -> str:
    """One line for an incident channel: job, target index, status, time running and expected
    (from ESTIMATE, a progress.Estimate), the UTC time, and the operators' NOTE (a JobNote)."""
    if job.finished:
        when = f"at {formatting.utc(job.completed_at, seconds=False)}" if job.completed_at else ""
    else:
        progress = f" {formatting.percent(job.percent_complete)}" if job.percent_complete is not None else ""
        running = formatting.running_note(estimate)
        progress += f" ({running})" if running else ""
        when = f"{progress} as of {formatting.utc(now or datetime.now(UTC), seconds=False)}"
    name, status, short_id = (formatting.markdown_escape(t) for t in (job.target_index_name, job.status, job.short_id))
    # An id's parentheses would end the link target early.
    url = url.replace("(", "%28").replace(")", "%29")
    line = f"[Restore job {short_id} → {name}]({url}): {status}{when and ' ' + when.strip()}"
    return f"{line} · Note: {formatting.markdown_escape(note.text)}" if note else line
