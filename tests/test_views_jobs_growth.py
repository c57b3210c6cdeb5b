"""The job table of a project with 10,000 restore jobs: reused warm, and the same table as a small one's.

Warm tables reuse the parsed list, the merge with the history and each filtered view (see
restoreui.pinecone.cache); these tests hold their pages, filters and counts to the emulator's
own list, so reuse cannot change what a table shows.
"""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pages import ids_in, text
from upstream import upstream_jobs

from restoreui.emulator import Emulator
from restoreui.filters import EPOCH
from restoreui.history import record
from restoreui.history.merge import SUGGESTED_TARGETS
from restoreui.pinecone import service
from restoreui.projects import Project
from tests.conftest import API_KEY

pytestmark = pytest.mark.django_db
JOBS = 10_000


@pytest.fixture(scope="module")
def big_emulator():
    server = Emulator(host="127.0.0.1", port=0, api_key=API_KEY, seed=11, jobs=JOBS)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def big(settings, big_emulator):
    project = Project(name="big", api_key=API_KEY, host=big_emulator.url, emulated=True)
    settings.RESTOREUI_PROJECTS = {project.name: project}
    settings.PINECONE_LIST_PAGE_CAP = 200
    # Loading 10,000 jobs takes seconds here: the copy outlives the test, so no refresh runs behind it.
    settings.CACHE_TTL_LIST = 600
    return project


def table(client, **params):
    return client.get(reverse("jobs-list", args=["big"]), params)


def newest_first(jobs):
    return sorted(jobs, key=lambda j: (j.created_at or EPOCH, j.id), reverse=True)


def test_pages_filters_and_sorts_of_10000_jobs_match_pinecone_s_list(viewer_client, big, big_emulator):
    jobs = upstream_jobs(big_emulator)
    assert len(jobs) == JOBS
    expected = [j.id for j in newest_first(jobs)]
    assert ids_in(table(viewer_client), "jobs") == expected[:25]
    assert f"{JOBS} jobs" in text(table(viewer_client)).replace(",", "")
    assert ids_in(table(viewer_client, size=100, page=37), "jobs") == expected[3600:3700]
    assert ids_in(table(viewer_client, size=100, page=100), "jobs") == expected[9900:]
    failed = [j.id for j in newest_first(jobs) if j.state == "failed"]
    assert ids_in(table(viewer_client, status="failed", size=100, page=2), "jobs") == failed[100:200]
    longest = sorted((j for j in jobs if j.duration is not None), key=lambda j: j.duration, reverse=True)
    assert [j.duration for j in longest[:25]] == [
        next(j for j in jobs if j.id == i).duration for i in ids_in(table(viewer_client, sort="-duration"), "jobs")
    ]
    # Each filter has its own table: the first one asked for is not handed to the next.
    one = newest_first(jobs)[4321]
    assert ids_in(table(viewer_client, q=one.id), "jobs") == [one.id]
    with CaptureQueriesContext(connection) as queries:
        response = table(viewer_client)
    assert ids_in(response, "jobs") == expected[:25]
    assert not [q["sql"] for q in queries if "restorerecord" in q["sql"].lower()], "a warm table read the history"
    # The index filter suggests the newest jobs' targets, not all 10,000.
    body = response.content.decode()
    datalist = body.split('<datalist id="index-names">', 1)[1].split("</datalist>", 1)[0]
    assert 0 < datalist.count("<option") <= SUGGESTED_TARGETS
    assert f'value="{newest_first(jobs)[0].target_index_name}"' in datalist


def test_a_change_to_the_history_shows_in_a_warm_table(viewer_client, big, big_emulator):
    job = next(j for j in upstream_jobs(big_emulator) if j.status == "Failed" and j.percent_complete is None)
    # The history records each job's backup from the backup list held when the job list comes in.
    service.list_backups(big)
    assert "% unknown" in text(table(viewer_client, q=job.id))
    # The history learns the percentage it stopped at; Pinecone's list (still cached) does not say it.
    fetched = service.list_restore_jobs(big)
    listing, listing_at = fetched.value, fetched.fetched_at
    seen = tuple(dataclasses.replace(j, percent_complete=42.5) if j.id == job.id else j for j in listing.items)
    assert record.record_listing(big, dataclasses.replace(listing, items=seen)) == 1
    assert service.list_restore_jobs(big).fetched_at == listing_at, "the list itself was loaded again"
    assert "at 42.5" in text(table(viewer_client, q=job.id)), "a warm table kept the history it was made from"
