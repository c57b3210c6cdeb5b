"""What to expect of a running restore, learned from plain (backup size, seconds) pairs."""

from datetime import UTC, datetime, timedelta

from restoreui.lib import formatting
from restoreui.lib.progress import Estimate, Expected, estimate, expected_duration
from restoreui.pinecone import RestoreJob

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
GB = 10**9
MIN = 60


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def job(running_for=minutes(4), percent=None, status="Pending") -> RestoreJob:
    return RestoreJob(
        id="0b5f8b1c-3a57-4a51-9d34-5f6f0c1c9b1e",
        backup_id="backup",
        target_index_name="products-restore-1",
        target_index_id="index",
        status=status,
        created_at=None if running_for is None else NOW - running_for,
        completed_at=None,
        percent_complete=percent,
    )


# Eleven restores of 1 GB backups that took 5, 6, ... 15 minutes.
ONE_GB = [(GB, m * MIN) for m in range(5, 16)]


# -- the expected duration ---------------------------------------------------------


def test_restores_of_backups_this_size_give_a_range_and_a_median():
    assert expected_duration(ONE_GB, GB) == Expected(11, True, minutes(6), minutes(10), minutes(14)), (
        "the 10th percentile, median and 90th percentile of 5..15 min should be 6, 10 and 14 min"
    )


