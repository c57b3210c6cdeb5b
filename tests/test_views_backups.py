"""The backup table, the backup page, and restoring or deleting a backup, against the emulator."""

import re
from html import unescape

import pytest
from django.urls import reverse
from pages import ids_in, restore, rows, text, title
from upstream import upstream_backups, upstream_jobs

from restoreui.lib.formatting import bytes_human
from restoreui.models import AuditEntry
from restoreui.pinecone import Backup
from restoreui.pinecone import cache as pinecone_cache
from restoreui.projects import API_VERSIONS, Project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]

SEED_BACKUPS = 71
CREATE_INDEX = "POST /backups/{backup_id}/create-index"


def backup_where(emulator, test, version="2026-04") -> Backup:
    return next(b for b in upstream_backups(emulator, version) if test(b))


def backups_page(client, htmx=False, **params):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(reverse("backups-list", args=["local"]), params, headers=headers)


def backup_page(client, backup_id):
    return client.get(reverse("backups-detail", args=["local", backup_id]))


def delete(client, backup_id, confirm):
    return client.post(reverse("backups-delete", args=["local", backup_id]), {"confirm": confirm})


def field_errors(response, name) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>', response.content.decode(), re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


# -- the table -------------------------------------------------------------------


def test_it_lists_every_backup_newest_first(viewer_client, emulator):
    response = backups_page(viewer_client, size=100)
    newest = sorted(upstream_backups(emulator), key=lambda b: b.created_at, reverse=True)
    assert ids_in(response, "backups") == [b.id for b in newest], "the backup table was not every backup, newest first"
    assert f"{SEED_BACKUPS} backups" in text(response)


def test_it_shows_a_status_it_does_not_know_verbatim(viewer_client):
    response = backups_page(viewer_client, status="failed")
    statuses = {row.cells[1] for row in rows(response)}
    assert statuses == {"InitializationFailed"}, f"Pinecone's InitializationFailed was shown as {statuses}"


def test_it_filters_by_several_statuses_and_an_index(viewer_client, emulator):
    response = backups_page(viewer_client, status=["ready", "initializing"], index="products")
    expected = {
        b.id
        for b in upstream_backups(emulator)
        if b.source_index_name == "products" and b.state in ("ready", "initializing")
    }
    assert set(ids_in(response, "backups")) == expected, "the status and index filters did not combine"


def test_its_free_text_searches_descriptions(viewer_client, emulator):
    response = backups_page(viewer_client, q="ops RUNBOOK", size=100)
    expected = {b.id for b in upstream_backups(emulator) if "ops runbook" in (b.description or "").lower()}
    assert expected and set(ids_in(response, "backups")) == expected


def test_it_sorts_by_size_with_unknown_sizes_last(viewer_client, emulator):
    sizes = {b.id: b.size_bytes for b in upstream_backups(emulator)}
    for sort, descending in (("size", False), ("-size", True)):
        shown = [sizes[i] for i in ids_in(backups_page(viewer_client, sort=sort, size=50), "backups")]
        known = [s for s in shown if s is not None]
        assert shown == known + [None] * (len(shown) - len(known)), (
            f"sorted by {sort}, backups still initializing were not last"
        )
        assert known == sorted(known, reverse=descending), f"sorted by {sort}, sizes were out of order"


def test_an_htmx_request_gets_only_the_table(viewer_client):
    response = backups_page(viewer_client, htmx=True)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="backups-table"') and "<html" not in html, "htmx got the whole page"
    assert "HX-Request" in response["Vary"]


def test_the_table_shows_the_source_index_was_deleted(viewer_client, settings, emulator):
    settings.RESTOREUI_PROJECTS = {
        "local": Project(name="local", api_key=emulator.api_key, host=emulator.url, api_version="2026-07")
    }
    response = backups_page(viewer_client, index="legacy-catalog")
    assert rows(response) and all("legacy-catalog (deleted)" in row.cells[2] for row in rows(response))


@pytest.mark.parametrize("version", ["2025-04", "2025-10", "2026-04"])
def test_before_2026_07_the_table_says_it_cannot_mark_deleted_sources(viewer_client, settings, emulator, version):
    settings.RESTOREUI_PROJECTS = {
        "local": Project(name="local", api_key=emulator.api_key, host=emulator.url, api_version=version)
    }
    response = backups_page(viewer_client, index="legacy-catalog")
    assert response.status_code == 200
    assert f"API version {version} does not say which source indexes were deleted" in text(response)


