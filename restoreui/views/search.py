from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from restoreui.history.merge import merge
from restoreui.pinecone import Fetched, Listing, PineconeError, service
from restoreui.views.common import project_or_404

MAX_RESULTS = 20
# Shorter than this, a prefix is more likely a word than the start of an id.
MIN_PREFIX = 6


def _items(load, project, errors: list, stale: list):
    """One list to search; none, its error kept, when Pinecone fails: the other lists still count."""
    try:
        fetched = load(project)
    except PineconeError as error:
        errors.append(error)
        return ()
    if fetched.stale:
        stale.append(fetched)
    return fetched.value.items


@require_GET
def results(request, project_name):
    """Land on whatever a pasted id or name names; otherwise list partial matches."""
    project = project_or_404(project_name)
    query = request.GET.get("q", "").strip()[:200]
    if not query:
        return redirect("jobs-list", project.name)
    errors: list[PineconeError] = []
    stale: list[Fetched] = []
    # With the jobs Pinecone stopped listing: the table shows their short ids too.
    jobs = merge(project, Listing(_items(service.list_restore_jobs, project, errors, stale), False, 1)).jobs
    backups = _items(service.list_backups, project, errors, stale)
    indexes = _items(service.list_indexes, project, errors, stale)

    for job in jobs:
        if job.id == query:
            return redirect("jobs-detail", project.name, job.id)
    named = [b for b in backups if query in (b.id, b.name)]
    if len(named) == 1:
        return redirect("backups-detail", project.name, named[0].id)
    # Only names with a page: a deleted restore target has neither index nor backups, its jobs are listed.
    index_names = {i.name for i in indexes} | {b.source_index_name for b in backups}
    if query in index_names:
        return redirect("indexes-detail", project.name, query)
    prefixed = _by_id_prefix(query, jobs, backups, _index_ids(indexes, backups, jobs, index_names)) if not named else []
    if len(prefixed) == 1:
        _, _, url_name, ident = prefixed[0]
        return redirect(url_name, project.name, ident)

    needle = query.lower()
    context = {
        "project": project,
        "search_query": query,
        # A name several backups share names none of them: they are listed to choose from.
        "named": named,
        "prefixed": [(kind, what) for kind, what, *_ in prefixed],
        "jobs": [j for j in jobs if needle in j.id.lower() or needle in j.target_index_name.lower()][:MAX_RESULTS],
        "backups": [b for b in backups if needle in b.id.lower() or needle in (b.name or "").lower()][:MAX_RESULTS],
        "indexes": sorted(n for n in index_names if needle in n.lower())[:MAX_RESULTS],
        "limit": MAX_RESULTS,
        "error": errors[0] if errors else None,
        # The oldest copy shown, marked as the pages mark theirs.
        "fetched": min(stale, key=lambda f: f.fetched_at) if stale else None,
    }
    return render(request, "search/results.html", context)


def _index_ids(indexes, backups, jobs, names_with_a_page) -> dict[str, str]:
    """Index id -> name, from wherever Pinecone reported one: the index itself rarely sends its id."""
    ids = {b.source_index_id: b.source_index_name for b in backups}
    ids |= {j.target_index_id: j.target_index_name for j in jobs}
    ids |= {i.id: i.name for i in indexes if i.id}
    return {i: name for i, name in ids.items() if i and name in names_with_a_page}


def _by_id_prefix(query, jobs, backups, index_ids: dict[str, str]) -> list[tuple]:
    """(kind, item, URL name, project-less URL arguments...) of what has an id starting with QUERY.

    Pages show the first SHORT_ID characters of ids, so a short id pasted from one resolves.
    """
    if len(query) < MIN_PREFIX:
        return []
    prefix = query.lower()
    return [
        *(("job", j, "jobs-detail", j.id) for j in jobs if j.id.lower().startswith(prefix)),
        *(("backup", b, "backups-detail", b.id) for b in backups if b.id.lower().startswith(prefix)),
        *(
            ("index", (i, name), "indexes-detail", name)
            for i, name in index_ids.items()
            if i.lower().startswith(prefix)
        ),
    ][:MAX_RESULTS]