def test_only_backups_within_a_factor_of_two_count_as_this_size():
    others = [(GB // 3, 1 * MIN)] * 20 + [(3 * GB, 90 * MIN)] * 20
    assert expected_duration(ONE_GB + others, GB) == expected_duration(ONE_GB, GB), (
        "restores of backups a third or three times the size moved the estimate"
    )
    edges = [(GB // 2, 10 * MIN), (2 * GB, 10 * MIN)]
    assert expected_duration(ONE_GB + edges, GB).sample == 13, "half and twice the size should still count"


def test_a_few_stuck_restores_do_not_move_the_median():
    stuck = [(GB, 600 * MIN)] * 2
    assert expected_duration(ONE_GB + stuck, GB).median == minutes(11)


def test_below_five_comparable_restores_there_is_too_little_history():
    thin = expected_duration(ONE_GB[:4] + [(50 * GB, 60 * MIN)] * 30, GB)
    assert thin == Expected(4, True), "four restores of this size were treated as enough"
    assert not thin.enough
    assert expected_duration(ONE_GB[:5], GB).enough, "five restores of this size should be enough"
    assert expected_duration([], GB) == Expected(0, True)


def test_a_backup_of_unknown_size_is_compared_with_every_restore():
    mixed = ONE_GB + [(None, 20 * MIN)] * 3 + [(5 * GB, 40 * MIN)] * 3
    expected = expected_duration(mixed, None)
    assert expected.sample == 17 and expected.by_size is False


def test_restores_of_unknown_size_do_not_count_for_a_known_size():
    assert expected_duration([(None, 5 * MIN)] * 10, GB) == Expected(0, True)


def test_an_empty_backup_compares_with_empty_backups_only():
    assert expected_duration([(0, 30)] * 5 + ONE_GB, 0).median == timedelta(seconds=30)


def test_negative_durations_from_bad_timestamps_are_left_out():
    assert expected_duration(ONE_GB + [(GB, -600)] * 20, GB).sample == 11


# -- the estimate of a running job -------------------------------------------------


def test_a_job_without_a_percentage_gets_the_time_left_to_the_median():
    result = estimate(job(running_for=minutes(4)), expected_duration(ONE_GB, GB), now=NOW)
    assert result.elapsed == minutes(4)
    assert result.remaining == minutes(6), "four minutes into a ten-minute median should leave six"
    assert result.finish_at == NOW + minutes(6)
    assert result.rate_per_minute is None and not result.overdue


def test_past_the_median_there_is_no_time_left_but_the_median_it_passed():
    result = estimate(job(running_for=minutes(12)), expected_duration(ONE_GB, GB), now=NOW)
    assert result.remaining is None and result.finish_at == NOW - minutes(2)
    assert result.expected.median == minutes(10), "the page could not say which median the job is past"
    assert not result.overdue


def test_a_job_longer_than_90_percent_of_comparable_restores_is_overdue():
    expected = expected_duration(ONE_GB, GB)
    assert not estimate(job(running_for=minutes(14)), expected, now=NOW).overdue, "exactly the 90th percentile"
    assert estimate(job(running_for=minutes(14.5)), expected, now=NOW).overdue


def test_too_little_history_gives_only_the_elapsed_time():
    thin = expected_duration(ONE_GB[:2], GB)
    assert estimate(job(), thin, now=NOW) == Estimate(minutes(4), None, None, thin)


def test_a_percentage_keeps_the_rate_and_eta_and_ignores_history():
    result = estimate(job(percent=50.0, status="InProgress"), expected_duration(ONE_GB, GB), now=NOW)
    assert result == Estimate(minutes(4), 12.5, minutes(4)), "a reported percentage lost its own ETA"


def test_a_running_job_without_a_start_time_keeps_its_expected_duration_but_no_time_left():
    expected = expected_duration(ONE_GB, GB)
    assert estimate(job(running_for=None), expected, now=NOW) == Estimate(None, None, None, expected)


# -- how it reads ------------------------------------------------------------------


def test_the_expectation_reads_as_a_sentence():
    assert formatting.expectation(expected_duration(ONE_GB, GB)) == (
        "Restores of backups this size took 6 to 14 min here, median 10 min, from 11 restores."
    )
    assert formatting.expectation(Expected(2, True)) == (
        "Too little history to estimate: 2 completed restores of comparable size."
    )
    assert formatting.expectation(Expected(1, False)) == "Too little history to estimate: 1 completed restore here."
    assert formatting.expectation(Expected(0, True)).endswith(": no completed restores of comparable size.")
    assert formatting.expectation(expected_duration(ONE_GB, None)).startswith("Restores here took 6 to 14 min")
    assert "could not be read" in formatting.expectation(None)


def test_the_running_note_gives_elapsed_and_expected_time_in_a_line():
    expected = expected_duration(ONE_GB, GB)
    note = formatting.running_note(estimate(job(running_for=minutes(4)), expected, now=NOW))
    assert note == "running 4 min, restores this size take 6 to 14 min (median 10 min)"
    late = formatting.running_note(estimate(job(running_for=minutes(20)), expected, now=NOW))
    assert late.endswith(", longer than 90% of them")
    thin = formatting.running_note(estimate(job(), Expected(1, True), now=NOW))
    assert thin == "running 4 min, too little history to estimate"
    assert formatting.running_note(estimate(job(running_for=None), expected, now=NOW)) == ""


def test_rough_durations_round_to_the_minute_and_ranges_share_a_unit():
    assert formatting.rough(timedelta(seconds=40)) == "40 s"
    assert formatting.rough(timedelta(minutes=10, seconds=40)) == "11 min"
    assert formatting.rough(timedelta(hours=1, minutes=4, seconds=50)) == "1 h 5 min"
    assert formatting.span(minutes(6), minutes(18)) == "6 to 18 min"
    assert formatting.span(timedelta(seconds=40), minutes(2)) == "40 s to 2 min"
    assert formatting.span(minutes(45), minutes(90)) == "45 min to 1 h 30 min"
    assert formatting.span(minutes(6), minutes(6.2)) == "6 min"


def test_a_live_page_says_under_a_minute_instead_of_counting_seconds():
    assert formatting.elapsed(timedelta(seconds=12)) == "under 1 min"
    assert formatting.elapsed(timedelta(seconds=59)) == "under 1 min"
    assert formatting.elapsed(timedelta(minutes=10, seconds=40)) == "11 min"
    assert formatting.elapsed(None) == formatting.DASH
