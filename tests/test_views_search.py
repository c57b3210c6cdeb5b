"""The search box: a pasted id or name lands on its page, anything else lists what contains it."""

from collections import Counter

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from pages import text
from upstream import upstream_backups, upstream_jobs

from restoreui.pinecone import cache as pinecone_cache

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]


def search(client, query):
    return client.get(reverse("search", args=["local"]), {"q": query})


def test_an_exact_job_id_lands_on_the_job(viewer_client, emulator):
    job = upstream_jobs(emulator)[0]
    response = search(viewer_client, f"  {job.id}\n")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs-detail", args=["local", job.id]), (
        "a pasted job id did not open the job"
    )


def test_an_exact_backup_id_lands_on_the_backup(viewer_client, emulator):
    backup = upstream_backups(emulator)[0]
    response = search(viewer_client, backup.id)
    assert response["Location"] == reverse("backups-detail", args=["local", backup.id])


def test_a_backup_name_lands_on_the_backup(viewer_client, emulator):
    counts = Counter(b.name for b in upstream_backups(emulator))
    backup = next(b for b in upstream_backups(emulator) if b.name and counts[b.name] == 1)
    response = search(viewer_client, backup.name)
    assert response["Location"] == reverse("backups-detail", args=["local", backup.id]), (
        "a backup's name did not open it"
    )


def test_a_name_several_backups_share_lists_them_all(viewer_client, emulator):
    counts = Counter(b.name for b in upstream_backups(emulator) if b.name)
    name, count = counts.most_common(1)[0]
    assert count > 1, "the seed has no two backups of the same name"
    response = search(viewer_client, name)
    assert response.status_code == 200, f"the search picked one of {count} backups named {name} at random"
    page = text(response)
    same = [b for b in upstream_backups(emulator) if b.name == name]
    assert all(b.short_id in page for b in same), "not every backup of that name was offered"
    assert f"{count} backups are named “{name}”" in page
    assert "Nothing named" not in page, "the page said nothing has the name it lists backups of"
    for b in same:
        line = next(li for li in page.split(b.short_id)[1:2])
        assert b.source_index_name in line and b.created_at.strftime("%Y-%m-%d") in line, (
            f"backup {b.short_id} was listed without its source index and date"
        )


def test_an_index_name_lands_on_the_index(viewer_client):
    response = search(viewer_client, "products")
    assert response["Location"] == reverse("indexes-detail", args=["local", "products"])


def test_a_deleted_index_s_name_lands_on_its_remaining_backups(viewer_client):
    response = search(viewer_client, "legacy-catalog")
    assert response["Location"] == reverse("indexes-detail", args=["local", "legacy-catalog"])
    assert viewer_client.get(response["Location"]).status_code == 200


def test_the_target_of_an_old_restore_whose_index_is_gone_lists_its_jobs(viewer_client, emulator):
    store = emulator.store
    job = next(j for j in upstream_jobs(emulator) if j.finished and j.target_index_name not in store.indexes)
    response = search(viewer_client, job.target_index_name)
    assert response.status_code == 200, "the search sent the operator to the 404 page of an index that is gone"
    page = text(response)
    assert job.id in page, "the restore into that index was not offered"
    assert f'href="{reverse("indexes-detail", args=["local", job.target_index_name])}"' not in response.content.decode()


def test_part_of_a_name_lists_what_contains_it(viewer_client, emulator):
    response = search(viewer_client, "SUPPORT-tick")
    page = text(response)
    assert response.status_code == 200
    assert "Nothing named “SUPPORT-tick” exactly" in page
    assert "Restore jobs" in page and "Indexes" in page and "support-tickets" in page
    jobs = [j for j in upstream_jobs(emulator) if "support-tick" in j.target_index_name]
    shown = [j for j in jobs if j.id in page]
    assert len(shown) == min(len(jobs), 20), "matching jobs were left out, or more than 20 shown"
    if len(jobs) > 20:
        assert "(first 20 of each)" in page, "the page did not say the list was cut"


def test_part_of_a_backup_id_lists_the_backup(viewer_client, emulator):
    backup = upstream_backups(emulator)[0]
    page = text(search(viewer_client, backup.id[4:17].upper()))
    assert "Backups" in page and backup.id in page


