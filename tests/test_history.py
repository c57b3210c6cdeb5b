"""Restore history: what the dashboard saw is written down, diffed, and shown after Pinecone forgets it."""

import csv
import dataclasses
import io
from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pages import ids_in, job_page, jobs_page, restore, rows, text
from upstream import delete_index, upstream_backups, upstream_jobs

from restoreui.history import recall, record
from restoreui.models import AuditEntry, RestoreRecord
from restoreui.pinecone import service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]


@pytest.fixture
def vanished(ready_backup, operator_client, project, emulator):
    """A restore started here whose target index was then deleted: Pinecone no longer lists it."""
    response = restore(
        operator_client, ready_backup.id, "doomed-restore", tags="team=search", deletion_protection="disabled"
    )
    assert response.status_code == 302, "the restore did not start"
    job = next(j for j in upstream_jobs(emulator) if j.target_index_name == "doomed-restore")
    assert job.id in ids_in(jobs_page(operator_client, q=job.id), "jobs"), "the new job was not listed"
    delete_index(emulator, "doomed-restore")
    cache.clear()
    assert job.id not in {j.id for j in service.list_restore_jobs(project).value.items}
    return job, ready_backup


# -- recording ----------------------------------------------------------------------


def test_loading_the_job_list_records_every_job_with_its_backup(viewer_client, project, emulator):
    service.list_backups(project)
    jobs_page(viewer_client)
    upstream = {j.id: j for j in upstream_jobs(emulator)}
    assert RestoreRecord.objects.filter(project="local").count() == len(upstream), "not every job was recorded"
    backups = {b.id: b for b in upstream_backups(emulator)}
    named = next(j for j in upstream.values() if j.finished and backups.get(j.backup_id) and backups[j.backup_id].name)
    row = RestoreRecord.objects.get(project="local", restore_job_id=named.id)
    assert (row.status, row.target_index_name, row.created_at) == (
        named.status,
        named.target_index_name,
        named.created_at,
    )
    assert row.backup_name == backups[named.backup_id].name, "the backup's name was not kept with the job"
    assert row.backup_size_bytes == backups[named.backup_id].size_bytes
    assert row.listed and row.first_seen == row.last_seen == row.last_listed


def _statements(queries) -> list[str]:
    """The reads and writes among captured queries (the test's transaction adds savepoints)."""
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_an_unchanged_list_costs_one_read_per_chunk_and_no_write(project):
    listing = service.list_restore_jobs(project).value
    assert RestoreRecord.objects.count() == len(listing.items)
    with CaptureQueriesContext(connection) as queries:
        written = record.record_listing(project, listing)
    assert written == 0, "an unchanged list was written again"
    reads = _statements(queries.captured_queries)
    assert len(reads) == len(listing.items) // record.CHUNK + 1, reads
    assert all(sql.startswith("SELECT") for sql in reads)


def test_only_the_job_that_changed_is_written_in_one_statement(project):
    listing = service.list_restore_jobs(project).value
    running = next(j for j in listing.items if not j.finished)
    changed = dataclasses.replace(running, status="Completed", percent_complete=100.0, completed_at=timezone.now())
    items = tuple(changed if j.id == running.id else j for j in listing.items)
    with CaptureQueriesContext(connection) as queries:
        written = record.record_listing(project, dataclasses.replace(listing, items=items))
    assert written == 1, f"{written} rows were written for one changed job"
    writes = [sql for sql in _statements(queries.captured_queries) if not sql.startswith("SELECT")]
    assert len(writes) == 1, writes
    assert RestoreRecord.objects.get(restore_job_id=running.id).status == "Completed"


