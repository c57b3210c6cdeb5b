"""The coverage computation alone: typed values in, rows out, with the clock given."""

from datetime import UTC, datetime, timedelta

from restoreui import coverage
from restoreui.pinecone import Backup, Index, RestoreJob, Schedule

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def index(name, pod=False):
    return Index.from_api(
        {"name": name, "status": {"ready": True, "state": "Ready"}, "spec": {"pod": {}} if pod else {"serverless": {}}},
        "2026-04",
    )


def backup(index_name, days_ago, status="Ready", name=None):
    created = NOW - timedelta(days=days_ago)
    return Backup.from_api(
        {
            "backup_id": f"{index_name}-{days_ago}-{status}",
            "source_index_name": index_name,
            "status": status,
            "name": name,
            "created_at": created.isoformat(),
        },
        "2026-04",
    )


def run(schedule_name, index_name, days_ago, status="Ready"):
    at = NOW - timedelta(days=days_ago)
    return backup(index_name, days_ago, status, name=f"{schedule_name}-{at:%Y%m%dT%H%M%SZ}")


def schedule(name, frequency="daily", enabled=True, retention=7):
    return Schedule.from_api(
        {
            "schedule_id": name,
            "name": name,
            "frequency": frequency,
            "enabled": enabled,
            "retention_expire_after_days": retention,
            "next_scheduled_run": (NOW + timedelta(hours=3)).isoformat() if enabled else None,
        },
        "2026-07",
    )


def one(indexes, backups, schedules=None):
    return {r.index: r for r in coverage.rows(tuple(indexes), tuple(backups), schedules or {}, NOW)}


def test_an_index_without_a_ready_backup_is_never_backed_up():
    rows = one([index("a")], [backup("a", 1, "InitializationFailed")])
    assert rows["a"].flags == ("never",) and rows["a"].last_ready is None and rows["a"].backups == 1


def test_a_deleted_index_with_backups_left_gets_a_row_and_its_flag():
    rows = one([], [backup("gone", 3), backup("gone", 10)])
    assert rows["gone"].flags == ("deleted",) and not rows["gone"].exists
    assert rows["gone"].oldest_ready == NOW - timedelta(days=10) and rows["gone"].age == timedelta(days=3)


def test_a_pod_index_is_flagged_as_such_not_as_never_backed_up():
    assert one([index("p", pod=True)], [])["p"].flags == ("pod",)


def test_a_daily_schedule_is_late_past_a_day_plus_slack():
    nightly = schedule("nightly")
    on_time = one([index("a")], [run("nightly", "a", 1.2)], {"a": (nightly,)})["a"]
    late = one([index("a")], [run("nightly", "a", 1.3)], {"a": (nightly,)})["a"]
    assert on_time.flags == () and late.flags == ("late",)


def test_a_failed_last_run_is_flagged_even_with_older_ready_backups():
    nightly = schedule("nightly")
    rows = one(
        [index("a")], [run("nightly", "a", 0.5, "InitializationFailed"), run("nightly", "a", 1)], {"a": (nightly,)}
    )
    assert rows["a"].flags == ("failed",) and rows["a"].last_run.state == "failed"


def test_a_disabled_schedule_is_flagged_and_never_late():
    paused = schedule("weekly", "weekly", enabled=False)
    rows = one([index("a")], [run("weekly", "a", 20)], {"a": (paused,)})
    assert rows["a"].flags == ("disabled",) and rows["a"].next_run is None


def test_the_enabled_schedule_is_the_one_shown():
    old, current = schedule("old", enabled=False), schedule("current")
    assert one([index("a")], [backup("a", 0.1)], {"a": (old, current)})["a"].schedule is current


def test_the_timeline_places_backups_and_shades_gaps_longer_than_the_period():
    nightly = schedule("nightly")
    row = one(
        [index("a")],
        [run("nightly", "a", 1), run("nightly", "a", 2), run("nightly", "a", 10), backup("a", 45)],
        {"a": (nightly,)},
    )["a"]
    assert [m.x for m in row.marks] == [round(1 - 1 / 30, 4), round(1 - 2 / 30, 4), round(1 - 10 / 30, 4)]
    assert row.gaps == ((0.0, round(20 / 30, 4)), (round(20 / 30, 4), round(8 / 30, 4)))


def test_rows_filter_by_any_flag_asked_for_and_sort_with_unknowns_last():
    rows = coverage.rows((index("a"), index("b"), index("c")), (backup("a", 5), backup("b", 1)), {}, NOW)
    assert [r.index for r in coverage.select(rows, ["never"])] == ["c"]
    assert [r.index for r in coverage.select(rows, [])] == ["a", "b", "c"]
    assert [r.index for r in coverage.sort(rows, "-age")] == ["a", "b", "c"]
    assert [r.index for r in coverage.sort(rows, "age")] == ["b", "a", "c"]


def test_job_counts_cover_the_last_day_and_the_running_ones():
    def job(hours_ago, status):
        return RestoreJob.from_api(
            {
                "restore_job_id": f"{hours_ago}{status}",
                "status": status,
                "created_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
            },
            "2026-04",
        )

    recent, running = coverage.job_counts((job(1, "Completed"), job(2, "Pending"), job(30, "Failed")), NOW)
    assert recent == {"completed": 1, "pending": 1}
    assert [j.id for j in running] == ["2Pending"]


def test_expiries_name_the_schedule_and_the_day():
    nightly = schedule("nightly", retention=7)
    made = run("nightly", "a", 2)
    assert coverage.expiries([made, backup("a", 1)], {"a": (nightly,)}) == {
        made.id: (nightly, made.created_at + timedelta(days=7))
    }
