"""Backup schedules on the index page, a page per schedule, and the writes operators make."""

import pytest
from django.urls import reverse
from pages import rows, text

from restoreui.models import AuditEntry

pytestmark = pytest.mark.django_db

V = "2026-07"


@pytest.fixture(autouse=True)
def on_2026_07(scheduling_project):
    return scheduling_project


def enabled_schedule(emulator, index):
    store = emulator.store
    with store.lock:
        index_id = store.indexes[index].index_id
        return next(s for s in store.schedules.values() if s.index_id == index_id and s.enabled)


def schedule_url(name, index, schedule_id, *more):
    return reverse(name, args=["local", index, schedule_id, *more])


def test_the_index_page_lists_its_schedules_with_next_and_last_run(viewer_client, emulator):
    page = text(viewer_client.get(reverse("indexes-detail", args=["local", "support-tickets"])))
    assert "tickets-nightly" in page and "tickets-weekly-old" in page
    assert "InitializationFailed" in page and "disabled" in page


def test_the_index_page_notes_schedules_need_2026_07(viewer_client, project_2026_04):
    page = text(viewer_client.get(reverse("indexes-detail", args=["local", "products"])))
    assert "Backup schedules are not available on API 2026-04" in page


def test_a_schedule_page_shows_its_history_led_by_the_planned_run(viewer_client, emulator):
    schedule = enabled_schedule(emulator, "products")
    response = viewer_client.get(schedule_url("schedules-detail", "products", schedule.schedule_id))
    assert response.status_code == 200
    history = rows(response)
    assert "planned" in history[0].cells[1]
    assert all("expires" in r.cells[5] for r in history[1:])


def test_a_schedule_page_on_an_older_api_is_a_note(viewer_client, project_2026_04, emulator):
    schedule = enabled_schedule(emulator, "products")
    response = viewer_client.get(schedule_url("schedules-detail", "products", schedule.schedule_id))
    assert response.status_code == 404 and "not available on API 2026-04" in text(response)


def test_an_operator_creates_a_schedule_and_it_is_audited(operator_client, emulator):
    response = operator_client.post(
        reverse("schedules-create", args=["local", "docs-embeddings"]),
        {"name": "docs-nightly", "frequency": "daily", "retention_days": "14"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE_SCHEDULE)
    assert entry.outcome == "ok" and entry.target == "docs-embeddings" and entry.extra["retention_days"] == 14
    page = text(operator_client.get(reverse("indexes-detail", args=["local", "docs-embeddings"])))
    assert "docs-nightly" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "Docs Nightly", "frequency": "daily", "retention_days": "7"}, "lowercase letters"),
        ({"name": "docs", "frequency": "hourly", "retention_days": "7"}, "daily, weekly or monthly, not “hourly”"),
        ({"name": "docs", "frequency": "daily", "retention_days": "0"}, "1 to 365 days"),
        ({"name": "docs", "frequency": "daily", "retention_days": "400"}, "1 to 365 days"),
    ],
)
def test_a_bad_schedule_is_explained_without_an_upstream_call(operator_client, emulator, data, message):
    response = operator_client.post(reverse("schedules-create", args=["local", "docs-embeddings"]), data)
    assert response.status_code == 400 and message in text(response)
    assert "POST /indexes/{index_name}/backup-schedules" not in emulator.calls


def test_a_second_enabled_schedule_is_explained_as_one_per_index(operator_client, emulator):
    response = operator_client.post(
        reverse("schedules-create", args=["local", "products"]),
        {"name": "more", "frequency": "weekly", "retention_days": "7"},
    )
    assert response.status_code == 400
    assert "already has an enabled backup schedule" in text(response)
    assert AuditEntry.objects.get().outcome == "failed"


def test_the_plan_gate_is_explained_as_the_plan(operator_client, emulator):
    emulator.set_behaviour(plan_gate=True)
    response = operator_client.post(
        reverse("schedules-create", args=["local", "docs-embeddings"]),
        {"name": "docs", "frequency": "weekly", "retention_days": "7"},
    )
    assert "plan does not include scheduled backups" in text(response)