def test_a_list_longer_than_a_chunk_is_recorded_read_and_written_a_chunk_at_a_time(project, monkeypatch):
    """New, changed, unchanged and vanished jobs spread over many chunks all end up as one list would."""
    monkeypatch.setattr(record, "CHUNK", 7)
    listing = service.list_restore_jobs(project).value
    assert RestoreRecord.objects.filter(listed=True).count() == len(listing.items) > 100
    first, second = listing.items[::2], listing.items[1::2]
    RestoreRecord.objects.filter(restore_job_id__in=[j.id for j in second]).delete()
    changed = {j.id: dataclasses.replace(j, status="Paused") for j in first[:20]}
    items = (*(changed.get(j.id, j) for j in first[:40]), *second)
    with CaptureQueriesContext(connection) as queries:
        written = record.record_listing(project, dataclasses.replace(listing, items=items))
    gone = len(first) - 40
    assert written == 20 + len(second) + gone
    stored = {r.restore_job_id: r for r in RestoreRecord.objects.filter(project=project.name)}
    assert len(stored) == len(listing.items)
    assert {i for i, r in stored.items() if not r.listed} == {j.id for j in first[40:]}
    assert all(stored[i].status == "Paused" for i in changed)
    assert all(stored[j.id].status == j.status and stored[j.id].listed for j in second), "a new job was lost"
    reads = [sql for sql in _statements(queries.captured_queries) if sql.startswith("SELECT")]
    assert len(reads) == len(first) // 7 + 1, "stored rows were not read a chunk at a time"


def test_rows_are_written_in_a_few_statement_shapes_whatever_their_count(project, monkeypatch):
    """Each distinct statement stays compiled in the database's cache: counts of changed rows
    from 1 to 255 make at most 8 shapes (runs of 128, 64 ... 1), not 255."""
    listing = service.list_restore_jobs(project).value
    shapes = set()
    for count in (1, 3, 100, 37, 255, 254):
        items = tuple(dataclasses.replace(j, status=f"Odd{count}") for j in listing.items[:count])
        with CaptureQueriesContext(connection) as queries:
            assert record._record(project, items, whole_list=None) == count
        shapes |= {sql.count("),") for sql in _statements(queries.captured_queries) if sql.startswith("INSERT")}
    assert shapes <= {2**n - 1 for n in range(8)}, sorted(shapes)


def test_a_list_served_from_the_cache_records_nothing(project, django_assert_num_queries):
    service.list_restore_jobs(project)
    with django_assert_num_queries(0):
        service.list_restore_jobs(project)


def test_a_described_job_is_recorded_without_touching_its_listing(project, emulator):
    job = next(j for j in upstream_jobs(emulator) if j.finished)
    service.get_restore_job(project, job.id)
    row = RestoreRecord.objects.get(restore_job_id=job.id)
    assert (row.status, row.last_listed) == (job.status, None)


def test_last_seen_moves_on_an_unchanged_list_only_after_the_resolution(project):
    listing = service.list_restore_jobs(project).value
    long_ago = timezone.now() - record.SEEN_RESOLUTION - timedelta(seconds=1)
    RestoreRecord.objects.update(last_seen=long_ago, last_listed=long_ago)
    finished = [j for j in listing.items if j.finished]
    written = record.record_listing(project, dataclasses.replace(listing, items=tuple(finished)))
    assert written == RestoreRecord.objects.count(), "old last-seen times were not refreshed"
    assert not RestoreRecord.objects.filter(last_seen=long_ago, listed=True).exists()


def test_a_job_left_out_of_a_complete_list_is_marked_unlisted_but_not_of_a_truncated_one(project):
    listing = service.list_restore_jobs(project).value
    gone, *rest = listing.items
    record.record_listing(project, dataclasses.replace(listing, items=tuple(rest), truncated=True))
    assert RestoreRecord.objects.get(restore_job_id=gone.id).listed, "a cut-short list marked a job unlisted"
    assert record.record_listing(project, dataclasses.replace(listing, items=tuple(rest))) == 1
    assert not RestoreRecord.objects.get(restore_job_id=gone.id).listed


