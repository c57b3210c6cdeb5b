"""The restore job table, its export and the job page, against the emulator over HTTP."""

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from pages import ids_in, job_page, jobs_page, rows, text, title
from upstream import delete_index, upstream_jobs

from restoreui.history.models import JobNote
from restoreui.models import AuditEntry
from restoreui.pinecone import RestoreJob
from restoreui.pinecone import cache as pinecone_cache
from restoreui.projects import Project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]

SEED_JOBS = 260


def finish(emulator, job_id, status="Completed"):
    """End a running job in the emulator now, and forget the dashboard's copy of it."""
    job = emulator.store.jobs[job_id]
    job.live, job.status, job.completed_at, job.percent = (
        False,
        status,
        time.time(),
        100.0 if status == "Completed" else None,
    )
    cache.clear()


def job_where(emulator, test) -> RestoreJob:
    return next(j for j in upstream_jobs(emulator) if test(j))


def job_poll(client, job_id, seen=None):
    """The poll an open job page sends, with what it last saw."""
    headers = {"HX-Request": "true", **({"X-Job-Seen": seen} if seen else {})}
    return client.get(reverse("jobs-detail-poll", args=["local", job_id]), headers=headers)


def seen_on(response) -> str:
    """What the page (or poll) says it shows, as its next poll will send it."""
    return re.search(r'"X-Job-Seen": "([^"]+)"', unescape(response.content.decode())).group(1)


# -- the table -------------------------------------------------------------------


def test_it_lists_every_job_newest_first_25_to_a_page(viewer_client, emulator):
    response = jobs_page(viewer_client)
    assert response.status_code == 200, "the job table did not load"
    shown = ids_in(response, "jobs")
    newest = sorted((j for j in upstream_jobs(emulator) if j.created_at), key=lambda j: j.created_at, reverse=True)
    assert shown == [j.id for j in newest[:25]], "the first page was not the 25 newest jobs"
    assert f"{SEED_JOBS} jobs, showing 1–25" in text(response), "the count of jobs was wrong"


def test_it_shows_an_unknown_status_verbatim(viewer_client, emulator, reporting_progress):
    paused = job_where(emulator, lambda j: j.status == "Paused")
    response = jobs_page(viewer_client, q=paused.id)
    [row] = rows(response)
    assert row.cells[1] == "Paused", f"an operator saw status {row.cells[1]!r} instead of Pinecone's 'Paused'"
    assert "37.5%" in row.cells[2], "the unknown-status job lost its progress"


def test_a_running_job_without_a_percentage_shows_its_elapsed_and_expected_time(viewer_client, emulator):
    waiting = job_where(emulator, lambda j: j.status == "Pending" and j.percent_complete is None and j.created_at)
    response = jobs_page(viewer_client, q=waiting.id)
    [row] = rows(response)
    cell = row.cells[2]
    assert re.fullmatch(r"\d+ (s|min) in · (~\d+ (s|min) left|usually ~\d+ (s|min))", cell), (
        f"a job without a percentage showed {cell!r} instead of its elapsed and expected time"
    )
    assert "<progress" not in response.content.decode().split(waiting.short_id, 1)[1].split("</tr>")[0], (
        "the row drew a progress bar Pinecone gave no figure for"
    )


def test_the_job_without_a_creation_time_sorts_last_and_shows_a_dash(viewer_client, emulator):
    nameless = job_where(emulator, lambda j: j.created_at is None)
    for sort in ("-created", "created"):
        response = jobs_page(viewer_client, sort=sort, size=100, page=3)
        assert ids_in(response, "jobs")[-1] == nameless.id, f"sorted by {sort}, the job without a time was not last"
        created = rows(response)[-1].cells[6]
        assert created == "—", f"the job without a creation time showed {created!r}"


def test_it_filters_by_several_statuses(viewer_client, emulator):
    response = jobs_page(viewer_client, status=["failed", "cancelled"], size=100)
    expected = [j for j in upstream_jobs(emulator) if j.status in ("Failed", "Cancelled")]
    statuses = {row.cells[1] for row in rows(response)}
    assert statuses == {"Failed", "Cancelled"}, f"filtering on Failed and Cancelled showed {statuses}"
    assert len(rows(response)) == len(expected), "some failed or cancelled jobs were left out"
    assert f"{len(expected)} jobs" in text(response)


def test_it_files_an_unknown_status_under_other(viewer_client, emulator):
    response = jobs_page(viewer_client, status="unknown")
    assert [row.cells[1] for row in rows(response)] == ["Paused"], "'Other' did not find the Paused job"


def test_it_filters_by_target_index(viewer_client, emulator):
    target = job_where(emulator, lambda j: j.status == "Completed").target_index_name
    response = jobs_page(viewer_client, index=target, size=100)
    expected = {j.id for j in upstream_jobs(emulator) if target in j.target_index_name}
    assert set(ids_in(response, "jobs")) == expected, f"filtering on index {target} did not show the jobs into it"