def test_an_operator_disables_and_enables_a_schedule(operator_client, emulator):
    schedule = enabled_schedule(emulator, "articles")
    url = schedule_url("schedules-toggle", "articles", schedule.schedule_id)
    assert operator_client.post(url, {"enabled": "false"}).status_code == 302
    assert emulator.store.schedules[schedule.schedule_id].enabled is False
    assert operator_client.post(url, {"enabled": "true"}).status_code == 302
    assert emulator.store.schedules[schedule.schedule_id].next_run is not None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE_SCHEDULE, outcome="ok").count() == 2


def test_re_enabling_beside_an_enabled_schedule_is_explained(operator_client, emulator):
    store = emulator.store
    old = next(s for s in store.schedules.values() if s.name == "tickets-weekly-old")
    response = operator_client.post(
        schedule_url("schedules-toggle", "support-tickets", old.schedule_id), {"enabled": "true"}
    )
    assert response.status_code == 400 and "one per index" in text(response)


def test_an_operator_changes_frequency_and_retention(operator_client, emulator):
    schedule = enabled_schedule(emulator, "legal-contracts")
    response = operator_client.post(
        schedule_url("schedules-edit", "legal-contracts", schedule.schedule_id),
        {"frequency": "weekly", "retention_days": "90"},
    )
    assert response.status_code == 302
    assert (schedule.frequency, schedule.retention_days) == ("weekly", 90)


def test_deleting_a_schedule_needs_its_name_typed(operator_client, emulator):
    schedule = enabled_schedule(emulator, "articles")
    url = schedule_url("schedules-delete", "articles", schedule.schedule_id)
    refused = operator_client.post(url, {"confirm": "articles"})
    assert refused.status_code == 400 and schedule.schedule_id in emulator.store.schedules
    assert operator_client.post(url, {"confirm": schedule.name}).status_code == 302
    assert schedule.schedule_id not in emulator.store.schedules
    assert AuditEntry.objects.get(action=AuditEntry.Action.DELETE_SCHEDULE).outcome == "ok"


def test_a_viewer_cannot_change_a_schedule(viewer_client, emulator):
    schedule = enabled_schedule(emulator, "articles")
    response = viewer_client.post(
        schedule_url("schedules-toggle", "articles", schedule.schedule_id), {"enabled": "false"}
    )
    assert response.status_code == 403 and emulator.store.schedules[schedule.schedule_id].enabled
    assert AuditEntry.objects.get().outcome == "refused"


def test_a_backup_page_says_which_schedule_made_it_and_when_it_expires(viewer_client, emulator):
    schedule = enabled_schedule(emulator, "products")
    store = emulator.store
    backup = next(b for b in store.backups.values() if b.schedule_id == schedule.schedule_id)
    page = text(viewer_client.get(reverse("backups-detail", args=["local", backup.backup_id])))
    assert f"schedule {schedule.name}" in page and "expires 20" in page and " days" in page


def test_the_backup_list_shows_what_expires_within_days(viewer_client, emulator):
    response = viewer_client.get(reverse("backups-list", args=["local"]) + "?expires=3&size=100")
    store = emulator.store
    soon = store.now() + 3 * 86400
    expected = {
        b.name for b in store.backups.values() if b.retention_days and b.created_at + b.retention_days * 86400 <= soon
    }
    assert expected and {r.cells[0] for r in rows(response)} == expected


def test_a_missing_schedule_is_a_404_page(viewer_client):
    response = viewer_client.get(schedule_url("schedules-detail", "products", "no-such-schedule"))
    assert response.status_code == 404 and "No such backup schedule" in text(response)


def test_a_schedule_write_without_a_clear_answer_is_audited_as_unknown(operator_client, emulator, settings):
    settings.PINECONE_RETRIES = 0
    emulator.set_faults(error_rate=1.0)
    response = operator_client.post(
        reverse("schedules-create", args=["local", "docs-embeddings"]),
        {"name": "docs", "frequency": "weekly", "retention_days": "7"},
    )
    assert response.status_code == 400 and "may or may not have been made" in text(response)
    assert AuditEntry.objects.get().outcome == "unknown"
