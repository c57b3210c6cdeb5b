from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from restoreui.pinecone import PineconeError, service
from restoreui.views.common import project_or_404

MAX_RESULTS = 20


def _items(load, project, errors: list, stale: list):
    try:
        fetched = load(project)
    except PineconeError as error:
        errors.append(error)
        return ()
    if fetched.stale:
        stale.append(fetched)
    return fetched.value.items


@require_GET
def search(request, project_name):
    """Land on whatever a pasted id or name names; otherwise list partial matches."""
    project = project_or_404(project_name)
    query = request.GET.get("q", "").strip()[:200]
    if not query:
        return redirect("jobs-list", project.name)
    errors, stale = [], []
    jobs = _items(service.list_restore_jobs, project, errors, stale)
    backups = _items(service.list_backups, project, errors, stale)
    indexes = _items(service.list_indexes, project, errors, stale)

    for job in jobs:
        if job.id == query:
            return redirect("jobs-detail", project.name, job.id)
    # A name several backups share names none of them: those are listed below instead.
    named = [b for b in backups if query in (b.id, b.name)]
    if len(named) == 1:
        return redirect("backups-detail", project.name, named[0].id)
    # Only names with a page: a deleted restore target has neither index nor backups, its jobs are listed.
    index_names = {i.name for i in indexes} | {b.source_index_name for b in backups}
    if query in index_names:
        return redirect("indexes-detail", project.name, query)

    needle = query.lower()
    context = {
        "project": project,
        "search_query": query,
        "jobs": [j for j in jobs if needle in j.id.lower() or needle in j.target_index_name.lower()][:MAX_RESULTS],
        "backups": [b for b in backups if needle in b.id.lower() or needle in (b.name or "").lower()][:MAX_RESULTS],
        "indexes": sorted(n for n in index_names if needle in n.lower())[:MAX_RESULTS],
        "limit": MAX_RESULTS,
        "error": errors[0] if errors else None,
        # The oldest copy shown, marked as the pages mark theirs.
        "fetched": min(stale, key=lambda f: f.fetched_at) if stale else None,
    }
    return render(request, "search/results.html", context)
