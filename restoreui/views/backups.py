from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from restoreui import audit, coverage
from restoreui.filters import BackupFilterForm
from restoreui.forms import DeleteBackupForm, RestoreForm
from restoreui.history.record import record_start
from restoreui.models import AuditEntry
from restoreui.permissions import write_refusal_reason
from restoreui.pinecone import Conflict, PreconditionFailed, service
from restoreui.views.common import project_or_404, push_clean_url, refused
from restoreui.views.errors import BANNER, part, sending, upstream_errors


@require_GET
@vary_on_headers("HX-Request")
@upstream_errors("backups", region=BANNER)
def list_(request, project_name):
    project = project_or_404(project_name)
    form = BackupFilterForm(request.GET)
    fetched = service.list_backups(project)
    expiries = _expiries(project, fetched.value.items) if form.value("expires") else None
    backups = form.apply(fetched.value.items, expiries)
    page = form.paginate(backups)
    context = {
        "project": project,
        "section": "backups",
        "form": form,
        "filters_set": form.filters_set(),
        "sort": form.sort_headers(),
        "fetched": fetched,
        "page": page,
        "rows": page.object_list,
        "total": len(backups),
        "index_names": sorted({b.source_index_name for b in fetched.value.items}),
        "expiries": expiries,
        "schedules_note": service.schedules_unavailable(project),
    }
    if not request.htmx:
        return render(request, "backups/list.html", context)
    response = render(request, "backups/list.html#table", context)
    return push_clean_url(request, response, form, "backups-filters")


def _expiries(project, backups) -> dict | None:
    """Which schedule made each backup and when its retention deletes it; None before API 2026-07."""
    if service.schedules_unavailable(project):
        return None
    names = sorted({b.source_index_name for b in backups if b.source_index_name})
    schedules = service.schedules_by_index(project, names)
    return coverage.expiries(backups, schedules)


@require_GET
@upstream_errors("backups", not_found="backups/not_found.html")
def detail(request, project_name, backup_id):
    project = project_or_404(project_name)
    fetched = service.get_backup(project, backup_id)
    jobs = part(lambda: service.restore_jobs_for_backup(project, backup_id))
    indexes = _indexes(project)
    metric, metric_index, metric_how = _metric(fetched.value, indexes)
    context = {
        "project": project,
        "section": "backups",
        "backup": fetched.value,
        "source_deleted": _source_deleted(fetched.value, indexes),
        "made_by": (_expiries(project, [fetched.value]) or {}).get(backup_id),
        "metric": metric,
        "metric_index": metric_index,
        "metric_how": metric_how,
        "fetched": fetched,
        "jobs": jobs.value,
        "jobs_error": jobs.error,
        "refusal": write_refusal_reason(request.user, project),
    }
    return render(request, "backups/detail.html", context)


def _indexes(project):
    """The project's indexes when the whole list can be had, else None."""
    indexes = part(lambda: service.list_indexes(project).value).value
    return None if indexes is None or indexes.truncated else indexes.items


def _source_deleted(backup, indexes) -> bool | None:
    """Older API versions do not say when the source index is gone; the index list does."""
    if backup.source_index_deleted_at:
        return True
    if indexes is None:
        return None
    return backup.source_index_name not in {i.name for i in indexes}


def _metric(backup, indexes):
    """(metric, the index it was taken from, how that index relates), for backups that leave it out.

    A restore copies the backup's metric, so its source index and the indexes
    restored from it share it. Index ids are rarely reported; without one, an
    index of the source's name stands in (unless the source is known deleted),
    and the page says it is a name match.
    """
    if backup.metric or indexes is None:
        return backup.metric, None, None
    candidates = [
        ("source", lambda i: i.id is not None and i.id == backup.source_index_id),
        ("restored", lambda i: i.source_backup_id == backup.id),
        ("named", lambda i: i.id is None and i.name == backup.source_index_name and not backup.source_index_deleted_at),
    ]
    for how, matches in candidates:
        index = next((i for i in indexes if i.metric and matches(i)), None)
        if index:
            return index.metric, index, how
    return None, None, None