def test_on_2026_07_the_table_needs_no_such_note(viewer_client):
    assert "does not say which source indexes were deleted" not in text(backups_page(viewer_client))


# -- the backup page -------------------------------------------------------------


def test_the_backup_page_answers_how_big_it_is(viewer_client, emulator, sending_metric):
    backup = backup_where(emulator, lambda b: b.status == "Ready" and b.size_bytes > 1024**3)
    page = text(backup_page(viewer_client, backup.id))
    assert f"Records {backup.record_count:,}" in page
    assert f"Namespaces {backup.namespace_count:,}" in page
    assert re.search(rf"Size \d+\.\d GiB \({backup.size_bytes:,} bytes\)", page), "the size was not shown both ways"
    assert f"Dimension {backup.dimension}" in page and f"Metric {backup.metric}" in page


def test_an_initializing_backup_says_its_counts_come_later(viewer_client, emulator):
    backup = backup_where(emulator, lambda b: b.status == "Initializing")
    page = text(backup_page(viewer_client, backup.id))
    assert "Records —" in page and "Size —" in page
    assert "Counts and size appear when the backup is Ready." in page
    assert "Only a Ready backup can be restored" not in page, "a viewer saw a write hint"


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_metadata_schema_is_a_table_in_every_api_version(
    viewer_client, settings, emulator, sending_metric, version
):
    settings.RESTOREUI_PROJECTS = {
        "local": Project(name="local", api_key=emulator.api_key, host=emulator.url, api_version=version)
    }
    backup = backup_where(emulator, lambda b: b.status == "Ready" and b.source_index_name == "articles", version)
    response = backup_page(viewer_client, backup.id)
    page = text(response)
    assert "Dimension 768" in page, f"on {version} the dimension was lost"
    if version == "2025-04":
        assert "Metric dotproduct, from the index articles, which has the source index's name" in page
        assert "API version 2025-04 does not report schemas" in page
        return
    assert "Metric dotproduct" in page, f"on {version} the metric was lost"
    schema = {row.cells[0]: row.cells[1:] for row in rows(response, 0)}
    assert {"genre", "published_year", "author"} <= set(schema), (
        f"on {version} the schema table lacked fields: {schema}"
    )
    assert schema["genre"][1] == "yes", "the genre field was not shown as filterable"
    if version == "2026-07":
        assert schema["_values"] == ["dense_vector", "—", "768", "dotproduct"], schema["_values"]
        assert schema["published_year"][0] == "integer" and schema["author"][0] == "—"


def without_metric(emulator, backup_id) -> str:
    """Make the emulator leave out BACKUP_ID's metric; returns the metric it had."""
    backup = emulator.store.backups[backup_id]
    metric, backup.metric = backup.metric, None
    return metric


def restored_from(emulator, backup_id) -> list[str]:
    return sorted(i.name for i in emulator.store.indexes.values() if i.source_backup_id == backup_id)


def test_a_backup_without_a_metric_takes_it_from_an_index_restored_from_it(viewer_client, emulator):
    backup = backup_where(emulator, lambda b: restored_from(emulator, b.id))
    metric = without_metric(emulator, backup.id)
    page = text(backup_page(viewer_client, backup.id))
    target = restored_from(emulator, backup.id)[0]
    assert f"Metric {metric}, from index {target}, restored from this backup (the backup does not report it)" in page


def test_a_backup_without_a_metric_takes_it_from_its_source_index(viewer_client, emulator):
    live = set(emulator.store.indexes)
    backup = backup_where(emulator, lambda b: b.source_index_name in live and not restored_from(emulator, b.id))
    metric = without_metric(emulator, backup.id)
    page = text(backup_page(viewer_client, backup.id))
    assert f"Metric {metric}, from the index {backup.source_index_name}, which has the source index's name" in page, (
        "the metric was not taken from the source index"
    )


def test_a_backup_without_a_metric_or_an_index_to_take_it_from_says_pinecone_did_not_report_it(viewer_client, emulator):
    live = set(emulator.store.indexes)
    backup = backup_where(emulator, lambda b: b.source_index_name not in live and not restored_from(emulator, b.id))
    without_metric(emulator, backup.id)
    assert "Metric not reported by Pinecone" in text(backup_page(viewer_client, backup.id))


def test_tags_show_values_that_are_not_text(viewer_client, emulator):
    backup = backup_where(emulator, lambda b: "automated" in b.tags)
    page = text(backup_page(viewer_client, backup.id))
    assert "ticket OPS-4521" in page and "automated true" in page, "a boolean tag value was lost"
    numbered = backup_where(emulator, lambda b: "checkpoint" in b.tags)
    page = text(backup_page(viewer_client, numbered.id))
    assert "checkpoint 3" in page and "verified false" in page


