"""The project's home: can each index be restored, and how far back?"""

from datetime import UTC, datetime, timedelta

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from restoreui import coverage
from restoreui.pinecone import service
from restoreui.views.common import project_or_404
from restoreui.views.errors import BANNER, part, upstream_errors

JOB_STATES = ("pending", "running", "completed", "failed", "cancelled", "unknown")
# Rows per page: the work of a view stays flat however many indexes a project has.
PAGE_SIZE = 50


@require_GET
@vary_on_headers("HX-Request")
@upstream_errors("coverage", region=BANNER)
def overview(request, project_name):
    project = project_or_404(project_name)
    now = datetime.now(UTC)
    found, indexes, backups, note = project_rows(project, now)
    flags = [f for f in request.GET.getlist("flag") if f in coverage.FLAGS]
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in coverage.SORTS:
        sort = "index"
    jobs = part(lambda: coverage.job_counts(service.list_restore_jobs(project).value.items, now))
    recent, running = jobs.value or (None, ())
    context = {
        "project": project,
        "section": "coverage",
        "fetched": backups,
        "page": _page(request, coverage.sort(coverage.select(found, flags), sort)),
        "total": len(found),
        "flags": [(key, label, key in flags) for key, label in coverage.FLAGS.items()],
        "flag_counts": coverage.flag_counts(found),
        "sort": _sort_headers(sort),
        "current_sort": sort,
        "schedules_note": note,
        "truncated": indexes.value.truncated or backups.value.truncated,
        "recent_jobs": [(state, recent[state]) for state in JOB_STATES if recent and recent[state]]
        if recent is not None
        else None,
        "running": running,
        "jobs_error": jobs.error,
        "timeline_days": coverage.TIMELINE_DAYS,
    }
    if request.htmx:
        return render(request, "coverage/overview.html#table", context)
    return render(request, "coverage/overview.html", context)


def project_rows(project, now):
    """The project's coverage rows, the index and backup lists they came from, and why schedules
    are missing (None when they are not). Raises PineconeError when the lists cannot be read."""
    indexes = service.list_indexes(project)
    backups = service.list_backups(project)
    note = service.schedules_unavailable(project)
    names = [i.name for i in indexes.value.items if not i.pod]
    schedules = {} if note else service.schedules_by_index(project, names)
    return _rows(project, indexes, backups, schedules, now), indexes, backups, note


# This process's last rows per project, and what they were computed from. Reused for up to a
# minute while the lists and schedules are the same copies: ages and "overdue" move by minutes.
_ROWS: dict[str, tuple] = {}
ROWS_KEPT_SECONDS = 60


def _rows(project, indexes, backups, schedules, now):
    sources = (indexes.fetched_at, backups.fetched_at, id(schedules))
    held = _ROWS.get(project.name)
    if held and held[0] == sources and now - held[1] < timedelta(seconds=ROWS_KEPT_SECONDS):
        return held[2]
    found = coverage.rows(indexes.value.items, backups.value.items, schedules, now)
    # Holding SCHEDULES keeps its id from being reused by another dict.
    _ROWS[project.name] = (sources, now, found, schedules)
    return found


def _page(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.numbers = list(  # type: ignore[attr-defined]  # the pager template reads it
        page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    return page


def _sort_headers(current: str) -> dict:
    """Per sortable column: the sort a click asks for, and the aria-sort it has now."""
    headers: dict[str, dict[str, str | None]] = {}
    for name in coverage.SORTS:
        if current.lstrip("-") == name:
            descending = current.startswith("-")
            headers[name] = {
                "link": name if descending else f"-{name}",
                "aria": "descending" if descending else "ascending",
            }
        else:
            headers[name] = {"link": name, "aria": None}
    return headers