def test_nothing_matching_says_so(viewer_client):
    response = search(viewer_client, "zzz-nothing-like-it")
    assert response.status_code == 200
    assert "Nothing matches. Check the project: this search looks in local only." in text(response)


def test_an_empty_search_goes_to_the_job_table(viewer_client, emulator):
    response = search(viewer_client, "   ")
    assert response["Location"] == reverse("jobs-list", args=["local"])
    assert emulator.stats()["total"] == 0, "an empty search asked Pinecone"


def test_a_search_while_pinecone_fails_does_not_claim_nothing_exists(viewer_client, emulator):
    job = upstream_jobs(emulator)[0]
    emulator.set_faults(error_rate=1.0)
    response = search(viewer_client, job.id)
    page = text(response)
    assert "Pinecone is having trouble" in page, "the search hid that Pinecone is failing"
    assert "Nothing matches." not in page and "has that id or name" not in page, (
        "the search said a real job does not exist"
    )


def test_the_search_box_keeps_the_query(viewer_client):
    html = search(viewer_client, "restore-zz").content.decode()
    assert 'value="restore-zz"' in html, "the search box forgot what was typed"


def test_search_results_from_an_old_copy_are_marked_stale(viewer_client, emulator, settings, clock):
    url = reverse("search", args=["local"])
    assert "Showing what Pinecone said" not in viewer_client.get(url, {"q": "a"}).content.decode()
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    # The first search after the lists' lifetime is answered from them; their refresh behind it fails.
    viewer_client.get(url, {"q": "a"})
    pinecone_cache.settle()
    response = viewer_client.get(url, {"q": "a"})
    assert response.status_code == 200
    assert "Showing what Pinecone said" in response.content.decode(), "search showed an old copy as current"


# -- short ids ---------------------------------------------------------------------


def test_a_job_s_short_id_lands_on_the_job(viewer_client, emulator):
    job = upstream_jobs(emulator)[3]
    response = search(viewer_client, job.short_id)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs-detail", args=["local", job.id]), (
        "the short id shown in the table did not open its job"
    )


def test_a_backup_s_short_id_lands_on_the_backup(viewer_client, emulator):
    backup = upstream_backups(emulator)[2]
    response = search(viewer_client, backup.short_id.upper())
    assert response["Location"] == reverse("backups-detail", args=["local", backup.id])


def test_an_index_s_short_id_lands_on_the_index(viewer_client, emulator):
    # Pinecone rarely reports an index's own id; backups and restore jobs carry it.
    index = emulator.store.indexes["articles"]
    response = search(viewer_client, index.index_id[:8])
    assert response["Location"] == reverse("indexes-detail", args=["local", "articles"])


def test_a_short_id_several_jobs_share_lists_them(viewer_client, emulator):
    store = emulator.store
    first, second = upstream_jobs(emulator)[:2]
    twin = first.id[:8] + second.id[8:]
    with store.lock:
        job = store.jobs.pop(second.id)
        job.restore_job_id = twin
        store.jobs[twin] = job
        store.job_order = sorted((k, twin if i == second.id else i) for k, i in store.job_order)
    response = search(viewer_client, first.short_id)
    assert response.status_code == 200, "a short id two jobs share picked one of them"
    page = text(response)
    assert "2 ids start with" in page and first.id in page and twin in page
    assert "Nothing named" not in page


def test_a_few_characters_are_not_taken_for_a_short_id(viewer_client, emulator):
    job = upstream_jobs(emulator)[0]
    response = search(viewer_client, job.id[:4])
    assert response.status_code == 200, "four characters were taken for an id"


def test_the_short_id_of_a_job_pinecone_no_longer_lists_lands_on_it(viewer_client, emulator):
    job = next(j for j in upstream_jobs(emulator) if j.finished and j.target_index_name in emulator.store.indexes)
    viewer_client.get(reverse("jobs-list", args=["local"]))
    deleted = requests.delete(
        f"{emulator.url}/indexes/{job.target_index_name}",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    )
    assert deleted.status_code in (200, 202)
    cache.clear()
    viewer_client.get(reverse("jobs-list", args=["local"]))
    response = search(viewer_client, job.short_id)
    assert response["Location"] == reverse("jobs-detail", args=["local", job.id]), (
        "a remembered job's short id was not found"
    )
