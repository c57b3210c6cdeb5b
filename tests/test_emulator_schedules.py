"""Backup schedules in the emulator, over raw HTTP: versions, rules, runs and retention."""

import pytest
import requests

from tests.conftest import LIMITED_API_KEY
from tests.test_emulator import assert_envelope, call

V = "2026-07"


def schedules_of(server, index):
    return call(server, "GET", f"/indexes/{index}/backup-schedules", version=V).json()["data"]


def enabled_schedule(server, index):
    return next(s for s in schedules_of(server, index) if s["enabled"])


def history(server, schedule_id):
    return call(server, "GET", f"/backup-schedules/{schedule_id}/history", version=V).json()["data"]


def new_schedule(**changes):
    return {
        "name": "nightly",
        "schedule": {"type": "time-based", "frequency": "daily"},
        "retention": {"expire_after_days": 7},
        **changes,
    }


@pytest.mark.parametrize("version", ["2025-04", "2025-10", "2026-04"])
def test_versions_before_2026_07_have_no_schedule_endpoints(emulator, version):
    schedule_id = enabled_schedule(emulator, "products")["schedule_id"]
    for method, path in (
        ("GET", "/indexes/products/backup-schedules"),
        ("GET", f"/backup-schedules/{schedule_id}"),
        ("GET", f"/backup-schedules/{schedule_id}/history"),
    ):
        response = call(emulator, method, path, version=version)
        assert_envelope(response, 404, "NOT_FOUND")
        assert "No such endpoint" in response.json()["error"]["message"]


def test_a_schedule_has_the_fields_the_sdk_reads(emulator):
    schedule = enabled_schedule(emulator, "products")
    assert set(schedule) == {
        "schedule_id",
        "name",
        "index_id",
        "project_id",
        "schedule_type",
        "frequency",
        "retention_expire_after_days",
        "enabled",
        "created_at",
        "next_scheduled_run",
    }
    assert schedule["schedule_type"] == "time-based" and schedule["frequency"] == "daily"


def test_a_second_enabled_schedule_on_an_index_is_a_conflict(emulator):
    response = call(emulator, "POST", "/indexes/products/backup-schedules", version=V, json=new_schedule())
    assert_envelope(response, 409, "ALREADY_EXISTS")


def test_re_enabling_beside_an_enabled_schedule_is_a_conflict(emulator):
    old = next(s for s in schedules_of(emulator, "support-tickets") if not s["enabled"])
    response = call(emulator, "PATCH", f"/backup-schedules/{old['schedule_id']}", version=V, json={"enabled": True})
    assert_envelope(response, 409, "ALREADY_EXISTS")


@pytest.mark.parametrize(
    "body, status",
    [
        (new_schedule(schedule={"type": "time-based", "frequency": "hourly"}), 400),
        (new_schedule(schedule={"type": "cron", "frequency": "daily"}), 400),
        (new_schedule(retention={"expire_after_days": 0}), 400),
        (new_schedule(retention={"expire_after_days": 366}), 400),
        (new_schedule(name="Nightly Backups"), 400),
        (new_schedule(cron="0 2 * * *"), 422),
        ({"name": "nightly"}, 422),
    ],
)
def test_a_bad_schedule_is_refused(emulator, body, status):
    response = call(emulator, "POST", "/indexes/docs-embeddings/backup-schedules", version=V, json=body)
    assert response.status_code == status
    assert schedules_of(emulator, "docs-embeddings") == []


def test_a_pod_index_cannot_be_scheduled_or_backed_up(emulator):
    response = call(emulator, "POST", "/indexes/pod-archive/backup-schedules", version=V, json=new_schedule())
    assert_envelope(response, 400, "INVALID_ARGUMENT")
    assert_envelope(call(emulator, "POST", "/indexes/pod-archive/backups", json={}), 400, "INVALID_ARGUMENT")


def test_the_plan_gate_and_a_limited_key_are_refused_with_their_403s(emulator):
    limited = call(emulator, "GET", "/indexes/products/backup-schedules", version=V, key=LIMITED_API_KEY)
    assert_envelope(limited, 403, "PERMISSION_DENIED")
    emulator.set_behaviour(plan_gate=True)
    gated = call(emulator, "GET", "/indexes/products/backup-schedules", version=V)
    assert_envelope(gated, 403, "FORBIDDEN")
    assert "plan" in gated.json()["error"]["message"]


def test_disabling_clears_the_next_run_and_the_planned_row(emulator):
    schedule = enabled_schedule(emulator, "articles")
    answer = call(
        emulator, "PATCH", f"/backup-schedules/{schedule['schedule_id']}", version=V, json={"enabled": False}
    ).json()
    assert answer["enabled"] is False and answer["next_scheduled_run"] is None
    assert all(row["status"] != "Initializing" for row in history(emulator, schedule["schedule_id"]))


def test_a_run_comes_on_the_clock_and_retention_deletes_what_expired(emulator):
    schedule = enabled_schedule(emulator, "products")
    planned = history(emulator, schedule["schedule_id"])[0]
    assert planned["status"] == "Initializing"
    before = {b["backup_id"] for b in history(emulator, schedule["schedule_id"])[1:]}
    emulator.advance_clock(24 * 3600)
    rows = history(emulator, schedule["schedule_id"])
    ran = call(emulator, "GET", f"/backups/{planned['backup_id']}", version=V).json()
    assert ran["name"] == planned["name"] and ran["status"] == "Ready"
    assert rows[0]["status"] == "Initializing" and rows[0]["backup_id"] not in before
    # Seven days of retention: the run eight days back is gone.
    assert len(before - {r["backup_id"] for r in rows}) == 1


def test_a_shorter_retention_deletes_older_backups_at_once(emulator):
    schedule = enabled_schedule(emulator, "articles")
    assert len(history(emulator, schedule["schedule_id"])) > 3
    call(
        emulator,
        "PATCH",
        f"/backup-schedules/{schedule['schedule_id']}",
        version=V,
        json={"retention": {"expire_after_days": 1}},
    )
    assert [r["status"] for r in history(emulator, schedule["schedule_id"])] == ["Initializing"]


def test_deleting_a_schedule_keeps_its_backups(emulator):
    schedule = enabled_schedule(emulator, "legal-contracts")
    made = {r["backup_id"] for r in history(emulator, schedule["schedule_id"])[1:]}
    assert call(emulator, "DELETE", f"/backup-schedules/{schedule['schedule_id']}", version=V).status_code == 202
    assert_envelope(call(emulator, "GET", f"/backup-schedules/{schedule['schedule_id']}", version=V), 404, "NOT_FOUND")
    for backup_id in made:
        assert call(emulator, "GET", f"/backups/{backup_id}", version=V).status_code == 200


def test_the_clock_control_endpoint_refuses_going_back(emulator):
    assert requests.post(emulator.url + "/_emulator/clock", json={"advance": -5}).status_code == 400
    assert requests.post(emulator.url + "/_emulator/clock", json={"advance": 60}).status_code == 200
