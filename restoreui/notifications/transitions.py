"""Which status changes the watcher announces, and to whom: plain values in, plain values out."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from restoreui.pinecone.models import RestoreJob

# A job first seen already ended is announced only if it ended this recently,
# so a fresh install (or a long outage of the watcher) does not replay old failures.
FRESH_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class Seen:
    job: RestoreJob  # as recorded now
    watched: str  # the status the watcher last acted on; "" for a job it has not looked at


@dataclass(frozen=True)
class Transition:
    job: RestoreJob
    previous: str  # "" when the job was first seen in this status
    status: str


def transitions(seen: list[Seen], now: datetime) -> list[Transition]:
    """The status changes in SEEN worth acting on.

    A job that has ended does not start again, so a change after an end is a
    contradictory upstream answer, not a transition.
    """
    found = []
    for s in seen:
        job = s.job
        if job.status == s.watched or (s.watched and replace(job, status=s.watched).finished):
            continue
        if not s.watched and job.finished and (job.completed_at is None or now - job.completed_at > FRESH_FOR):
            continue
        found.append(Transition(job, s.watched, job.status))
    return found


def recipients(transition: Transition, subscribed: set[str], targets) -> dict[str, str]:
    """Target name -> why it hears of TRANSITION: "subscription" (the job ended) or "restore_failed"."""
    job = transition.job
    if not job.finished:
        return {}
    heard = dict.fromkeys(sorted(subscribed), "subscription")
    if job.state == "failed":
        for target in targets:
            if "restore_failed" in target.events:
                heard.setdefault(target.name, "restore_failed")
    return heard
