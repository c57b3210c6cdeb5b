"""Calls the service module makes without knowing who listens: no-ops until replaced.

    from restoreui.pinecone import hooks
    hooks.on_upstream_call = lambda endpoint, status, seconds: ...

`endpoint` is a path template such as "GET /backups/{}"; `status` is 0 when
no answer came back. `result` is "hit", "miss", "stale" or "revalidate" (a
list served past its lifetime while it is refreshed). The restore job
hooks run only when a copy was just fetched from Pinecone, never on a cache hit.
"""


def on_upstream_call(endpoint: str, status: int, seconds: float) -> None:
    pass


def on_cache(result: str) -> None:
    pass


def on_restore_jobs_listed(project, listing) -> None:
    """A whole restore job list (a Listing of RestoreJob) was fetched for PROJECT."""


def on_restore_job_loaded(project, job) -> None:
    """One RestoreJob was fetched for PROJECT."""
