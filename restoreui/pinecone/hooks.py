"""Calls the service module makes without knowing who listens: no-ops until replaced.

    from restoreui.pinecone import hooks
    hooks.on_upstream_call = lambda endpoint, status, seconds: ...

`endpoint` is a path template such as "GET /backups/{}"; `status` is 0 when
no answer came back. `result` is "hit", "miss", "stale" or "revalidate" (a
list served past its lifetime while it is refreshed). The restore job
hooks run only when a copy was just fetched from Pinecone, never on a cache hit.
What a listener returns is ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from restoreui.pinecone.models import Listing, RestoreJob
    from restoreui.projects import Project


def on_upstream_call(endpoint: str, status: int, seconds: float) -> None:
    pass


def on_cache(result: str) -> None:
    pass


def on_restore_jobs_listed(project: Project, listing: Listing[RestoreJob]) -> object:
    """A whole restore job list was fetched for PROJECT."""


def on_restore_job_loaded(project: Project, job: RestoreJob) -> object:
    """One RestoreJob was fetched for PROJECT."""
