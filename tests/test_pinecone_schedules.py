"""Backup schedules in the service module: parsing, validation before sending, caching, versions."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from restoreui.pinecone import Backup, InvalidRequest, NotAvailable, Schedule, service


def calls(emulator, endpoint):
    return emulator.calls.get(endpoint, 0)


def test_a_schedule_parses_from_untrusted_values():
    schedule = Schedule.from_api(
        {
            "schedule_id": "s1",
            "enabled": "yes",
            "retention_expire_after_days": -3,
            "frequency": 7,
            "next_scheduled_run": "soon",
        },
        "2026-07",
    )
    assert (schedule.enabled, schedule.retention_days, schedule.next_run) == (False, None, None)
    assert schedule.frequency == "7" and schedule.period is None
    with pytest.raises(ValueError):
        Schedule.from_api({"name": "no id"}, "2026-07")


def test_a_schedule_knows_its_runs_by_name_and_when_they_expire():
    schedule = Schedule.from_api(
        {"schedule_id": "s1", "name": "nightly", "frequency": "daily", "retention_expire_after_days": 30}, "2026-07"
    )
    made = Backup.from_api(
        {"backup_id": "b1", "name": "nightly-20261125T020000Z", "created_at": "2026-11-25T02:00:00Z"}, "2026-07"
    )
    other = Backup.from_api({"backup_id": "b2", "name": "nightly-manual"}, "2026-07")
    assert schedule.made(made) and not schedule.made(other)
    assert schedule.expires(made) == datetime(2026, 12, 25, 2, tzinfo=UTC)
    assert schedule.period == timedelta(days=1)


def test_schedules_are_not_available_before_api_2026_07(project_2026_04):
    with pytest.raises(NotAvailable) as raised:
        service.list_schedules(project_2026_04, "products")
    assert raised.value.explain() == ("Backup schedules are not available on API 2026-04: they came with API 2026-07.")


def test_an_index_schedules_are_cached_for_minutes(emulator, scheduling_project):
    first = service.list_schedules(scheduling_project, "support-tickets").value.items
    service.list_schedules(scheduling_project, "support-tickets")
    assert len(first) == 2
    assert calls(emulator, "GET /indexes/{index_name}/backup-schedules") == 1


@pytest.mark.parametrize(
    "name, frequency, days, message",
    [
        ("Nightly", "daily", 7, "lowercase letters"),
        ("nightly", "hourly", 7, "daily, weekly or monthly"),
        ("nightly", "daily", 0, "1 to 365 days"),
        ("nightly", "daily", 366, "1 to 365 days"),
        ("x" * 46, "daily", 7, "at most 45"),
    ],
)
def test_a_bad_schedule_is_refused_without_an_upstream_call(
    emulator, scheduling_project, name, frequency, days, message
):
    with pytest.raises(InvalidRequest) as raised:
        service.create_schedule(scheduling_project, "docs-embeddings", name, frequency, days)
    assert message in raised.value.message
    assert emulator.stats()["total"] == 0


def test_the_project_maximum_retention_is_its_own(emulator, scheduling_project):
    short = replace(scheduling_project, max_retention_days=30)
    with pytest.raises(InvalidRequest) as raised:
        service.create_schedule(short, "docs-embeddings", "nightly", "daily", 31)
    assert "1 to 30 days" in raised.value.message


def test_a_write_drops_the_cached_schedules(emulator, scheduling_project):
    assert service.list_schedules(scheduling_project, "docs-embeddings").value.items == ()
    created = service.create_schedule(scheduling_project, "docs-embeddings", "nightly", "daily", 7)
    assert [s.id for s in service.list_schedules(scheduling_project, "docs-embeddings").value.items] == [created.id]
    service.update_schedule(scheduling_project, "docs-embeddings", created.id, enabled=False)
    assert service.get_schedule(scheduling_project, created.id).value.enabled is False
    listed = service.list_schedules(scheduling_project, "docs-embeddings").value.items
    assert [s.enabled for s in listed] == [False]
    service.delete_schedule(scheduling_project, "docs-embeddings", created.id)
    assert service.list_schedules(scheduling_project, "docs-embeddings").value.items == ()


def test_a_schedule_history_lists_its_runs_and_the_planned_one(scheduling_project):
    schedule = next(s for s in service.list_schedules(scheduling_project, "products").value.items if s.enabled)
    rows = service.schedule_history(scheduling_project, schedule.id).value.items
    assert all(schedule.made(row) for row in rows)
    assert sum(row.state == "initializing" for row in rows) == 1


def test_a_deleted_index_has_no_schedules_to_list(scheduling_project):
    assert service.index_schedules(scheduling_project, "legacy-catalog") == ()


def test_schedules_fetched_side_by_side_keep_the_page_time_budget(emulator, scheduling_project):
    from restoreui.pinecone import budget

    emulator.set_faults(latency_ms=300)
    with budget.page(0.5):
        found = service.schedules_by_index(scheduling_project, [f"index-{n}" for n in range(40)] + ["products"])
    # 41 calls of 0.3 s, 8 at a time, cannot all fit in half a second: the late ones are unknown.
    assert None in found.values()