def test_a_backup_without_tags_says_so(viewer_client, emulator):
    backup = backup_where(emulator, lambda b: not b.tags)
    assert "Tags No tags." in text(backup_page(viewer_client, backup.id))


def test_the_backup_page_lists_the_restores_made_from_it(viewer_client, emulator):
    counts = {}
    for job in upstream_jobs(emulator):
        counts[job.backup_id] = counts.get(job.backup_id, 0) + 1
    backup_id = max((b.id for b in upstream_backups(emulator)), key=lambda i: counts.get(i, 0))
    response = backup_page(viewer_client, backup_id)
    expected = {j.id for j in upstream_jobs(emulator) if j.backup_id == backup_id}
    assert len(expected) > 1
    assert set(ids_in(response, "jobs", table=1)) == expected, "the restores from this backup were not all listed"


def test_an_unknown_backup_answers_404_naming_the_project(viewer_client):
    response = backup_page(viewer_client, "no-such-backup")
    assert response.status_code == 404
    assert "Pinecone project local has no backup no-such-backup" in text(response)


def test_the_backup_page_explains_a_failing_pinecone(ready_backup, viewer_client, emulator):
    emulator.set_faults(error_rate=1.0)
    response = backup_page(viewer_client, ready_backup.id)
    assert response.status_code == 502
    assert "Pinecone could not answer" in text(response) and "Traceback" not in text(response)


def test_the_backup_page_serves_its_last_copy_while_pinecone_fails(
    ready_backup, viewer_client, emulator, settings, clock
):
    backup_page(viewer_client, ready_backup.id)
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    # Its lists are refreshed behind the first answer after their lifetime, and that fails.
    backup_page(viewer_client, ready_backup.id)
    pinecone_cache.settle()
    response = backup_page(viewer_client, ready_backup.id)
    page = text(response)
    assert response.status_code == 200, "a Pinecone failure hid a backup restoreui had already seen"
    assert re.search(r"Showing what Pinecone said \d+ s ago", page)
    assert ready_backup.id in page


@pytest.mark.parametrize("bad", ["..", ".", "%2E%2E", "..%2Findexes"])
def test_a_crafted_backup_id_never_reaches_another_upstream_path(viewer_client, emulator, bad):
    for suffix in ("", "restore/", "delete/"):
        response = viewer_client.get(f"/p/local/backups/{bad}/{suffix}")
        assert response.status_code == 404, f"/backups/{bad}/{suffix} answered {response.status_code}"
    calls = emulator.stats()["calls"]
    assert set(calls) <= {"GET /backups/{backup_id}"}, f"a crafted backup id reached {calls}"


# -- restoring -------------------------------------------------------------------


def test_a_viewer_may_not_restore_and_the_refusal_is_audited(ready_backup, viewer_client, emulator):
    page = text(backup_page(viewer_client, ready_backup.id))
    assert "You need the operator role for project 'local': restoring and deleting are not available to you." in page
    response = restore(viewer_client, ready_backup.id, "sneaky-restore")
    assert response.status_code == 403
    assert "Nothing was sent to Pinecone." in text(response)
    assert CREATE_INDEX not in emulator.stats()["calls"], "a viewer's restore reached Pinecone"
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.outcome, entry.target) == (
        "viewer",
        "restore",
        "refused",
        ready_backup.id,
    )


def test_a_read_only_project_refuses_even_an_operator(ready_backup, operator_client, emulator, settings):
    settings.RESTOREUI_PROJECTS = {
        "local": Project(name="local", api_key=emulator.api_key, host=emulator.url, read_only=True)
    }
    response = restore(operator_client, ready_backup.id, "frozen-restore")
    assert response.status_code == 403
    assert "Project 'local' is read-only." in text(response)
    assert CREATE_INDEX not in emulator.stats()["calls"]


def test_the_restore_form_describes_what_will_be_made(ready_backup, operator_client, emulator, sending_metric):
    response = operator_client.get(reverse("backups-restore", args=["local", ready_backup.id]))
    page = text(response)
    assert response.status_code == 200
    assert f"dimension ({ready_backup.dimension}) and metric ({ready_backup.metric})" in page
    assert "Start restore in local" in page