def test_old_history_is_pruned_after_the_retention(project, settings):
    settings.RESTOREUI_HISTORY_DAYS = 30
    service.list_restore_jobs(project)
    old = RestoreRecord.objects.first()
    RestoreRecord.objects.filter(pk=old.pk).update(last_seen=timezone.now() - timedelta(days=31))
    assert record.prune() == 1
    assert not RestoreRecord.objects.filter(pk=old.pk).exists()


def test_a_database_failure_leaves_the_job_table_working(viewer_client, monkeypatch):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(RestoreRecord.objects, "filter", broken)
    response = jobs_page(viewer_client)
    assert response.status_code == 200, "a history failure broke the job table"


# -- jobs Pinecone no longer lists --------------------------------------------------


def test_a_job_whose_target_index_was_deleted_stays_in_the_table_marked(operator_client, vanished):
    job, _ = vanished
    response = jobs_page(operator_client, q=job.id)
    assert ids_in(response, "jobs") == [job.id], "the vanished job left the table"
    [row] = rows(response)
    assert "no longer listed by Pinecone" in row.cells[1]
    assert "doomed-restore" in row.cells


def test_filters_sorting_and_paging_include_remembered_jobs(operator_client, vanished, emulator):
    job, _ = vanished
    assert job.id in ids_in(jobs_page(operator_client, index="doomed-restore"), "jobs")
    assert job.id in ids_in(jobs_page(operator_client, status="pending"), "jobs")
    assert job.id not in ids_in(jobs_page(operator_client, status="completed", size=100), "jobs")
    newest = ids_in(jobs_page(operator_client, sort="-created"), "jobs")
    assert newest[0] == job.id, "the newest job (a remembered one) did not sort first"
    # Every job Pinecone lists, and the one it stopped listing.
    total = len(upstream_jobs(emulator)) + 1
    assert f"{total} jobs" in text(jobs_page(operator_client)), "the count left out the remembered job"


def test_exports_include_remembered_jobs_and_say_which(operator_client, vanished):
    job, backup = vanished
    body = operator_client.get(reverse("jobs-export", args=["local", "json"]), {"q": job.id}).json()
    [row] = body["jobs"]
    assert (row["restore_job_id"], row["listed_by_pinecone"], row["backup_name"]) == (job.id, False, backup.name)
    response = operator_client.get(reverse("jobs-export", args=["local", "csv"]))
    listed = {
        r["restore_job_id"]: r["listed_by_pinecone"] for r in csv.DictReader(io.StringIO(response.content.decode()))
    }
    assert listed[job.id] == "False" and list(listed.values()).count("True") == len(listed) - 1


def test_the_page_of_a_vanished_job_renders_from_history_with_a_banner(operator_client, vanished):
    job, backup = vanished
    response = job_page(operator_client, job.id)
    assert response.status_code == 200, "the vanished job's page was a 404"
    page = text(response)
    assert (
        "Pinecone no longer lists this restore job (its target index was probably deleted); "
        "shown from restoreui's history, last seen" in page
    )
    assert "Pending" in page, "the last known status was not shown"
    assert backup.name in page
    assert 'hx-trigger="every' not in response.content.decode(), "a page from history kept polling Pinecone"


def test_polling_a_vanished_job_shows_its_history_and_stops(operator_client, vanished):
    job, _ = vanished
    response = operator_client.get(reverse("jobs-detail-poll", args=["local", job.id]), headers={"HX-Request": "true"})
    assert response.status_code == 286, "the poll of a vanished job did not stop"
    assert "shown from restoreui's history" in text(response)


def test_a_job_restoreui_never_saw_is_still_a_404(viewer_client):
    assert job_page(viewer_client, "no-such-job").status_code == 404


