"""The job table's triage aids: source index, partial index filters, names cut in the middle, failed bars."""

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from pages import ids_in, rows
from upstream import upstream_backups, upstream_jobs

pytestmark = pytest.mark.django_db


def jobs_page(client, **params):
    return client.get(reverse("jobs-list", args=["local"]), {"size": 100, **params})


def test_a_part_of_an_index_name_finds_the_restores_into_indexes_named_after_it(viewer_client, emulator):
    response = jobs_page(viewer_client, index="products")
    expected = {j.id for j in upstream_jobs(emulator) if "products" in j.target_index_name}
    assert any(j for j in upstream_jobs(emulator) if j.target_index_name.startswith("products-restore-"))
    assert set(ids_in(response, "jobs")) == expected, "`products` did not find the jobs into products-restore-…"


def test_each_row_names_the_backup_s_source_index(viewer_client, emulator):
    backups = {b.id: b for b in upstream_backups(emulator)}
    response = jobs_page(viewer_client)
    jobs = {j.id: j for j in upstream_jobs(emulator)}
    for row, job_id in zip(rows(response), ids_in(response, "jobs"), strict=False):
        if jobs[job_id].backup_id not in backups:
            continue
        source = backups[jobs[job_id].backup_id].source_index_name
        assert reverse("indexes-detail", args=["local", source]) in row.links, (
            f"job {job_id} did not link its source {source}"
        )


def test_the_source_index_filter_matches_part_of_a_name(viewer_client, emulator):
    backups = {b.id: b for b in upstream_backups(emulator)}
    response = jobs_page(viewer_client, source="reviews")
    expected = {
        j.id
        for j in upstream_jobs(emulator)
        if j.backup_id in backups and "reviews" in backups[j.backup_id].source_index_name
    }
    assert expected and set(ids_in(response, "jobs")) == expected


def test_a_deleted_backup_s_source_index_comes_from_the_history(viewer_client, emulator):
    busy = {j.backup_id for j in upstream_jobs(emulator) if not j.finished}
    backups = {b.id: b for b in upstream_backups(emulator)}
    job = next(j for j in upstream_jobs(emulator) if j.backup_id in backups and j.backup_id not in busy)
    source = backups[job.backup_id].source_index_name
    # The history records a backup's facts from the backup list it holds when the job list comes in.
    viewer_client.get(reverse("backups-list", args=["local"]))
    jobs_page(viewer_client)
    deleted = requests.delete(
        f"{emulator.url}/backups/{job.backup_id}",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    )
    assert deleted.status_code == 202
    cache.clear()
    response = jobs_page(viewer_client, q=job.id, source=source[:5])
    [row] = rows(response)
    assert reverse("indexes-detail", args=["local", source]) in row.links, "the deleted backup's source index was lost"


def test_long_names_are_cut_in_the_middle_with_the_full_name_on_hover(viewer_client, emulator):
    job = next(j for j in upstream_jobs(emulator) if len(j.target_index_name) > 26)
    response = jobs_page(viewer_client, q=job.id)
    [row] = rows(response)
    assert job.target_index_name[-8:] in row.cells[5], (
        f"the end of {job.target_index_name} was cut off: {row.cells[5]!r}"
    )
    assert "…" in row.cells[5]
    assert f'title="{job.target_index_name}"' in response.content.decode(), "the full name is not on hover"


def test_a_failed_job_has_a_red_bar(viewer_client, emulator):
    job = next(j for j in upstream_jobs(emulator) if j.status == "Failed")
    response = jobs_page(viewer_client, q=job.id)
    page = response.content.decode()
    assert '<progress class="failed"' in page, "the failed job has no red bar"
    assert rows(response)[0].cells[2].endswith("% unknown")


def test_a_failed_job_shows_the_last_percentage_the_history_saw(viewer_client, emulator, reporting_progress):
    job = next(j for j in upstream_jobs(emulator) if j.status == "Failed" and j.percent_complete)
    jobs_page(viewer_client)
    emulator.set_behaviour(report_progress=False)
    cache.clear()
    assert next(j for j in upstream_jobs(emulator) if j.id == job.id).percent_complete is None
    response = jobs_page(viewer_client, q=job.id)
    shown = f"at {job.percent_complete:.1f}".rstrip("0").rstrip(".")
    assert shown in rows(response)[0].cells[2], f"the failed job's last {job.percent_complete}% was not shown"
    assert f'<progress class="failed" max="100" value="{job.percent_complete:.1f}"' in response.content.decode()


def test_the_last_day_filter_moves_with_the_clock_even_when_the_table_is_reused(viewer_client, emulator, clock):
    """The filtered table is kept per filter and second; a later second, on the same clock, filters afresh."""
    newest = max((j for j in upstream_jobs(emulator) if j.created_at), key=lambda j: j.created_at)
    age = clock.now() - newest.created_at.timestamp()
    assert age < 86_400, "the emulator's newest job is not from the last day"
    url = reverse("jobs-list", args=["local"])
    assert newest.id in ids_in(viewer_client.get(url, {"since": "1d", "size": 100}), "jobs")
    clock.advance(86_400 - age + 1)
    assert newest.id not in ids_in(viewer_client.get(url, {"since": "1d", "size": 100}), "jobs")