@require_http_methods(["GET", "POST"])
@upstream_errors("backups", not_found="backups/not_found.html")
def restore(request, project_name, backup_id):
    project = project_or_404(project_name)
    backup = service.get_backup(project, backup_id).value
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, AuditEntry.Action.RESTORE, backup_id, reason)

    # A link may fill the form in (a retry, "Restore to before…"); nothing is sent until submitted.
    prefill = {k: request.GET[k][:500] for k in ("name", "tags", "deletion_protection") if k in request.GET}
    form = RestoreForm(request.POST if request.method == "POST" else None, initial=prefill)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with sending(
            request,
            project,
            AuditEntry.Action.RESTORE,
            backup_id,
            form,
            unsure="Pinecone did not confirm the restore, so it may or may not have started: "
            "check the restore jobs list before trying again.",
            explain=lambda error: _restore_refused(project, data["name"], error),
            extra={"index": data["name"]},
        ):
            started = service.create_index_from_backup(
                project,
                backup_id,
                data["name"],
                tags=data["tags"],
                deletion_protection=data["deletion_protection"],
            )
        if not form.errors:
            entry = audit.record(
                request,
                project.name,
                AuditEntry.Action.RESTORE,
                backup_id,
                AuditEntry.Outcome.OK,
                extra={"index": data["name"], "restore_job_id": started.restore_job_id},
            )
            record_start(
                project,
                started,
                backup,
                data["name"],
                tags=data["tags"],
                deletion_protection=data["deletion_protection"],
                username=entry.username,
                audit_entry_id=entry.pk,
            )
            messages.success(request, f"Restore started: {backup.display_name} into new index {data['name']}.")
            return redirect("jobs-detail", project.name, started.restore_job_id)
    context = {
        "project": project,
        "section": "backups",
        "backup": backup,
        "form": form,
        "retry_of": request.GET.get("retry_of"),
    }
    return render(request, "backups/restore.html", context, status=400 if form.errors else 200)


def _restore_refused(project, name, error) -> ValidationError | None:
    """A name already taken is the name field's error; anything else is said as Pinecone says it."""
    if isinstance(error, Conflict):
        return ValidationError(
            {"name": f"An index named “{name}” already exists in project {project.name}. Pick another name."}
        )
    return None


@require_http_methods(["GET", "POST"])
@upstream_errors("backups", not_found="backups/not_found.html")
def delete(request, project_name, backup_id):
    project = project_or_404(project_name)
    backup = service.get_backup(project, backup_id).value
    if reason := write_refusal_reason(request.user, project):
        return refused(request, project, AuditEntry.Action.DELETE_BACKUP, backup_id, reason)

    expected = backup.name or backup.id
    form = DeleteBackupForm(request.POST if request.method == "POST" else None, expected=expected, backup_id=backup.id)
    if request.method == "POST" and form.is_valid():
        with sending(
            request,
            project,
            AuditEntry.Action.DELETE_BACKUP,
            backup_id,
            form,
            unsure="The backup may or may not have been deleted: reload this page to check.",
            explain=_delete_refused,
        ):
            service.delete_backup(project, backup_id)
        if not form.errors:
            audit.record(
                request,
                project.name,
                AuditEntry.Action.DELETE_BACKUP,
                backup_id,
                AuditEntry.Outcome.OK,
                extra={"name": backup.name},
            )
            messages.success(request, f"Backup {backup.display_name} is being deleted.")
            return redirect("backups-list", project.name)
    context = {
        "project": project,
        "section": "backups",
        "backup": backup,
        "form": form,
        "expected": expected,
        "running": _running_restores(project, backup_id),
    }
    return render(request, "backups/delete.html", context, status=400 if form.errors else 200)


def _delete_refused(error) -> str | None:
    if isinstance(error, PreconditionFailed):
        return (
            "Pinecone will not delete this backup while a restore from it is still running. "
            "Wait for that restore job to finish, then try again."
        )
    return None


def _running_restores(project, backup_id):
    """The unfinished restores from a backup (Pinecone refuses to delete it while one runs), None when unknown."""
    jobs = part(lambda: service.restore_jobs_for_backup(project, backup_id).value.items).value
    return None if jobs is None else [job for job in jobs if not job.finished]
