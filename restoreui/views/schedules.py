"""Backup schedules of an index (API 2026-07): a page per schedule, and the writes operators make."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from restoreui import audit
from restoreui.forms import DeleteScheduleForm, ScheduleForm
from restoreui.models import AuditEntry
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone import Conflict, Forbidden, InvalidRequest, NotAvailable, NotFound, PineconeError, service
from restoreui.views.common import project_or_404, refused
from restoreui.views.errors import part, sending, upstream_errors


def _need_schedules(project):
    """The project's API version has no schedules: a note, not an error."""
    if reason := service.schedules_unavailable(project):
        raise NotAvailable(reason, project=project.name)


# A schedule write sent without a clear answer.
UNSURE = "The change may or may not have been made: reload the index page to check."
# A schedule Pinecone does not have, and an API version without schedules.
SCHEDULE_PAGES = {"not_found": "schedules/not_found.html", "not_available": "schedules/unavailable.html"}


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
    return error.explain()


@require_GET
@upstream_errors("indexes", **SCHEDULE_PAGES)
def detail(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    fetched = service.get_schedule(project, schedule_id)
    schedule = fetched.value
    history = part(lambda: service.schedule_history(project, schedule_id).value.items)
    # The planned run leads, then the runs newest first.
    runs = sorted(history.value or (), key=lambda b: b.name != schedule.planned_name)
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        "schedule": schedule,
        "fetched": fetched,
        "history": runs,
        "history_error": history.error,
        "form": ScheduleForm(
            initial={"frequency": schedule.frequency, "retention_days": schedule.retention_days},
            project=project,
            creating=False,
        ),
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "schedules/detail.html", context)


@require_http_methods(["GET", "POST"])
@upstream_errors("indexes", **SCHEDULE_PAGES)
def create(request, project_name, index_name):
    project = project_or_404(project_name)
    _need_schedules(project)
    reason = write_refusal_reason(request.user, project)
    if reason:
        return refused(request, project, AuditEntry.Action.CREATE_SCHEDULE, index_name, reason)
    form = ScheduleForm(request.POST if request.method == "POST" else None, project=project, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = {"name": data["name"], "frequency": data["frequency"], "retention_days": data["retention_days"]}
        with sending(
            request,
            project,
            AuditEntry.Action.CREATE_SCHEDULE,
            index_name,
            form,
            unsure=UNSURE,
            explain=lambda error: explain(project, index_name, error),
            extra=wanted,
        ):
            schedule = service.create_schedule(project, index_name, **wanted)
        if not form.errors:
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
@upstream_errors("indexes", **SCHEDULE_PAGES)
def edit(request, project_name, index_name, schedule_id):
    """Change the frequency and retention; the form lives on the schedule page."""
    project = project_or_404(project_name)
    schedule = service.get_schedule(project, schedule_id).value
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, AuditEntry.Action.UPDATE_SCHEDULE, schedule_id, reason)
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
@upstream_errors("indexes", **SCHEDULE_PAGES)
def toggle(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    schedule = service.get_schedule(project, schedule_id).value
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, AuditEntry.Action.UPDATE_SCHEDULE, schedule_id, reason)
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
    with sending(
        request,
        project,
        AuditEntry.Action.UPDATE_SCHEDULE,
        schedule.id,
        form,
        unsure=UNSURE,
        explain=lambda error: explain(project, index_name, error),
        extra={"index": index_name, **changes},
    ):
        service.update_schedule(project, index_name, schedule.id, **changes)
    if form.errors:
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
@upstream_errors("indexes", **SCHEDULE_PAGES)
def delete(request, project_name, index_name, schedule_id):
    project = project_or_404(project_name)
    schedule = service.get_schedule(project, schedule_id).value
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, AuditEntry.Action.DELETE_SCHEDULE, schedule_id, reason)
    expected = schedule.display_name
    form = DeleteScheduleForm(
        request.POST if request.method == "POST" else None, expected=expected, schedule_id=schedule.id
    )
    if request.method == "POST" and form.is_valid():
        with sending(
            request,
            project,
            AuditEntry.Action.DELETE_SCHEDULE,
            schedule_id,
            form,
            unsure=UNSURE,
            explain=lambda error: explain(project, index_name, error),
            extra={"index": index_name},
        ):
            service.delete_schedule(project, index_name, schedule_id)
        if not form.errors:
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
