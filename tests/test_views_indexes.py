"""The index list, the index page and backing an index up, against the emulator."""

import time

import pytest
from django.urls import reverse
from pages import rows, text
from upstream import upstream_backups

from restoreui.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]

CREATE_BACKUP = "POST /indexes/{index_name}/backups"


def restoring_index(emulator) -> str:
    store = emulator.store
    with store.lock:
        return next(name for name, i in store.indexes.items() if store.index_state(i, time.time()) == "Initializing")


def index_page(client, name):
    return client.get(reverse("indexes-detail", args=["local", name]))


def back_up(client, index_name, **data):
    return client.post(reverse("indexes-backup", args=["local", index_name]), {"name": "", "description": "", **data})


# -- the list --------------------------------------------------------------------


def test_it_lists_every_index_with_its_backup_count(viewer_client, emulator):
    response = viewer_client.get(reverse("indexes-list", args=["local"]))
    listed = {row.cells[0]: row.cells for row in rows(response)}
    assert set(listed) == set(emulator.store.indexes), "the index list was not the project's indexes"
    products = sum(1 for b in upstream_backups(emulator) if b.source_index_name == "products")
    assert listed["products"][4] == str(products), f"products showed {listed['products'][4]} backups, not {products}"
    assert listed["products"][2] == "1536 · cosine" and listed["products"][3] == "aws · us-east-1"


def test_a_restoring_index_shows_pinecone_s_state(viewer_client, emulator):
    name = restoring_index(emulator)
    response = viewer_client.get(reverse("indexes-list", args=["local"]))
    listed = {row.cells[0]: row.cells for row in rows(response)}
    assert listed[name][1] == "Initializing", f"a restoring index showed {listed[name][1]!r}"


def test_only_operators_see_the_create_backup_action(client, viewer, operator):
    url = reverse("indexes-list", args=["local"])
    client.force_login(viewer)
    assert "Create backup" not in text(client.get(url)), "a viewer was offered a write"
    assert "Create backup" not in text(index_page(client, "products")), "a viewer was offered a write"
    client.force_login(operator)
    assert "Create backup" in text(client.get(url))
    assert "Create backup" in text(index_page(client, "products"))


def test_the_list_explains_a_failing_pinecone(viewer_client, emulator):
    emulator.set_faults(error_rate=1.0)
    response = viewer_client.get(reverse("indexes-list", args=["local"]))
    assert response.status_code == 502
    assert "Pinecone could not answer" in text(response) and "Traceback" not in text(response)


# -- the index page --------------------------------------------------------------


def test_the_index_page_shows_the_index_and_its_backups_newest_first(viewer_client, emulator):
    response = index_page(viewer_client, "products")
    page = text(response)
    assert response.status_code == 200
    assert "Dimension · metric 1536 · cosine" in page and "Deletion protection enabled" in page
    assert "Tag env production" in page and "Tag team catalog" in page
    backups = sorted(
        (b for b in upstream_backups(emulator) if b.source_index_name == "products"),
        key=lambda b: b.created_at,
        reverse=True,
    )
    positions = [page.index(b.display_name) for b in backups]
    assert positions == sorted(positions), "the index's backups were not newest first"
    assert f'href="{reverse("jobs-list", args=["local"])}?index=products"' in response.content.decode()


def test_on_2026_07_the_index_page_says_the_version_gives_no_creation_time(viewer_client):
    page = text(index_page(viewer_client, "products"))
    assert "Created not reported (API version 2026-07 does not say when an index was created)" in page


def test_a_deleted_index_whose_backups_remain_still_has_a_page(viewer_client, emulator):
    response = index_page(viewer_client, "legacy-catalog")
    page = text(response)
    assert response.status_code == 200, "the backups of a deleted index became unreachable"
    assert "This index no longer exists in project local; its backups remain." in page
    backups = [b for b in upstream_backups(emulator) if b.source_index_name == "legacy-catalog"]
    assert backups and all(b.display_name in page for b in backups), "a backup of the deleted index was not listed"
    assert "Create backup" not in page, "a deleted index offered a backup"


def test_an_unknown_index_answers_404_naming_the_project(viewer_client):
    response = index_page(viewer_client, "no-such-index")
    assert response.status_code == 404
    assert "Pinecone project local has no index named no-such-index, and no backups from one." in text(response)


def test_a_crafted_index_name_never_reaches_another_upstream_path(operator_client, emulator):
    for bad in ("..", ".", "%2E%2E", "..%2Fbackups"):
        assert operator_client.get(f"/p/local/indexes/{bad}/").status_code == 404
        assert operator_client.post(f"/p/local/indexes/{bad}/backup/", {"name": "x"}).status_code in (400, 404)
    calls = set(emulator.stats()["calls"])
    # Listing the project's backups is how the page looks for backups of a deleted index.
    assert calls <= {"GET /backups"}, f"a crafted index name reached {calls}"


# -- backing up ------------------------------------------------------------------


def test_a_backup_started_from_the_index_page_lands_on_the_backup(operator_client, emulator):
    form = operator_client.get(reverse("indexes-backup", args=["local", "articles"]))
    assert form.status_code == 200 and "Create a backup of articles" in text(form)
    response = back_up(operator_client, "articles", name="before-reindex", description="Taken by hand")
    assert response.status_code == 302
    created = next(b for b in upstream_backups(emulator) if b.name == "before-reindex")
    assert response["Location"] == reverse("backups-detail", args=["local", created.id])
    page = text(operator_client.get(response["Location"]))
    assert "Backup before-reindex of articles started." in page and "Initializing" in page
    assert "Taken by hand" in page
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.target) == ("create_backup", "ok", "articles")


def test_the_new_backup_appears_in_the_lists_at_once(operator_client, emulator):
    operator_client.get(reverse("backups-list", args=["local"]))
    back_up(operator_client, "articles", name="fresh-one")
    assert "fresh-one" in text(operator_client.get(reverse("backups-list", args=["local"]))), (
        "the backup list was stale"
    )
    assert "fresh-one" in text(index_page(operator_client, "articles")), "the index page was stale"


def test_an_index_still_restoring_cannot_be_backed_up_and_the_form_says_why(operator_client, emulator):
    name = restoring_index(emulator)
    response = back_up(operator_client, name, name="too-soon")
    assert response.status_code == 400
    assert f"Pinecone cannot do that right now: Index {name} is not ready." in text(response)


def test_backing_up_an_unknown_index_says_so(operator_client, emulator):
    response = back_up(operator_client, "no-such-index")
    assert response.status_code == 400
    assert "Project local has no index named “no-such-index”." in text(response)


def test_a_viewer_may_not_back_up_and_the_refusal_is_audited(viewer_client, emulator):
    response = back_up(viewer_client, "articles", name="sneaky")
    assert response.status_code == 403
    assert CREATE_BACKUP not in emulator.stats()["calls"], "a viewer's backup reached Pinecone"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.username) == ("create_backup", "refused", "viewer")