def test_it_filters_by_backup(viewer_client, emulator):
    backup_id = job_where(emulator, lambda j: j.status == "Completed").backup_id
    response = jobs_page(viewer_client, backup=backup_id, size=100)
    expected = {j.id for j in upstream_jobs(emulator) if j.backup_id == backup_id}
    assert set(ids_in(response, "jobs")) == expected, "filtering on a backup did not show exactly its restores"


def test_its_free_text_finds_jobs_by_backup_name(viewer_client, emulator):
    store = emulator.store
    job = job_where(emulator, lambda j: j.status == "Failed" and j.backup_id in store.backups)
    store.backups[job.backup_id].name = "needle-in-a-haystack"
    response = jobs_page(viewer_client, q="NEEDLE-in", size=100)
    expected = {j.id for j in upstream_jobs(emulator) if j.backup_id == job.backup_id}
    assert set(ids_in(response, "jobs")) == expected, "searching a backup's name did not find its restores"


def test_it_filters_by_creation_time(viewer_client, emulator):
    response = jobs_page(viewer_client, since="1d", size=100)
    cutoff = datetime.now(UTC) - timedelta(days=1)
    expected = {j.id for j in upstream_jobs(emulator) if j.created_at and j.created_at >= cutoff}
    assert expected, "the seed has no job from the last day to filter"
    assert set(ids_in(response, "jobs")) == expected, "'Last 24 hours' showed other jobs than those of the last day"


def test_it_says_so_when_no_job_matches(viewer_client):
    response = jobs_page(viewer_client, q="no-such-thing-anywhere")
    assert "No restore jobs match these filters." in text(response)