@pytest.mark.parametrize(
    "name, problem",
    [
        ("Products_Copy", "Index names use lowercase letters, digits and '-'"),
        ("-leading-dash", "start and end with a letter or digit"),
        ("", "This field is required."),
        ("x" * 46, "at most 45 characters"),
    ],
)
def test_a_bad_index_name_is_refused_before_pinecone_is_asked(ready_backup, operator_client, emulator, name, problem):
    response = restore(operator_client, ready_backup.id, name)
    assert response.status_code == 400
    assert problem in field_errors(response, "name"), f"the name field did not say: {problem}"
    assert CREATE_INDEX not in emulator.stats()["calls"], "an invalid name was sent to Pinecone"


def test_an_existing_index_name_is_shown_on_the_name_field(ready_backup, operator_client, emulator):
    response = restore(operator_client, ready_backup.id, "products")
    assert response.status_code == 400
    assert "An index named “products” already exists in project local." in field_errors(response, "name")
    assert emulator.stats()["calls"][CREATE_INDEX] == 1
    assert AuditEntry.objects.get().outcome == "failed"


def test_a_restore_lands_on_the_new_job_s_page(ready_backup, operator_client, emulator):
    response = restore(operator_client, ready_backup.id, "products-restore-1")
    assert response.status_code == 302, f"the restore did not start: {field_errors(response, 'name')}"
    job = next(j for j in upstream_jobs(emulator) if j.target_index_name == "products-restore-1")
    assert response["Location"] == reverse("jobs-detail", args=["local", job.id])
    page = operator_client.get(response["Location"])
    shown = text(page)
    assert f"Restore started: {ready_backup.display_name} into new index products-restore-1." in shown
    assert job.id in shown and title(page).endswith("restore -> products-restore-1 · local")
    entry = AuditEntry.objects.get()
    assert entry.outcome == "ok" and entry.extra["restore_job_id"] == job.id


def test_restore_tags_are_parsed_one_per_line(ready_backup, operator_client, emulator):
    response = restore(
        operator_client,
        ready_backup.id,
        "tagged-restore",
        tags="team = search\n\nticket=OPS-1; urgent\n",
        deletion_protection="enabled",
    )
    assert response.status_code == 302
    index = emulator.store.indexes["tagged-restore"]
    assert index.tags == {"team": "search", "ticket": "OPS-1; urgent"}, f"the new index got tags {index.tags}"
    assert index.deletion_protection == "enabled"


@pytest.mark.parametrize(
    "tags, problem",
    [
        ("team search", "Line 1: write each tag as key=value."),
        ("a=1\na=2", "Line 2: the tag “a” is given twice."),
        ("bad key=x", "Tag key 'bad key' may use only letters, digits, '_' and '-'."),
        ("team=<script>", "The value of tag 'team' may use only letters, digits, spaces and ; @ _ - . +"),
        ("=x", "Tag keys cannot be empty."),
    ],
)
def test_bad_tags_are_refused_before_pinecone_is_asked(ready_backup, operator_client, emulator, tags, problem):
    response = restore(operator_client, ready_backup.id, "tagged-restore", tags=tags)
    assert response.status_code == 400
    assert problem in field_errors(response, "tags"), f"the tags field did not say: {problem}"
    assert CREATE_INDEX not in emulator.stats()["calls"]


def test_restoring_a_backup_that_is_not_ready_shows_pinecone_s_reason(operator_client, emulator):
    backup = backup_where(emulator, lambda b: b.status == "Initializing")
    response = restore(operator_client, backup.id, "too-early")
    assert response.status_code == 400
    assert f"Backup {backup.id} is not completed." in text(response), "the operator was not told why nothing started"


def test_a_restore_pinecone_fails_does_not_claim_it_started(ready_backup, operator_client, emulator):
    operator_client.get(reverse("backups-restore", args=["local", ready_backup.id]))
    emulator.set_faults(error_rate=1.0)
    response = restore(operator_client, ready_backup.id, "maybe-restore")
    page = text(response)
    assert response.status_code == 400
    assert "may or may not have started" in page and "Restore started" not in page
    assert emulator.stats()["calls"][CREATE_INDEX] == 1, "a restore was sent twice"


# -- deleting --------------------------------------------------------------------


def test_deleting_needs_the_backup_s_name_typed(ready_backup, operator_client, emulator):
    response = delete(operator_client, ready_backup.id, ready_backup.name + "x")
    assert response.status_code == 400
    assert (
        f"Type “{ready_backup.name}” exactly, or the backup id {ready_backup.id}, to delete this backup."
        in field_errors(response, "confirm")
    )
    assert "DELETE /backups/{backup_id}" not in emulator.stats()["calls"]


