"""The audit trail of writes: a database row to browse and a JSON log line to ship."""

import json
import logging

from django.db import DatabaseError

from restoreui.middleware import client_ip
from restoreui.models import AuditEntry

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
    entry.full_clean()
    logger.info(json.dumps(entry.as_log(), default=str, sort_keys=True))
    try:
        entry.save()
    except DatabaseError:
        logger.exception("audit entry %s could not be saved", entry.request_id)
    return entry


def record_watcher(project_name: str, action: str, target: str, outcome: str, detail: str, path: str,
                   reference: str, extra: dict) -> AuditEntry:
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
    entry.full_clean()
    logger.info(json.dumps(entry.as_log(), default=str, sort_keys=True))
    try:
        entry.save()
    except DatabaseError:
        logger.exception("audit entry %s could not be saved", entry.request_id)
    return entry
