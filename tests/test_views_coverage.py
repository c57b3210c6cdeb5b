"""The coverage overview, the project's home page, against the emulator."""

import pytest
from django.urls import reverse
from pages import rows, text

pytestmark = pytest.mark.django_db


def overview(client, query=""):
    return client.get(reverse("project", args=["local"]) + query)


def by_index(response):
    return {r.cells[0].replace(" (deleted)", ""): r for r in rows(response)}


def test_it_has_a_row_per_index_and_per_deleted_source(viewer_client, scheduling_project, emulator):
    found = by_index(overview(viewer_client))
    assert set(emulator.store.indexes) | {"legacy-catalog"} == set(found)
    assert "index deleted" in found["legacy-catalog"].cells[6]


def test_it_flags_the_seeded_troubles(viewer_client, scheduling_project):
    found = by_index(overview(viewer_client))
    assert "last run failed" in found["support-tickets"].cells[6]
    assert "schedule disabled" in found["customer-reviews"].cells[6]
    assert "pod: no backups" in found["pod-archive"].cells[6]
    # Restored indexes have no backups of their own.
    assert any("never backed up" in r.cells[6] for r in found.values())
    assert "daily, kept 7 d" in found["products"].cells[2]


def test_it_filters_by_flag_in_the_url(viewer_client, scheduling_project):
    found = by_index(overview(viewer_client, "?flag=disabled&flag=failed"))
    assert set(found) == {"support-tickets", "customer-reviews"}


def test_it_sorts_by_backup_count(viewer_client, scheduling_project):
    counts = [int(r.cells[4].replace(",", "")) for r in rows(overview(viewer_client, "?sort=-backups"))]
    assert counts == sorted(counts, reverse=True)


def test_a_warm_overview_costs_no_upstream_call(viewer_client, scheduling_project, emulator):
    assert overview(viewer_client).status_code == 200
    before = emulator.stats()["total"]
    assert overview(viewer_client, "?sort=-age").status_code == 200
    assert emulator.stats()["total"] == before


def test_it_counts_the_last_day_of_restore_jobs_and_lists_the_running_ones(viewer_client, scheduling_project):
    page = text(overview(viewer_client))
    assert "Running now:" in page and "completed" in page


def test_on_an_older_api_it_notes_schedules_are_missing(viewer_client, project_2026_04):
    response = overview(viewer_client)
    assert response.status_code == 200
    assert "not available on API 2026-04" in text(response)
    assert "last run failed" not in " ".join(r.cells[6] for r in rows(response))


def test_its_timeline_is_an_inline_svg_without_styles(viewer_client, scheduling_project):
    html = overview(viewer_client).content.decode()
    assert '<svg class="timeline"' in html and 'class="mark mark-ready"' in html and 'class="gap"' in html
    assert "style=" not in html


def test_a_schedule_written_here_shows_on_the_next_view(operator_client, scheduling_project, emulator):
    assert by_index(overview(operator_client))["docs-embeddings"].cells[2] == "—"
    operator_client.post(
        reverse("schedules-create", args=["local", "docs-embeddings"]),
        {"name": "docs-nightly", "frequency": "weekly", "retention_days": "14"},
    )
    assert by_index(overview(operator_client))["docs-embeddings"].cells[2].startswith("weekly, kept 14 d")