def test_a_backup_with_a_running_restore_cannot_be_deleted_and_the_page_says_why(
    ready_backup, operator_client, emulator
):
    assert restore(operator_client, ready_backup.id, "holds-the-backup").status_code == 302
    response = delete(operator_client, ready_backup.id, ready_backup.name)
    assert response.status_code == 400
    assert "Pinecone will not delete this backup while a restore from it is still running." in text(response)
    assert ready_backup.id in emulator.store.backups


def test_the_delete_confirmation_shows_age_size_tags_and_no_running_restore(operator_client, emulator):
    backup = backup_where(emulator, lambda b: b.status == "Ready" and b.tags and b.name)
    busy = {j.backup_id for j in upstream_jobs(emulator) if not j.finished}
    response = operator_client.get(reverse("backups-delete", args=["local", backup.id]))
    page = text(response)
    assert backup.created_at.strftime("%Y-%m-%d") in page and " ago)" in page, "the backup's age is not shown"
    assert bytes_human(backup.size_bytes) in page and f"{backup.record_count:,}" in page
    key, value = next(iter(backup.tags.items()))
    assert f"{key}={value}" in page, "the backup's tags are not shown"
    expected = "Running restores 1" if backup.id in busy else "Running restores 0"
    assert expected in page


def test_the_delete_confirmation_warns_up_front_of_a_running_restore(ready_backup, operator_client, emulator):
    assert restore(operator_client, ready_backup.id, "holds-the-backup").status_code == 302
    response = operator_client.get(reverse("backups-delete", args=["local", ready_backup.id]))
    page = text(response)
    assert response.status_code == 200
    assert "A restore from this backup is still running." in page, "the page asked before saying Pinecone will refuse"
    assert "412" in page and "holds-the-backup" in page
    assert "DELETE /backups/{backup_id}" not in emulator.stats()["calls"]


def test_a_deleted_backup_is_gone(ready_backup, operator_client, emulator):
    assert ready_backup.id in ids_in(backups_page(operator_client, size=100), "backups")
    response = delete(operator_client, ready_backup.id, ready_backup.name)
    assert response.status_code == 302 and response["Location"] == reverse("backups-list", args=["local"])
    listing = operator_client.get(response["Location"], {"size": 100})
    assert f"Backup {ready_backup.name} is being deleted." in text(listing)
    assert ready_backup.id not in ids_in(listing, "backups"), "the deleted backup was still listed"
    assert backup_page(operator_client, ready_backup.id).status_code == 404, "the deleted backup's page still answered"


def test_a_backup_without_a_name_is_confirmed_by_its_id(operator_client, emulator):
    busy = {j.backup_id for j in upstream_jobs(emulator) if not j.finished}
    backup = backup_where(emulator, lambda b: b.name is None and b.id not in busy)
    assert delete(operator_client, backup.id, backup.id).status_code == 302


def test_a_named_backup_may_be_confirmed_by_its_id_too(ready_backup, operator_client, emulator):
    assert delete(operator_client, ready_backup.id, ready_backup.id).status_code == 302


def test_opening_a_write_form_without_the_role_leaves_no_audit_entry(ready_backup, viewer_client, emulator):
    assert viewer_client.get(reverse("backups-delete", args=["local", ready_backup.id])).status_code == 403
    assert viewer_client.get(reverse("backups-restore", args=["local", ready_backup.id])).status_code == 403
    assert not AuditEntry.objects.exists(), "a page view was audited as a write attempt"


def test_a_viewer_may_not_delete(ready_backup, viewer_client, emulator):
    response = delete(viewer_client, ready_backup.id, ready_backup.name)
    assert response.status_code == 403
    assert ready_backup.id in emulator.store.backups
    assert AuditEntry.objects.get().outcome == "refused"


def test_an_empty_restore_post_asks_for_the_name_and_sends_nothing(ready_backup, operator_client, emulator):
    before = emulator.stats()["calls"].get("POST /backups/{backup_id}/create-index", 0)
    response = operator_client.post(reverse("backups-restore", args=["local", ready_backup.id]), {})
    assert response.status_code == 400, "an empty form was taken as a page view, with no error shown"
    assert "required" in field_errors(response, "name"), "the form did not say the name is needed"
    after = emulator.stats()["calls"].get("POST /backups/{backup_id}/create-index", 0)
    assert after == before, "an empty form reached Pinecone"
