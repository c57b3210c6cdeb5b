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
from restoreui.pinecone import NotFound, service
from restoreui.views.common import project_or_404, refused
from restoreui.views.errors import Missing, part, sending, upstream_errors


@require_GET
@upstream_errors("indexes")
def list_(request, project_name):
    project = project_or_404(project_name)
    fetched = service.list_indexes(project)
    backups = part(lambda: service.list_backups(project).value.items).value
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
@upstream_errors("indexes", not_found="indexes/not_found.html")
def detail(request, project_name, index_name):
    project = project_or_404(project_name)
    # A deleted index keeps its page while backups of it remain.
    described = part(lambda: service.get_index(project, index_name))
    index_error = None if isinstance(described.error, NotFound) else described.error
    index = described.value.value if described.value else None
    # The service module already lists them newest first.
    backups = [b for b in service.list_backups(project).value.items if b.source_index_name == index_name]
    if index is None and index_error is None and not backups:
        raise Missing
    context = {
        "project": project,
        "section": "indexes",
        "index_name": index_name,
        **_schedules(project, index_name, backups),
        "index": index,
        "index_error": index_error,
        "fetched": described.value,
        "backups": backups,
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "indexes/detail.html", context)


def _schedules(project, index_name, backups) -> dict:
    """The index's schedules with their last runs, or a note when the API version has none."""
    note = service.schedules_unavailable(project)
    if note:
        return {"schedules": (), "schedules_note": note}
    schedules = part(lambda: service.index_schedules(project, index_name))
    if schedules.error:
        return {"schedules": (), "schedules_error": schedules.error}
    return {"schedules": [(s, coverage.last_run(s, backups)) for s in schedules.value or ()]}


@require_http_methods(["GET", "POST"])
def backup(request, project_name, index_name):
    """Create a backup of an index."""
    project = project_or_404(project_name)
    reason = write_refusal_reason(request.user, project)
    if reason:
        return refused(request, project, AuditEntry.Action.CREATE_BACKUP, index_name, reason)
    form = CreateBackupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with sending(
            request,
            project,
            AuditEntry.Action.CREATE_BACKUP,
            index_name,
            form,
            unsure="The backup may or may not have been started: check this index's backups before trying again.",
            explain=lambda error: (
                f"Project {project.name} has no index named “{index_name}”." if isinstance(error, NotFound) else None
            ),
        ):
            started = service.create_backup(
                project, index_name, name=data["name"] or None, description=data["description"] or None
            )
        if not form.errors:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.CREATE_BACKUP,
                index_name,
                AuditEntry.Outcome.OK,
                extra={"backup_id": started.id, "name": started.name},
            )
            messages.success(request, f"Backup {started.display_name} of {index_name} started.")
            return redirect("backups-detail", project.name, started.id)
    context = {"project": project, "section": "indexes", "index_name": index_name, "form": form}
    return render(request, "indexes/backup.html", context, status=400 if form.errors else 200)


@require_GET
@upstream_errors("indexes")
def restore_before(request, project_name, index_name):
    """The last Ready backup of an index taken before a time, with a name for the restored index."""
    project = project_or_404(project_name)
    form = RestoreBeforeForm(request.GET or None, initial={"tz": request.session.get("tz", "utc")})
    moment = form.cleaned_data["moment"] if form.is_valid() else None
    # The shared link names the time in UTC, so it means the same for whoever opens it.
    if moment and list(request.GET.items()) != [("before", canonical(moment))]:
        return redirect(f"{request.path}?{urlencode({'before': canonical(moment)}, safe=':')}")
    fetched = service.list_backups(project)
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
    if not (chosen and previous) or chosen.record_count is None or previous.record_count is None:
        return False
    return chosen.record_count < previous.record_count
