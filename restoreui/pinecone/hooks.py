"""Counters for the metrics endpoint: no-ops until a metrics module replaces them.

    from restoreui.pinecone import hooks
    hooks.on_upstream_call = lambda endpoint, status, seconds: ...

`endpoint` is a path template such as "GET /backups/{}"; `status` is 0 when
no answer came back. `result` is "hit", "miss" or "stale".
"""


def on_upstream_call(endpoint: str, status: int, seconds: float) -> None:
    pass


def on_cache(result: str) -> None:
    pass
