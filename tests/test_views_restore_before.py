"""Restore to before…: from a time on an index page to the restore form, filled in."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from pages import text
from upstream import upstream_backups

pytestmark = pytest.mark.django_db


def ready_backups(emulator, index="products"):
    """The index's Ready backups, newest first."""
    found = [b for b in upstream_backups(emulator) if b.source_index_name == index and b.state == "ready"]
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def pick(client, index="products", **query):
    return client.get(reverse("indexes-restore-before", args=["local", index]), query)


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def test_the_index_page_offers_restore_to_before(viewer_client):
    response = viewer_client.get(reverse("indexes-detail", args=["local", "products"]))
    page = response.content.decode()
    assert "Restore to before…" in text(response)
    assert f'action="{reverse("indexes-restore-before", args=["local", "products"])}"' in page
    assert 'method="get"' in page, "the time form is not a plain GET form that works without JavaScript"


def test_a_typed_time_redirects_to_a_stable_utc_link(viewer_client, emulator):
    second = ready_backups(emulator)[1]
    moment = second.created_at + timedelta(minutes=2)
    response = pick(viewer_client, before=utc_text(moment), tz="utc", offset="")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).query == f"before={moment:%Y-%m-%dT%H:%MZ}", (
        f"the link to share was {response['Location']}"
    )


def test_it_picks_the_last_ready_backup_before_the_time_beside_the_one_before_it(operator_client, emulator):
    newest, second, third = ready_backups(emulator)[:3]
    moment = second.created_at + timedelta(minutes=2)
    response = pick(operator_client, before=moment.strftime("%Y-%m-%dT%H:%MZ"))
    assert response.status_code == 200
    page = text(response)
    chosen_cell = page.split("Backup", 1)[1]
    assert second.short_id in chosen_cell and third.short_id in chosen_cell, (
        "the chosen backup or the one before it is missing"
    )
    assert newest.short_id not in page, "a backup taken after the time was offered"
    assert f"{second.record_count:,}" in page and f"{third.record_count:,}" in page, (
        "record counts are not side by side"
    )
    name = f"products-restore-{second.created_at.astimezone(UTC):%Y%m%d-%H%M}"
    assert name in page, "the suggested index name is missing"
    restore = f"{reverse('backups-restore', args=['local', second.id])}?name={name}"
    assert f'href="{restore}"' in response.content.decode(), "there is no link to the restore form filled in"


def test_the_restore_form_is_filled_in_from_the_link(operator_client, emulator):
    backup = ready_backups(emulator)[0]
    response = operator_client.get(
        reverse("backups-restore", args=["local", backup.id]), {"name": "products-restore-20261125-1430"}
    )
    assert 'value="products-restore-20261125-1430"' in response.content.decode(), "the suggested name was not prefilled"


def test_a_local_time_uses_the_offset_the_browser_sent(viewer_client, emulator):
    second = ready_backups(emulator)[1]
    moment = second.created_at + timedelta(minutes=2)
    local = (moment + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    response = pick(viewer_client, before=local, tz="local", offset="120")
    assert parse_qs(urlsplit(response["Location"]).query)["before"] == [moment.strftime("%Y-%m-%dT%H:%MZ")]


def test_local_time_without_the_browser_s_offset_is_explained(viewer_client):
    response = pick(viewer_client, before="2026-11-25 14:30", tz="local", offset="")
    assert response.status_code == 400
    assert "Your browser did not send its time zone" in text(response)


@pytest.mark.parametrize(
    "typed, says",
    [("half past two", "is not a time restoreui reads"), ("2026-13-01 10:00", "is not a date and time that exists")],
)
def test_a_bad_time_is_explained(viewer_client, typed, says):
    response = pick(viewer_client, before=typed, tz="utc")
    assert response.status_code == 400
    assert says in text(response)


def test_a_future_time_is_explained(viewer_client):
    future = datetime.now(UTC) + timedelta(hours=3)
    response = pick(viewer_client, before=future.strftime("%Y-%m-%d %H:%M"), tz="utc")
    assert response.status_code == 400
    assert "is in the future" in text(response)


def test_a_time_before_every_backup_says_so_and_names_the_oldest(viewer_client, emulator):
    oldest = ready_backups(emulator)[-1]
    moment = oldest.created_at - timedelta(days=1)
    response = pick(viewer_client, before=moment.strftime("%Y-%m-%dT%H:%MZ"))
    assert response.status_code == 200
    page = text(response)
    assert "No Ready backup of products was taken before" in page
    assert oldest.display_name in page, "the oldest Ready backup was not offered"


def test_viewers_see_the_pick_but_no_restore_button(viewer_client, emulator):
    second = ready_backups(emulator)[1]
    response = pick(viewer_client, before=(second.created_at + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%MZ"))
    assert second.short_id in text(response)
    assert reverse("backups-restore", args=["local", second.id]) not in response.content.decode()


def test_a_deleted_index_can_still_be_restored_to_before_a_time(operator_client, emulator):
    assert "legacy-catalog" not in emulator.store.indexes
    newest = ready_backups(emulator, "legacy-catalog")[0]
    response = pick(
        operator_client, "legacy-catalog", before=(newest.created_at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%MZ")
    )
    assert response.status_code == 200
    assert f"legacy-catalog-restore-{newest.created_at.astimezone(UTC):%Y%m%d-%H%M}" in text(response)


def test_pinecone_failing_is_explained_not_a_500(viewer_client, emulator, quick_retries):
    emulator.set_faults(error_rate=1.0)
    response = pick(viewer_client, before="2026-11-01T10:00Z")
    assert response.status_code in (502, 503, 504)
    assert "Pinecone" in text(response)
