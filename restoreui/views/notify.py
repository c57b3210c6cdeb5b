"""Subscribing a notification target to one restore job, from the job's page."""

import contextlib
import logging

from django.contrib import messages
from django.db import DatabaseError, IntegrityError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from restoreui import audit
from restoreui.models import AuditEntry
from restoreui.notifications import outbox
from restoreui.notifications.models import Subscription
from restoreui.notifications.targets import find
from restoreui.permissions import write_refusal_reason
from restoreui.views.common import known_job, project_or_404, refused
from restoreui.views.errors import upstream_errors

log = logging.getLogger(__name__)

ACTIONS = {"subscribe": AuditEntry.Action.SUBSCRIBE, "unsubscribe": AuditEntry.Action.UNSUBSCRIBE}


def notify_context(request, project, job) -> dict:
    """What the job page's Notifications card shows (jobs/_notify.html)."""
    if not project.notify:
        return {}
    try:
        subscribed, sent = sorted(outbox.subscribed_targets(project, job.id)), outbox.sent_for(project, job.id)
    except DatabaseError:
        log.exception("project %s: subscriptions of job %s unreadable", project.name, job.id)
        return {"notify_refusal": "Subscriptions cannot be read just now"}
    return {
        "subscribed": subscribed,
        "notifications": sent,
        "notify_refusal": write_refusal_reason(request.user, project),
    }


@require_POST
@upstream_errors("jobs", not_found="jobs/not_found.html")
def subscription(request, project_name, job_id):
    """Subscribe a notification target to the job, or unsubscribe it."""
    project = project_or_404(project_name)
    choice = request.POST.get("action", "")
    action = ACTIONS.get(choice, AuditEntry.Action.SUBSCRIBE)
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, action, job_id, reason)
    target = find(project, request.POST.get("target", ""))
    if target is None or choice not in ACTIONS:
        messages.error(request, "Choose one of this project's notification targets, then Subscribe or Unsubscribe.")
        return redirect("jobs-detail", project.name, job_id)
    job = known_job(project, job_id)
    if choice == "subscribe" and job.finished:
        messages.error(
            request, f"This restore job has already ended ({job.status}): there is nothing left to tell {target.name}."
        )
        return redirect("jobs-detail", project.name, job_id)
    if choice == "subscribe":
        # Subscribed by someone else a moment ago is the same outcome.
        with contextlib.suppress(IntegrityError):
            Subscription.objects.get_or_create(
                project=project.name,
                restore_job_id=job.id,
                target=target.name,
                defaults={"created_by": request.user.get_username()},
            )
        done = f"{target.name} will be told when this restore job ends."
    else:
        Subscription.objects.filter(project=project.name, restore_job_id=job.id, target=target.name).delete()
        done = f"{target.name} will not be told about this restore job."
    audit.record(request, project.name, action, job.id, AuditEntry.Outcome.OK, extra={"notify_target": target.name})
    messages.success(request, done)
    return redirect("jobs-detail", project.name, job.id)
