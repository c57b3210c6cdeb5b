"""Backup schedules of an index (API 2026-07): a page per schedule, and the writes operators make."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from restoreui import audit
from restoreui.forms import DeleteScheduleForm, ScheduleForm
from restoreui.models import AuditEntry
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PineconeError,
    Unavailable,
    service,
)
from restoreui.views.common import project_or_404, refused, upstream_failed


def _unavailable(request, project, index_name):
    """The project's API version has no schedules: a note, not an error."""
    reason = service.schedules_unavailable(project)
    if not reason:
        return None
    context = {"project": project, "section": "indexes", "index_name": index_name, "reason": reason}
    return render(request, "schedules/unavailable.html", context, status=404)


def _schedule_or_failure(request, project, index_name, schedule_id):
    """The schedule, or the response to send instead (note, 404 page or upstream failure)."""
    if failure := _unavailable(request, project, index_name):
        return None, failure
    try:
        return service.get_schedule(project, schedule_id), None
    except NotFound:
        context = {"project": project, "section": "indexes", "index_name": index_name, "schedule_id": schedule_id}
        return None, render(request, "schedules/not_found.html", context, status=404)
    except PineconeError as error:
        return None, upstream_failed(request, project, error, section="indexes")


def _schedule_for_write(request, project, index_name, schedule_id, action):
    fetched, failure = _schedule_or_failure(request, project, index_name, schedule_id)
    if failure:
        return None, failure
    reason = write_refusal_reason(request.user, project)
    if reason:
        return None, refused(request, project, action, schedule_id, reason)
    return fetched.value, None


def explain(project, index_name: str, error: PineconeError) -> str:
    """The API's answer to a schedule write, in an operator's words."""
    if isinstance(error, Conflict):
        return (
            f"Index {index_name} already has an enabled backup schedule, and Pinecone allows one per index. "
            f"Disable or delete that one first. ({error.message})"
        )
    if isinstance(error, Forbidden) and error.code == "PERMISSION_DENIED":
        return f"The API key of project {project.name} may not manage backup schedules: {error.message}"
    if isinstance(error, Forbidden):
        return (
            f"Project {project.name}'s Pinecone plan does not include scheduled backups, so Pinecone "
            f"refuses every schedule change: {error.message}"
        )
    if isinstance(error, InvalidRequest):
        return f"Pinecone rejected the schedule: {error.message}"
    if isinstance(error, NotFound):
        return f"Pinecone no longer has this: {error.message}"
    if isinstance(error, Unavailable):
        return f"{error.explain()} The change may or may not have been made: reload the index page to check."
    return error.explain()


@require_GET
def schedules_detail(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    fetched, failure = _schedule_or_failure(request, project, index_name, schedule_id)
    if failure:
        return failure
    schedule = fetched.value
    try:
        history, history_error = service.schedule_history(project, schedule_id).value.items, None
    except PineconeError as error:
        history, history_error = (), error
    # The planned run leads, then the runs newest first.
    history = tuple(sorted(history, key=lambda b: b.name != schedule.planned_name))
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        "schedule": schedule,
        "fetched": fetched,
        "history": history,
        "history_error": history_error,
        "form": ScheduleForm(
            initial={"frequency": schedule.frequency, "retention_days": schedule.retention_days},
            project=project,
            creating=False,
        ),
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "schedules/detail.html", context)


@require_http_methods(["GET", "POST"])
def schedules_create(request, project_name, index_name):
    project = project_or_404(project_name)
    if failure := _unavailable(request, project, index_name):
        return failure
    reason = write_refusal_reason(request.user, project)
    if reason:
        return refused(request, project, AuditEntry.Action.CREATE_SCHEDULE, index_name, reason)
    form = ScheduleForm(request.POST if request.method == "POST" else None, project=project, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = {"name": data["name"], "frequency": data["frequency"], "retention_days": data["retention_days"]}
        try:
            schedule = service.create_schedule(project, index_name, **wanted)
        except PineconeError as error:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.CREATE_SCHEDULE,
                index_name,
                audit.failure_outcome(error),
                error=error,
                extra=wanted,
            )
            form.add_error(None, explain(project, index_name, error))
        else:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.CREATE_SCHEDULE,
                index_name,
                AuditEntry.Outcome.OK,
                extra={**wanted, "schedule_id": schedule.id},
            )
            messages.success(request, f"Backup schedule {schedule.display_name} created for {index_name}.")
            return redirect("schedules-detail", project.name, index_name, schedule.id)
    context = {"project": project, "section": "indexes", "index_name": index_name, "form": form}
    return render(request, "schedules/create.html", context, status=400 if form.errors else 200)