def test_backup_names_stay_on_job_rows_after_the_backup_is_deleted(viewer_client, project, emulator):
    backups = {b.id: b for b in upstream_backups(emulator)}
    busy = {j.backup_id for j in upstream_jobs(emulator) if not j.finished}
    job = next(
        j
        for j in upstream_jobs(emulator)
        if j.backup_id in backups and backups[j.backup_id].name and j.backup_id not in busy
    )
    name = backups[job.backup_id].name
    service.list_backups(project)
    jobs_page(viewer_client)
    response = requests.delete(
        f"{emulator.url}/backups/{job.backup_id}",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    )
    assert response.status_code == 202
    cache.clear()
    response = jobs_page(viewer_client, q=job.id)
    [row] = rows(response)
    # Long names are cut in the middle; the whole name is on hover.
    shown = f'title="{name} ({job.backup_id})"'
    assert shown in response.content.decode(), (
        f"the deleted backup showed as {row.cells[4]!r} instead of its name {name!r}"
    )


# -- who started it ----------------------------------------------------------------------


def test_the_job_page_says_who_started_a_restore_here_and_links_its_audit_entry(
    ready_backup, operator_client, emulator
):
    response = restore(
        operator_client,
        ready_backup.id,
        "audited-restore",
        tags="team=search\nticket=OPS-1",
        deletion_protection="enabled",
    )
    page = operator_client.get(response["Location"])
    words = text(page)
    assert "Started from restoreui By operator" in words
    assert "Tags asked for team=search, ticket=OPS-1" in words
    assert "Deletion protection asked for enabled" in words
    entry = AuditEntry.objects.get(action="restore", outcome="ok")
    link = f"{reverse('audit')}?entry={entry.pk}"
    assert link in page.content.decode(), "the page did not link to the audit entry"
    audit = operator_client.get(link)
    assert len(rows(audit)) == 1 and ready_backup.id in text(audit), "the link did not lead to the one entry"


def test_a_restore_without_tags_says_they_come_from_the_backup(ready_backup, operator_client, emulator, project):
    response = restore(operator_client, ready_backup.id, "plain-restore")
    record_ = recall.record(project, response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert (record_.started_by, record_.requested_tags, record_.requested_deletion_protection) == (
        "operator",
        None,
        "disabled",
    )
    assert "none given: copied from the backup" in text(operator_client.get(response["Location"]))


def test_a_listed_job_that_404s_is_shown_from_history_as_not_found_just_now(viewer_client):
    now = timezone.now()
    RestoreRecord.objects.create(
        project="local",
        restore_job_id="flickering",
        status="Pending",
        target_index_name="somewhere",
        first_seen=now,
        last_seen=now,
        last_listed=now,
        listed=True,
    )
    page = text(job_page(viewer_client, "flickering"))
    assert "Pinecone did not find this restore job just now, though its list still held it when last read" in page
    assert "no longer lists" not in page, "a transient 404 was reported as a job Pinecone dropped"


def test_a_job_pinecone_describes_but_no_longer_lists_has_the_banner_on_its_live_page(viewer_client, project, emulator):
    job = next(j for j in upstream_jobs(emulator) if j.finished)
    listing = service.list_restore_jobs(project).value
    record.record_listing(
        project, dataclasses.replace(listing, items=tuple(j for j in listing.items if j.id != job.id))
    )
    page = text(job_page(viewer_client, job.id))
    assert "Pinecone no longer lists this restore job (its target index was probably deleted)." in page
    assert "shown from restoreui's history" not in page, "a live page claimed to come from history"


def test_oversized_values_from_pinecone_are_clipped_or_skipped_not_a_failure(project):
    listing = service.list_restore_jobs(project).value
    sample = listing.items[0]
    odd = (
        dataclasses.replace(sample, id="x" * 300),
        dataclasses.replace(sample, id="long-status", status="S" * 500, target_index_name="n" * 400),
    )
    assert record.record_listing(project, dataclasses.replace(listing, items=odd, truncated=True)) == 1
    row = RestoreRecord.objects.get(restore_job_id="long-status")
    assert (len(row.status), len(row.target_index_name)) == (64, 255)