@pytest.mark.parametrize(
    "sort, key",
    [
        ("created", lambda j: j.created_at),
        ("completed", lambda j: j.completed_at),
        ("duration", lambda j: j.duration),
        ("status", lambda j: (j.state, j.status)),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_it_sorts_the_whole_list_both_ways(viewer_client, emulator, sort, key, descending):
    param = f"-{sort}" if descending else sort
    shown = []
    for page in (1, 2, 3):
        shown += ids_in(jobs_page(viewer_client, sort=param, size=100, page=page), "jobs")
    assert len(shown) == SEED_JOBS, "paging through the sorted table skipped or repeated jobs"
    by_id = {j.id: j for j in upstream_jobs(emulator)}
    values = [key(by_id[i]) for i in shown]
    known = [v for v in values if v is not None]
    assert values == known + [None] * (len(values) - len(known)), (
        f"sorted by {param}, jobs without a value were not last"
    )
    assert known == sorted(known, reverse=descending), f"the table sorted by {param} was out of order"


def test_the_sorted_column_says_which_way_it_is_sorted(viewer_client):
    html = jobs_page(viewer_client, sort="duration").content.decode()
    header = re.search(r'<th[^>]*aria-sort="ascending"[^>]*><a href="([^"]+)">Duration', html)
    assert header, "the Duration header did not say it sorts ascending"
    assert "sort=-duration" in header.group(1), "clicking the sorted header would not flip the order"


# -- paging ----------------------------------------------------------------------


def test_it_pages_through_the_table(viewer_client):
    response = jobs_page(viewer_client, page=2)
    assert "showing 26–50" in text(response), "page 2 did not show jobs 26 to 50"
    assert '<span aria-current="page">2</span>' in response.content.decode(), "the pager did not mark page 2"
    assert len(set(ids_in(response, "jobs")) & set(ids_in(jobs_page(viewer_client), "jobs"))) == 0


def test_it_shows_as_many_rows_as_asked(viewer_client):
    assert len(rows(jobs_page(viewer_client, size=50))) == 50, "50 per page did not show 50 jobs"


def test_a_page_past_the_end_shows_the_last_page(viewer_client):
    response = jobs_page(viewer_client, page=999)
    assert response.status_code == 200, "a page past the end did not answer"
    assert "showing 251–260" in text(response), "a page past the end did not show the last jobs"


def test_a_job_pinecone_sent_without_its_backup_or_target_still_shows(viewer_client, emulator):
    job = next(j for j in emulator.store.jobs.values() if j.status == "Failed")
    job.backup_id = job.target_index_name = ""
    response = jobs_page(viewer_client, q=job.restore_job_id)
    assert response.status_code == 200, "one job without a target index took the whole table down"
    [row] = rows(response)
    assert (row.cells[3], row.cells[4], row.cells[5]) == ("—", "—", "—")
    page = job_page(viewer_client, job.restore_job_id)
    assert page.status_code == 200, "a job without a target index had no page"
    assert "Target index —" in text(page)


# -- htmx ------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_table(viewer_client):
    response = jobs_page(viewer_client, htmx=True)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="jobs-table"'), "htmx got more than the table region"
    assert "<html" not in html and 'class="filters"' not in html, "htmx got the whole page"
    assert "HX-Request" in response["Vary"], "a cache could serve the table to a full-page visit"


def test_a_full_visit_gets_the_whole_page(viewer_client):
    response = jobs_page(viewer_client)
    html = response.content.decode()
    assert "<html" in html and 'id="jobs-table"' in html and 'class="filters"' in html
    assert "HX-Request" in response["Vary"]


def test_the_table_refreshes_itself_while_a_job_on_it_runs(viewer_client):
    html = jobs_page(viewer_client, htmx=True).content.decode()
    assert 'hx-trigger="every 10s"' in html, "the table of running jobs does not refresh"
    finished = jobs_page(viewer_client, htmx=True, status="completed").content.decode()
    assert "hx-trigger" not in finished.split(">", 1)[0], "a table of finished jobs keeps polling Pinecone"


def test_the_table_keeps_polling_when_pinecone_fails(viewer_client, emulator):
    emulator.set_faults(error_rate=1.0)
    response = jobs_page(viewer_client, htmx=True)
    assert response.status_code == 200, "htmx drops a non-2xx answer, so the table would stop refreshing"
    html = response.content.decode()
    assert "hx-trigger=" in html.split(">", 1)[0], "the failing table stopped polling"
    assert "Pinecone is having trouble" in text(response), "the table did not say Pinecone is failing"


# -- export ----------------------------------------------------------------------


def test_the_csv_export_holds_every_filtered_job_not_only_one_page(viewer_client, emulator):
    url = reverse("jobs-export", args=["local", "csv"])
    response = viewer_client.get(url, {"status": ["failed", "cancelled"], "page": 2, "size": 25})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="restore-jobs-local.csv"'
    exported = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = {j.id for j in upstream_jobs(emulator) if j.status in ("Failed", "Cancelled")}
    assert {r["restore_job_id"] for r in exported} == expected, "the CSV did not hold exactly the filtered jobs"
    assert {r["status"] for r in exported} == {"Failed", "Cancelled"}


def test_the_csv_export_cannot_smuggle_a_formula_into_a_spreadsheet(viewer_client, emulator):
    store = emulator.store
    job = job_where(emulator, lambda j: j.status == "Completed" and j.backup_id in store.backups)
    store.backups[job.backup_id].name = '=HYPERLINK("http://evil.example","x")'
    response = viewer_client.get(reverse("jobs-export", args=["local", "csv"]), {"q": job.id})
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["backup_name"].startswith("'="), f"a spreadsheet would run {row['backup_name']!r} as a formula"


def test_the_json_export_holds_every_filtered_job(viewer_client, emulator):
    response = viewer_client.get(reverse("jobs-export", args=["local", "json"]), {"sort": "-duration", "size": 25})
    body = json.loads(response.content)
    assert body["project"] == "local" and body["stale"] is False
    assert len(body["jobs"]) == SEED_JOBS, "the JSON export held only one page of jobs"
    durations = [j["duration_seconds"] for j in body["jobs"] if j["duration_seconds"] is not None]
    assert durations == sorted(durations, reverse=True), "the export ignored the table's sort"


def past_the_lifetime_failing(client, url, emulator, settings, clock):
    """Move past the lists' lifetime with Pinecone failing: the first viewer after it is answered from
    the last copy, and the refresh behind that answer fails, so later answers say they are stale."""
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    client.get(url)
    pinecone_cache.settle()


def test_the_json_export_says_when_it_is_stale(viewer_client, emulator, settings, clock):
    url = reverse("jobs-export", args=["local", "json"])
    viewer_client.get(url)
    past_the_lifetime_failing(viewer_client, url, emulator, settings, clock)
    body = json.loads(viewer_client.get(url).content)
    assert body["stale"] is True, "an export from an old copy claimed to be current"
    assert len(body["jobs"]) == SEED_JOBS


def test_the_export_links_carry_the_filters_but_not_the_page(viewer_client):
    html = jobs_page(viewer_client, status="failed", page=2, size=50).content.decode()
    link = re.search(r'href="([^"]*export\.csv[^"]*)"', html).group(1)
    assert "status=failed" in link and "page=" not in link and "size=" not in link, link


# -- the job page ----------------------------------------------------------------


def test_the_job_page_shows_the_job(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed")
    response = job_page(viewer_client, job.id)
    page = text(response)
    assert response.status_code == 200
    assert job.id in page and job.target_index_name in page and job.backup_id in page
    assert "Ended without completing" in page and "Pinecone gives no failure reason" in page
    assert title(response) == f"Failed restore -> {job.target_index_name} · local", (
        "the tab title did not say it failed"
    )


def test_the_job_page_gives_its_times_in_utc(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Completed" and j.created_at)
    page = text(job_page(viewer_client, job.id))
    assert f"Started {job.created_at:%Y-%m-%d %H:%M:%S} UTC" in page, (
        "the start time did not match the incident timeline"
    )
    assert f"Ended {job.completed_at:%Y-%m-%d %H:%M:%S} UTC" in page
    assert "Duration " in page and "Running for" not in page


def test_the_title_of_a_running_job_leads_with_its_percentage(viewer_client, emulator, reporting_progress):
    paused = job_where(emulator, lambda j: j.status == "Paused")
    assert title(job_page(viewer_client, paused.id)) == f"37.5% restore -> {paused.target_index_name} · local"
    running = job_where(emulator, lambda j: j.status == "InProgress")
    shown = title(job_page(viewer_client, running.id))
    assert re.fullmatch(rf"\d+(\.\d)?% restore -> {re.escape(running.target_index_name)} · local", shown), shown


def test_the_title_of_a_job_without_a_percentage_gives_its_status(viewer_client, emulator):
    waiting = job_where(emulator, lambda j: j.status == "Pending" and j.percent_complete is None)
    response = job_page(viewer_client, waiting.id)
    assert title(response) == f"Pending restore -> {waiting.target_index_name} · local"
    assert "Pinecone does not report a percentage until the job is done." in text(response)


def test_the_title_of_a_completed_job_says_so(viewer_client, emulator):
    done = job_where(emulator, lambda j: j.status == "Completed" and j.created_at)
    assert title(job_page(viewer_client, done.id)) == f"Completed restore -> {done.target_index_name} · local"


def test_the_job_without_a_creation_time_shows_a_dash(viewer_client, emulator):
    nameless = job_where(emulator, lambda j: j.created_at is None)
    response = job_page(viewer_client, nameless.id)
    assert response.status_code == 200, "a job without created_at broke its page"
    assert "Created —" in text(response)


def test_an_unfinished_job_keeps_polling(viewer_client, emulator):
    running = job_where(emulator, lambda j: j.status == "Pending")
    response = job_poll(viewer_client, running.id)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="job-progress"'), "the poll's main region is not the progress box"
    assert 'hx-trigger="every 3s"' in html, "the running job's page stopped updating"
    assert reverse("jobs-detail-poll", args=["local", running.id]) in html, "the region would poll the whole page"


def test_the_page_itself_is_always_the_whole_page(viewer_client, emulator):
    running = job_where(emulator, lambda j: j.status == "Pending")
    response = job_page(viewer_client, running.id, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" in response.content.decode(), "the page URL answered a fragment"


def test_a_finished_job_stops_the_polling(viewer_client, emulator):
    done = job_where(emulator, lambda j: j.status == "Completed" and j.created_at)
    response = job_poll(viewer_client, done.id)
    assert response.status_code == 286, "open tabs would keep asking Pinecone about a finished job"
    assert "hx-trigger" not in response.content.decode(), "the finished job's region would poll again"
    assert f'data-title="Completed restore -&gt; {done.target_index_name} · local"' in response.content.decode(), (
        "the tab title would not update"
    )


def test_a_job_that_disappears_while_watched_stops_the_polling(viewer_client, emulator):
    running = job_where(emulator, lambda j: j.status == "Pending")
    del emulator.store.jobs[running.id]
    response = job_poll(viewer_client, running.id)
    assert response.status_code == 286, "the open page would keep asking about a job Pinecone no longer has"
    assert "Pinecone no longer knows this restore job" in text(response)


def test_a_watched_job_whose_target_index_is_deleted_stops_the_polling(viewer_client, emulator):
    store = emulator.store
    running = job_where(
        emulator,
        lambda j: j.status == "Pending" and store.indexes[j.target_index_name].deletion_protection == "disabled",
    )
    page = job_page(viewer_client, running.id)
    assert 'hx-trigger="every' in page.content.decode(), "the open page did not poll a running job"
    delete_index(emulator, running.target_index_name)
    cache.clear()
    assert running.id not in {j.id for j in upstream_jobs(emulator)}, "Pinecone still lists the job"
    response = job_poll(viewer_client, running.id, seen_on(page))
    assert response.status_code == 286, "the open page would keep asking about a job Pinecone dropped"
    assert "hx-trigger" not in response.content.decode(), "the region would poll again"
    assert "shown from restoreui's history" in text(response), "the page did not say where the job now comes from"


def test_an_unchanged_poll_answers_204_without_a_body(viewer_client, emulator):
    running = longest_waiting(emulator)
    response = job_page(viewer_client, running.id)
    # Shown times move on at minute steps; a step between two requests is a real change.
    for _ in range(2):
        response = job_poll(viewer_client, running.id, seen_on(response))
        if response.status_code == 204:
            break
    assert response.status_code == 204, "a poll that changed nothing still sent the region"
    assert response.content == b"", "the unchanged poll carried a body"
    assert "Content-Security-Policy" not in response, "an empty answer carried a policy for nothing"


def test_a_poll_from_a_page_that_saw_something_else_gets_every_live_part(viewer_client, emulator):
    running = longest_waiting(emulator)
    seen = seen_on(job_page(viewer_client, running.id))
    emulator.store.jobs[running.id].target_index_name = "renamed-target"
    cache.clear()
    response = job_poll(viewer_client, running.id, seen)
    html = response.content.decode()
    assert response.status_code == 200, "a changed job answered without its new state"
    assert seen_on(response) != seen, "the page would keep sending what it saw before"
    assert 'id="job-details" class="card" aria-labelledby="details-heading" hx-swap-oob="true"' in html, (
        "the Details card would keep its old state"
    )
    assert '<div id="job-head" hx-swap-oob="true">' in html, "the heading and Markdown would keep their old state"
    assert "renamed-target" in re.search(r'data-copy="(\[Restore job[^"]*)"', html).group(1)


def test_a_page_that_never_saw_the_job_gets_the_whole_state(viewer_client, emulator):
    running = longest_waiting(emulator)
    assert job_poll(viewer_client, running.id).status_code == 200


def test_a_job_that_completes_while_watched_brings_every_part_along(viewer_client, emulator):
    running = longest_waiting(emulator)
    seen = seen_on(job_page(viewer_client, running.id))
    finish(emulator, running.id)
    response = job_poll(viewer_client, running.id, seen)
    page = text(response)
    assert response.status_code == 286, "the poll did not stop once the job completed"
    assert "Status (as reported) Completed" in page, "the Details card kept the old status"
    assert "Completed —" not in page, "the Details card kept no completion time"
    line = unescape(re.search(r'data-copy="(\[Restore job[^"]*)"', response.content.decode()).group(1))
    assert re.search(r": Completed at \d{4}-\d\d-\d\d \d\d:\d\d UTC$", line), line
    assert f'data-title="Completed restore -&gt; {running.target_index_name} · local"' in response.content.decode()


def test_only_a_change_of_state_is_announced(viewer_client, emulator):
    running = longest_waiting(emulator)
    seen = seen_on(job_page(viewer_client, running.id))
    status, _, rest = seen.partition(".")
    same_state = job_poll(viewer_client, running.id, f"{status}.{'0' * len(rest)}")
    assert same_state.status_code == 200
    assert 'id="job-announce"' not in same_state.content.decode(), "screen readers would hear an unchanged state again"
    finish(emulator, running.id)
    changed = job_poll(viewer_client, running.id, seen)
    assert re.search(
        r'<p id="job-announce" hx-swap-oob="innerHTML">Restore job \w+: Completed.</p>', changed.content.decode()
    )


def test_the_page_announces_only_its_status_sentence(viewer_client, emulator):
    running = longest_waiting(emulator)
    html = job_page(viewer_client, running.id).content.decode()
    assert html.count("aria-live") == 1, "more than the status sentence is a live region"
    assert '<p id="job-announce" class="visually-hidden" aria-live="polite" aria-atomic="true"></p>' in html
    assert re.search(r'<progress aria-labelledby="progress-heading">', html), "the progress bar has no label"


def test_an_unknown_job_answers_404_naming_the_project(viewer_client):
    response = job_page(viewer_client, "00000000-0000-4000-8000-000000000000")
    page = text(response)
    assert response.status_code == 404
    assert "Pinecone project local has no restore job 00000000-0000-4000-8000-000000000000" in page
    assert "Pinecone drops restore jobs whose target index was deleted" in page


def test_the_job_page_of_an_unknown_project_answers_404(viewer_client, emulator):
    job = upstream_jobs(emulator)[0]
    response = viewer_client.get(f"/p/staging/jobs/{job.id}/")
    assert response.status_code == 404
    assert "There is no project named “staging”" in text(response)


# -- a running job without a percentage -------------------------------------------

UNIQUE_SIZE = 7 * 10**15  # no seeded backup is within a factor of two of this


def longest_waiting(emulator) -> RestoreJob:
    """The Pending job without a percentage that has run longest."""
    waiting = [
        j for j in upstream_jobs(emulator) if j.state == "pending" and j.percent_complete is None and j.created_at
    ]
    return min(waiting, key=lambda j: j.created_at)


def restores_took(emulator, backup_id, seconds: list[float]):
    """Make completed jobs in the emulator restores of BACKUP_ID that took SECONDS, and the only ones of its size."""
    store = emulator.store
    with store.lock:
        store.backups[backup_id].size_bytes = UNIQUE_SIZE
        done = [j for j in store.jobs.values() if j.status == "Completed" and j.created_at]
        for job in done:
            if job.backup_id == backup_id:
                job.backup_id = "a-backup-since-deleted"
        for job, taken in zip(done, seconds, strict=False):
            job.backup_id = backup_id
            job.completed_at = job.created_at + taken


HISTORY = [m * 60 for m in range(50, 151, 10)]  # 50, 60, ... 150 min: 60 to 140 min, median 100 min


def test_the_page_of_a_job_without_a_percentage_gives_its_expected_duration_and_time_left(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    restores_took(emulator, waiting.backup_id, HISTORY)
    page = text(job_page(viewer_client, waiting.id))
    assert "Running for " in page, "the page did not say how long the restore has run"
    assert (
        "Expected Restores of backups this size took 1 h to 2 h 20 min here, median 1 h 40 min, from 11 restores."
        in page
    )
    finish = waiting.created_at + timedelta(minutes=100)
    assert re.search(
        rf"Time left about (1 h )?\d+ min if it takes the median: done around {finish:%Y-%m-%d %H:%M} UTC", page
    ), "the page gave no time left from the median"
    assert "Taking longer than usual" not in page


def test_completed_restores_pinecone_stopped_listing_still_count_in_the_estimate(viewer_client, emulator):
    from restoreui.history.models import RestoreRecord

    waiting = longest_waiting(emulator)
    restores_took(emulator, waiting.backup_id, HISTORY[:3])
    started = datetime.now(UTC) - timedelta(days=2)
    for n, minutes in enumerate((70, 80, 90)):
        RestoreRecord.objects.create(
            project="local",
            restore_job_id=f"gone-{n}",
            backup_id="a-backup-since-deleted",
            backup_size_bytes=UNIQUE_SIZE,
            status="Completed",
            created_at=started,
            completed_at=started + timedelta(minutes=minutes),
            first_seen=started,
            last_seen=started,
            listed=False,
        )
    page = text(job_page(viewer_client, waiting.id))
    assert "median 1 h 10 min, from 6 restores." in page, (
        "restores whose target index was deleted since were left out of the estimate"
    )


def test_the_job_table_gives_elapsed_and_time_left_for_a_job_without_a_percentage(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    restores_took(emulator, waiting.backup_id, HISTORY)
    [row] = rows(jobs_page(viewer_client, q=waiting.id))
    assert re.fullmatch(r"(\d+ s|\d+ min) in · ~(1 h )?\d+ min left", row.cells[2]), (
        f"the table showed {row.cells[2]!r} for a job without a percentage"
    )


def test_with_too_little_history_the_page_says_so(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    restores_took(emulator, waiting.backup_id, HISTORY[:2])
    page = text(job_page(viewer_client, waiting.id))
    assert "Too little history to estimate: 2 completed restores of comparable size." in page
    assert "Time left unknown" in page, "a time left was made up from two restores"


def test_a_job_running_longer_than_90_percent_of_comparable_restores_is_flagged(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    ran = (datetime.now(UTC) - waiting.created_at).total_seconds()
    # Eleven restores that all took at most half as long as this one has run so far.
    restores_took(emulator, waiting.backup_id, [ran * k / 20 for k in range(0, 11)])
    response = job_page(viewer_client, waiting.id)
    assert "Taking longer than usual: this restore has run" in text(response), "the overdue job was not flagged"
    assert "longer than 90% of them" in response.content.decode(), "the Markdown line did not say it is overdue"
    [row] = rows(jobs_page(viewer_client, q=waiting.id))
    assert re.search(r"· usually ~[\d h]+min$", row.cells[2]), f"the table showed {row.cells[2]!r} for an overdue job"


def test_the_markdown_line_carries_elapsed_and_expected_time(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    restores_took(emulator, waiting.backup_id, HISTORY)
    html = job_page(viewer_client, waiting.id).content.decode()
    line = unescape(re.search(r'data-copy="(\[Restore job[^"]*)"', html).group(1))
    assert re.search(
        r": Pending \(running \d+ (s|min), restores this size take 1 h to 2 h 20 min \(median 1 h 40 min\)\) as of ",
        line,
    ), line


def test_a_running_job_shows_its_target_index_s_own_state(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    page = text(job_page(viewer_client, waiting.id))
    assert "Target index Initializing" in page, "the target index's state was not beside the job"


def test_a_running_job_whose_target_index_is_missing_says_so(viewer_client, emulator):
    waiting = longest_waiting(emulator)
    emulator.store.jobs[waiting.id].target_index_name = "no-such-index-here"
    response = job_page(viewer_client, waiting.id)
    assert response.status_code == 200
    assert "Target index not found: Pinecone has no index named no-such-index-here" in text(response)


def test_polling_a_running_job_reads_its_history_and_target_index_from_the_cache(viewer_client, emulator, settings):
    settings.CACHE_TTL_LIST = settings.CACHE_TTL_RUNNING = 600
    waiting = longest_waiting(emulator)
    job_page(viewer_client, waiting.id)
    before = emulator.stats()["total"]
    response = job_poll(viewer_client, waiting.id)
    assert "Expected Restores" in text(response)
    assert emulator.stats()["total"] == before, "a poll asked Pinecone again for what the cache held"


# -- Pinecone failing ------------------------------------------------------------


def test_it_explains_an_upstream_error_without_a_traceback(viewer_client, emulator):
    emulator.set_faults(error_rate=1.0)
    response = jobs_page(viewer_client)
    page = text(response)
    assert response.status_code == 502, "Pinecone's failure was not answered as a bad gateway"
    assert "Pinecone could not answer" in page and "Pinecone is having trouble (HTTP 5" in page
    assert "Traceback" not in page and "Exception" not in page


@pytest.mark.parametrize(
    "faults, status, message",
    [
        ({"reset_rate": 1.0}, 502, "Pinecone cannot be used right now: no answer from"),
        ({"malformed_rate": 1.0}, 502, "with a body that is not JSON"),
        ({"rate_limit_rate": 1.0, "retry_after": 0.01}, 502, "Pinecone is rate-limiting requests"),
        ({"slow_body_rate": 1.0, "slow_body_seconds": 2.0}, 504, "Pinecone is not answering (timed out after 0.3 s)"),
    ],
)
def test_each_way_pinecone_fails_is_explained(viewer_client, emulator, settings, faults, status, message):
    settings.PINECONE_READ_TIMEOUT = 0.3
    job = job_where(emulator, lambda j: j.finished)
    emulator.set_faults(**faults)
    response = job_page(viewer_client, job.id)
    assert response.status_code == status, f"{faults} was answered {response.status_code}, not {status}"
    assert message in text(response), f"{faults} was not explained"


def test_a_rejected_api_key_is_explained(viewer_client, emulator, settings, project):
    settings.RESTOREUI_PROJECTS = {"local": Project(name="local", api_key="wrong", host=emulator.url)}
    response = jobs_page(viewer_client)
    assert response.status_code == 502
    assert "Pinecone rejected the API key for project 'local'" in text(response)


def test_it_serves_the_last_list_with_its_age_while_pinecone_fails(viewer_client, emulator, settings, clock):
    first = ids_in(jobs_page(viewer_client), "jobs")
    past_the_lifetime_failing(viewer_client, reverse("jobs-list", args=["local"]), emulator, settings, clock)
    response = jobs_page(viewer_client)
    page = text(response)
    assert response.status_code == 200, "a Pinecone failure hid the jobs restoreui had already seen"
    assert ids_in(response, "jobs") == first
    assert re.search(r"Showing what Pinecone said \d+ s ago: Pinecone is having trouble", page), page[:400]
    assert "catch up by itself" in page


def test_a_running_job_s_poll_keeps_going_while_pinecone_fails(viewer_client, emulator):
    running = job_where(emulator, lambda j: j.status == "Pending")
    emulator.set_faults(error_rate=1.0)
    response = job_poll(viewer_client, running.id)
    assert response.status_code == 200, "htmx drops a non-2xx answer, so the page would stop updating"
    assert 'hx-trigger="every 15s"' in response.content.decode(), "the failing job's page did not slow its polling"
    assert "Trying again every 15 s" in text(response)


@pytest.mark.parametrize("bad", ["..", ".", "%2E%2E", "..%2Findexes", "..%5Cindexes"])
def test_a_crafted_id_never_reaches_another_upstream_path(viewer_client, emulator, bad):
    response = viewer_client.get(f"/p/local/jobs/{bad}/")
    assert response.status_code == 404, f"/jobs/{bad}/ answered {response.status_code}"
    calls = emulator.stats()["calls"]
    assert set(calls) <= {"GET /restore-jobs/{job_id}"}, f"a crafted job id reached {calls}"


def test_a_logged_out_visitor_is_sent_to_log_in_and_back(client, emulator):
    job = upstream_jobs(emulator)[0]
    url = reverse("jobs-detail", args=["local", job.id])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}", "after logging in they would not land on the job"
    assert emulator.stats()["total"] == 0, "an anonymous visit reached Pinecone"


def test_a_poll_after_the_session_ended_sends_the_whole_tab_to_login(client, emulator):
    job = job_where(emulator, lambda j: not j.finished)
    page = reverse("jobs-detail", args=["local", job.id])
    response = client.get(page, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{page}?from=channel")
    assert response.status_code == 401, "a logged-out poll would swap the login form into the progress box"
    assert response["HX-Redirect"].startswith(reverse("login") + "?next="), "the tab would not go to the login page"
    assert "from%3Dchannel" in response["HX-Redirect"], (
        "after login the teammate would not land on the page they had open"
    )


def test_an_uncached_job_page_costs_one_upstream_call(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.finished)
    emulator.reset()
    response = job_page(viewer_client, job.id)
    assert response.status_code == 200
    assert emulator.stats()["total"] == 1, "a shared link waited on more than one Pinecone call before showing"


def test_the_csv_export_says_when_it_is_stale(viewer_client, emulator, settings, clock):
    url = reverse("jobs-export", args=["local", "csv"])
    assert viewer_client.get(url)["X-Stale"] == "false"
    past_the_lifetime_failing(viewer_client, url, emulator, settings, clock)
    response = viewer_client.get(url)
    assert response["X-Stale"] == "true", "an export from an old copy claimed to be current"
    assert 'filename="restore-jobs-local-stale.csv"' in response["Content-Disposition"]


# -- what the page tells about a job: backup, who started it, notes, retries ------


def note_on(client, job_id, text):
    return client.post(reverse("jobs-note", args=["local", job_id]), {"text": text})


def markdown_line(response) -> str:
    return unescape(re.search(r'data-copy="(\[Restore job[^"]*)"', response.content.decode()).group(1))


def test_the_job_page_gives_the_backup_s_source_index_size_and_records(viewer_client, emulator, project):
    job = job_where(emulator, lambda j: j.status == "Completed" and j.backup_id in emulator.store.backups)
    backup = emulator.store.backups[job.backup_id]
    viewer_client.get(reverse("backups-list", args=["local"]))  # the page reads the backup from the cached list
    page = text(job_page(viewer_client, job.id))
    assert f"Source index {backup.source_index_name}" in page, "the job page did not say which index was backed up"
    assert re.search(rf"Backup size [\d.]+ [KMGT]?i?B, {backup.record_count:,} records", page), page


def test_an_operator_attaches_an_incident_note_that_is_shown_audited_and_carried_in_the_markdown(
    operator_client, emulator
):
    job = job_where(emulator, lambda j: j.status == "Failed")
    response = note_on(operator_client, job.id, "INC-4412: restore after the [bad] deploy")
    assert response.status_code == 302 and response["Location"] == reverse("jobs-detail", args=["local", job.id])
    page = job_page(operator_client, job.id)
    assert "Note INC-4412: restore after the [bad] deploy (operator, " in text(page), "the note was not on the page"
    assert markdown_line(page).endswith(" · Note: INC-4412: restore after the \\[bad\\] deploy"), markdown_line(page)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.JOB_NOTE)
    assert (entry.username, entry.target, entry.outcome) == ("operator", job.id, AuditEntry.Outcome.OK)
    assert entry.extra == {"note": "INC-4412: restore after the [bad] deploy"}


def test_an_empty_note_removes_it(operator_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed")
    note_on(operator_client, job.id, "INC-1")
    note_on(operator_client, job.id, "   ")
    assert not JobNote.objects.exists(), "the note stayed after it was emptied"
    assert "Note:" not in markdown_line(job_page(operator_client, job.id))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.JOB_NOTE).count() == 2


def test_a_viewer_may_not_attach_a_note_and_the_attempt_is_audited(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed")
    assert "You need the operator role for project 'local' to attach a note." in text(job_page(viewer_client, job.id))
    response = note_on(viewer_client, job.id, "INC-1")
    assert response.status_code == 403
    assert not JobNote.objects.exists(), "a viewer's note was stored"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.JOB_NOTE)
    assert (entry.username, entry.outcome) == ("viewer", AuditEntry.Outcome.REFUSED)


def test_a_note_too_long_is_refused_with_a_message(operator_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed")
    response = note_on(operator_client, job.id, "x" * 501)
    assert not JobNote.objects.exists()
    assert "at most 500 characters" in text(operator_client.get(response["Location"]))


def test_a_note_on_a_job_nobody_knows_answers_404(operator_client):
    response = note_on(operator_client, "00000000-0000-4000-8000-000000000000", "INC-1")
    assert response.status_code == 404 and not JobNote.objects.exists()


def test_a_failed_job_offers_a_retry_into_a_new_index_filled_in_from_it(operator_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed" and j.backup_id in emulator.store.backups)
    html = job_page(operator_client, job.id).content.decode()
    link = unescape(re.search(r'<a class="button" href="([^"]+)">Retry into a new index</a>', html).group(1))
    assert link.startswith(reverse("backups-restore", args=["local", job.backup_id]) + "?"), link
    form = operator_client.get(link)
    assert form.status_code == 200
    assert f'value="{job.target_index_name[:39]}-retry"' in form.content.decode(), "the form did not suggest a new name"
    assert f"Retrying restore job {job.short_id}" in text(form)


def test_a_completed_job_offers_no_retry(operator_client, emulator):
    done = job_where(emulator, lambda j: j.status == "Completed")
    assert "Retry into a new index" not in text(job_page(operator_client, done.id))


def test_a_viewer_is_offered_no_retry(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed" and j.backup_id in emulator.store.backups)
    assert "Retry into a new index" not in text(job_page(viewer_client, job.id)), "a viewer was offered a write"


def test_a_finished_job_s_target_index_that_no_longer_exists_says_so_instead_of_linking(viewer_client, emulator):
    job = job_where(emulator, lambda j: j.status == "Failed" and j.created_at)
    emulator.store.jobs[job.id].target_index_name = "since-deleted"
    viewer_client.get(reverse("indexes-list", args=["local"]))
    response = job_page(viewer_client, job.id)
    assert "Target index since-deleted (this index no longer exists)" in text(response)
    assert reverse("indexes-detail", args=["local", "since-deleted"]) not in response.content.decode(), (
        "the link would lead to No such index"
    )


def test_an_index_list_older_than_the_job_says_nothing_about_its_target(viewer_client, emulator):
    viewer_client.get(reverse("indexes-list", args=["local"]))
    job = job_where(emulator, lambda j: j.status == "Failed" and j.created_at)
    stored = emulator.store.jobs[job.id]
    stored.target_index_name, stored.created_at = "made-after-the-list", time.time() + 60
    response = job_page(viewer_client, job.id)
    assert "no longer exists" not in text(response), "an index made after the list was read was called gone"
    assert reverse("indexes-detail", args=["local", "made-after-the-list"]) in response.content.decode()
