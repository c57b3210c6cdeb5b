from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from restoreui import audit, coverage
from restoreui.forms import CreateBackupForm, RestoreBeforeForm
from restoreui.lib.pointintime import canonical, last_ready_before, restore_name
from restoreui.models import AuditEntry
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone import NotFound, PineconeError, Unavailable, service
from restoreui.views.common import project_or_404, refused, upstream_failed


@require_GET
def indexes_list(request, project_name):
    project = project_or_404(project_name)
    try:
        fetched = service.list_indexes(project)
    except PineconeError as error:
        return upstream_failed(request, project, error, section="indexes")
    try:
        backups = service.list_backups(project).value.items
    except PineconeError:
        backups = None
    counts = Counter(backup.source_index_name for backup in backups or ())
    context = {
        "project": project,
        "section": "indexes",
        "fetched": fetched,
        "indexes": sorted(fetched.value.items, key=lambda i: i.name),
        "backup_counts": counts if backups is not None else None,
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "indexes/list.html", context)


@require_GET
def indexes_detail(request, project_name, index_name):
    project = project_or_404(project_name)
    index, index_error = None, None
    try:
        fetched = service.get_index(project, index_name)
        index = fetched.value
    except NotFound:
        fetched = None
    except PineconeError as error:
        fetched, index_error = None, error
    try:
        backups = service.list_backups(project).value.items
    except PineconeError as error:
        return upstream_failed(request, project, error, section="indexes")
    # The service module already lists them newest first.
    backups = [b for b in backups if b.source_index_name == index_name]
    if index is None and index_error is None and not backups:
        context = {"project": project, "section": "indexes", "index_name": index_name}
        return render(request, "indexes/not_found.html", context, status=404)
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        **_schedules(project, index_name, backups),
        "index": index,
        "index_error": index_error,
        "fetched": fetched,
        "backups": backups,
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "indexes/detail.html", context)


def _schedules(project, index_name, backups) -> dict:
    """The index's schedules with their last runs, or a note when the API version has none."""
    note = service.schedules_unavailable(project)
    if note:
        return {"schedules": (), "schedules_note": note}
    try:
        schedules = service.index_schedules(project, index_name)
    except PineconeError as error:
        return {"schedules": (), "schedules_error": error}
    return {"schedules": [(s, coverage.last_run(s, backups)) for s in schedules]}


@require_http_methods(["GET", "POST"])
def indexes_backup(request, project_name, index_name):
    """Create a backup of an index."""
    project = project_or_404(project_name)
    reason = write_refusal_reason(request.user, project)
    if reason:
        return refused(request, project, AuditEntry.Action.CREATE_BACKUP, index_name, reason)
    form = CreateBackupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            backup = service.create_backup(
                project, index_name, name=data["name"] or None, description=data["description"] or None
            )
        except PineconeError as error:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.CREATE_BACKUP,
                index_name,
                audit.failure_outcome(error),
                error=error,
            )
            if isinstance(error, NotFound):
                form.add_error(None, f"Project {project.name} has no index named “{index_name}”.")
            elif isinstance(error, Unavailable):
                form.add_error(
                    None,
                    f"{error.explain()} The backup may or may not have been started: "
                    "check this index's backups before trying again.",
                )
            else:
                form.add_error(None, error.explain())
        else:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.CREATE_BACKUP,
                index_name,
                AuditEntry.Outcome.OK,
                extra={"backup_id": backup.id, "name": backup.name},
            )
            messages.success(request, f"Backup {backup.display_name} of {index_name} started.")
            return redirect("backups-detail", project.name, backup.id)
    context = {"project": project, "section": "indexes", "index_name": index_name, "form": form}
    return render(request, "indexes/backup.html", context, status=400 if form.errors else 200)


@require_GET
def indexes_restore_before(request, project_name, index_name):
    """The last Ready backup of an index taken before a time, with a name for the restored index."""
    project = project_or_404(project_name)
    form = RestoreBeforeForm(request.GET or None, initial={"tz": request.session.get("tz", "utc")})
    moment = form.cleaned_data["moment"] if form.is_valid() else None
    # The shared link names the time in UTC, so it means the same for whoever opens it.
    if moment and list(request.GET.items()) != [("before", canonical(moment))]:
        return redirect(f"{request.path}?{urlencode({'before': canonical(moment)}, safe=':')}")
    try:
        fetched = service.list_backups(project)
    except PineconeError as error:
        return upstream_failed(request, project, error, section="indexes")
    backups = [b for b in fetched.value.items if b.source_index_name == index_name]
    chosen, previous = last_ready_before(backups, moment) if moment else (None, None)
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        "before_form": form,
        "moment": moment,
        "fetched": fetched,
        "backups": backups,
        "chosen": chosen,
        "previous": previous,
        "fewer_records": _counts_fewer(chosen, previous),
        "oldest_ready": next((b for b in reversed(backups) if b.state == "ready" and b.created_at), None),
        "suggested_name": chosen and restore_name(index_name, chosen.created_at),
        "previous_name": previous and restore_name(index_name, previous.created_at),
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "indexes/restore_before.html", context, status=400 if form.errors else 200)


def _counts_fewer(chosen, previous) -> bool:
    """Whether CHOSEN counts fewer records than PREVIOUS: a backup taken too soon after a write does."""
    counts = (chosen.record_count, previous.record_count) if chosen and previous else (None, None)
    return None not in counts and counts[0] < counts[1]