@require_POST
def schedules_edit(request, project_name, index_name, schedule_id):
    """Change the frequency and retention; the form lives on the schedule page."""
    project = project_or_404(project_name)
    schedule, failure = _schedule_for_write(
        request, project, index_name, schedule_id, AuditEntry.Action.UPDATE_SCHEDULE
    )
    if failure:
        return failure
    form = ScheduleForm(request.POST, project=project, creating=False)
    if form.is_valid():
        changes = {"frequency": form.cleaned_data["frequency"], "retention_days": form.cleaned_data["retention_days"]}
        if _update(request, project, index_name, schedule, form, changes):
            messages.success(
                request,
                f"Backup schedule {schedule.display_name} now runs {changes['frequency']} "
                f"and keeps backups {changes['retention_days']} days.",
            )
            return redirect("schedules-detail", project.name, index_name, schedule_id)
    return _detail_with_form(request, project, index_name, schedule, form)


@require_POST
def schedules_toggle(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    schedule, failure = _schedule_for_write(
        request, project, index_name, schedule_id, AuditEntry.Action.UPDATE_SCHEDULE
    )
    if failure:
        return failure
    enabled = request.POST.get("enabled") == "true"
    # Bound to the current values, so a refusal can be shown on it beside the change form.
    form = ScheduleForm(
        {"frequency": schedule.frequency, "retention_days": schedule.retention_days}, project=project, creating=False
    )
    form.is_valid()
    if _update(request, project, index_name, schedule, form, {"enabled": enabled}):
        messages.success(request, f"Backup schedule {schedule.display_name} {'enabled' if enabled else 'disabled'}.")
        return redirect("schedules-detail", project.name, index_name, schedule_id)
    return _detail_with_form(request, project, index_name, schedule, form)


def _update(request, project, index_name, schedule, form, changes) -> bool:
    """Send the change and audit it; on failure the form carries the explanation."""
    try:
        service.update_schedule(project, index_name, schedule.id, **changes)
    except PineconeError as error:
        audit.record(
            request,
            project.name,
            AuditEntry.Action.UPDATE_SCHEDULE,
            schedule.id,
            audit.failure_outcome(error),
            error=error,
            extra={"index": index_name, **changes},
        )
        form.add_error(None, explain(project, index_name, error))
        return False
    audit.record(
        request,
        project.name,
        AuditEntry.Action.UPDATE_SCHEDULE,
        schedule.id,
        AuditEntry.Outcome.OK,
        extra={"index": index_name, "name": schedule.name, **changes},
    )
    return True


def _detail_with_form(request, project, index_name, schedule, form):
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        "schedule": schedule,
        "history": None,
        "form": form,
        "refusal": None,
    }
    return render(request, "schedules/detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
def schedules_delete(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    schedule, failure = _schedule_for_write(
        request, project, index_name, schedule_id, AuditEntry.Action.DELETE_SCHEDULE
    )
    if failure:
        return failure
    expected = schedule.display_name
    form = DeleteScheduleForm(
        request.POST if request.method == "POST" else None, expected=expected, schedule_id=schedule.id
    )
    if request.method == "POST" and form.is_valid():
        try:
            service.delete_schedule(project, index_name, schedule_id)
        except PineconeError as error:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.DELETE_SCHEDULE,
                schedule_id,
                audit.failure_outcome(error),
                error=error,
                extra={"index": index_name},
            )
            form.add_error(None, explain(project, index_name, error))
        else:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.DELETE_SCHEDULE,
                schedule_id,
                AuditEntry.Outcome.OK,
                extra={"index": index_name, "name": schedule.name},
            )
            messages.success(
                request, f"Backup schedule {expected} deleted. The backups it made stay until their retention runs out."
            )
            return redirect("indexes-detail", project.name, index_name)
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        "schedule": schedule,
        "form": form,
        "expected": expected,
    }
    return render(request, "schedules/delete.html", context, status=400 if form.errors else 200)
