"""The words and numbers pages show: sizes, durations, times, percentages and ETAs."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from restoreui.lib import formatting
from restoreui.lib.progress import Estimate, estimate
from restoreui.pinecone import RestoreJob

NOW = datetime(2025, 4, 25, 18, 14, 5, 227526, tzinfo=UTC)


def job(status="InProgress", created=NOW - timedelta(minutes=10), completed=None, percent=None) -> RestoreJob:
    return RestoreJob(
        id="0b5f8b1c-3a57-4a51-9d34-5f6f0c1c9b1e",
        backup_id="backup",
        target_index_name="products-restore-1",
        target_index_id="index",
        status=status,
        created_at=created,
        completed_at=completed,
        percent_complete=percent,
    )


@pytest.mark.parametrize(
    "value, shown",
    [
        (None, "—"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024**2 - 1, "1.0 MiB"),
        (5 * 1024**3 + 1024**3 // 2, "5.5 GiB"),
        (1024**4, "1.0 TiB"),
        (3 * 1024**5, "3072.0 TiB"),
    ],
)
def test_bytes_read_in_binary_units(value, shown):
    assert formatting.bytes_human(value) == shown, f"{value} bytes read as {formatting.bytes_human(value)!r}"


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0, "0 s"),
        (0.6, "0 s"),
        (42, "42 s"),
        (60, "1 min"),
        (185, "3 min 5 s"),
        (3600, "1 h"),
        (3840, "1 h 4 min"),
        (3605, "1 h"),
        (2 * 86400 + 3 * 3600 + 59, "2 d 3 h"),
        (86400 + 5 * 60, "1 d"),
    ],
)
def test_durations_give_the_two_largest_units(seconds, shown):
    assert formatting.duration(timedelta(seconds=seconds)) == shown


def test_an_unknown_or_negative_duration_is_a_dash():
    assert formatting.duration(None) == "—"
    assert formatting.duration(timedelta(seconds=-5)) == "—", "clock skew showed a negative duration"


@pytest.mark.parametrize(
    "offset, shown",
    [
        (timedelta(seconds=3), "just now"),
        (timedelta(seconds=-3), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(days=9, hours=23), "9 d ago"),
        (timedelta(hours=-2), "in 2 h"),
    ],
)
def test_relative_times_give_the_largest_unit(offset, shown):
    assert formatting.relative(NOW - offset, now=NOW) == shown


def test_an_unknown_time_is_a_dash():
    assert formatting.relative(None) == "—"
    assert formatting.utc(None) == "—"


def test_times_are_shown_in_utc_whatever_zone_they_came_in():
    paris = NOW.astimezone(timezone(timedelta(hours=2)))
    assert formatting.utc(paris) == "2025-04-25 18:14:05 UTC"
    assert formatting.utc(paris, seconds=False) == "2025-04-25 18:14 UTC"


def test_exact_times_are_iso_in_utc_with_a_z():
    assert formatting.iso(NOW.astimezone(timezone(timedelta(hours=-7)))) == "2025-04-25T18:14:05.227526Z"


@pytest.mark.parametrize(
    "value, shown",
    [
        (None, "—"),
        (0, "0%"),
        (42.5, "42.5%"),
        (42.0, "42%"),
        (100.0, "100%"),
        (37.54, "37.5%"),
        (7, "7%"),
        (99.96, "99.9%"),
    ],
)
def test_percentages_drop_a_useless_decimal(value, shown):
    assert formatting.percent(value) == shown


def test_numbers_get_thousands_separators():
    assert formatting.number(1234567) == "1,234,567"
    assert formatting.number(None) == "—"


# -- progress and ETA ------------------------------------------------------------


def test_a_running_job_gets_a_rate_and_the_time_left():
    assert estimate(job(percent=25.0), now=NOW) == Estimate(
        elapsed=timedelta(minutes=10), rate_per_minute=2.5, remaining=timedelta(minutes=30)
    ), "a quarter done in ten minutes should leave thirty"


def test_a_job_without_a_percentage_gets_only_its_elapsed_time():
    assert estimate(job(percent=None), now=NOW) == Estimate(timedelta(minutes=10), None, None)
    assert estimate(job(percent=0.0), now=NOW) == Estimate(timedelta(minutes=10), None, None), "0% gave an ETA"


def test_a_finished_job_has_no_time_left():
    done = job(status="Completed", completed=NOW - timedelta(minutes=4), percent=100.0)
    assert estimate(done, now=NOW) == Estimate(timedelta(minutes=6), None, None)
    failed = job(status="Failed", completed=NOW - timedelta(minutes=4), percent=40.0)
    assert estimate(failed, now=NOW).remaining is None, "a failed job was given an ETA"


def test_a_job_without_a_creation_time_gets_no_estimate():
    assert estimate(job(created=None, percent=50.0), now=NOW) == Estimate(None, None, None)


def test_clock_skew_never_gives_a_negative_elapsed_time_or_an_eta():
    ahead = estimate(job(created=NOW + timedelta(seconds=30), percent=10.0), now=NOW)
    assert ahead == Estimate(timedelta(0), None, None)


def test_an_unknown_status_still_running_gets_an_eta():
    paused = estimate(job(status="Paused", percent=50.0), now=NOW)
    assert paused.remaining == timedelta(minutes=10)


def test_a_crawling_job_gets_no_eta_rather_than_an_overflow():
    assert estimate(job(percent=1e-12), now=NOW).remaining is None


def test_a_size_beyond_any_float_shows_a_dash():
    assert formatting.bytes_human(10**400) == "—"


def test_markdown_escape_leaves_no_link_emphasis_or_line_break():
    assert formatting.markdown_escape("a](b) *c* _d_ `e`\nf") == r"a\]\(b\) \*c\* \_d\_ \`e\` f"


@pytest.mark.parametrize(
    "name, length, shown",
    [
        ("products", 28, "products"),
        (None, 10, ""),
        ("customer-reviews-restore-1125-2", 20, "customer-…ore-1125-2"),
        ("legal-contracts-restore-20261125-1430", 24, "legal-contr…0261125-1430"),
        ("abcdef", 5, "ab…ef"),
    ],
)
def test_long_names_are_cut_in_the_middle_so_the_dated_end_shows(name, length, shown):
    assert formatting.cut_middle(name, length) == shown
    assert len(shown) <= length


def test_the_cut_middle_filter_is_what_templates_use():
    from django.template import Context, Template

    rendered = Template("{% load restoreui %}{{ name|cut_middle:20 }}").render(
        Context({"name": "customer-reviews-restore-1125-2"})
    )
    assert rendered == "customer-…ore-1125-2"


def test_a_table_timestamp_can_leave_out_the_zone_and_a_date_the_row_already_gives():
    from django.template import Context, Template

    template = Template(
        "{% load restoreui %}{% timestamp done relative=False seconds=False zone=False same_day_as=start %}"
    )
    start = datetime(2026, 11, 25, 13, 52, tzinfo=UTC)
    same_day = template.render(Context({"done": start + timedelta(minutes=2), "start": start}))
    next_day = template.render(Context({"done": start + timedelta(hours=12), "start": start}))
    assert 'aria-hidden="true">13:54</span>' in same_day and 'datetime="2026-11-25T13:54:00Z"' in same_day
    assert 'aria-hidden="true">2026-11-26 01:52</span>' in next_day
    # The exact time is on hover for the eye; a screen reader hears the cell's time once, without it.
    assert 'title="2026-11-25T13:54:00Z" aria-hidden="true"' in same_day
    assert '<span class="visually-hidden">13:54</span>' in same_day


def test_a_short_name_is_plain_and_a_cut_one_is_read_whole_once():
    from django.template import Context, Template

    template = Template("{% load restoreui %}{% short name 12 tip=tip %}")
    assert template.render(Context({"name": "products"})) == "products"
    cut = template.render(Context({"name": "products-restore-1125"}))
    assert 'title="products-restore-1125" aria-hidden="true">produ…e-1125</span>' in cut
    assert '<span class="visually-hidden">products-restore-1125</span>' in cut
    with_tip = template.render(Context({"name": "9f3a2b1c", "tip": "9f3a2b1c-0000-4000-8000-000000000000"}))
    assert 'title="9f3a2b1c-0000-4000-8000-000000000000" aria-hidden="true">9f3a2b1c</span>' in with_tip
    assert '<span class="visually-hidden">9f3a2b1c</span>' in with_tip


def test_an_expiry_reads_as_a_day_and_the_days_left():
    from datetime import UTC, datetime

    from restoreui.lib.formatting import expires

    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert expires(datetime(2026, 12, 24, 13, tzinfo=UTC), now) == "expires 2026-12-24, in 29 days"
    assert expires(datetime(2026, 11, 25, 17, tzinfo=UTC), now) == "expires 2026-11-25, in 5 h"
    assert expires(datetime(2026, 11, 24, tzinfo=UTC), now) == "expired 2026-11-24, due for deletion"
    assert expires(None, now) == "—"


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(seconds=59), "under 1 min"),
        (timedelta(seconds=1), "under 1 min"),
        (timedelta(seconds=90), "about 2 min"),
        (timedelta(minutes=25, seconds=10), "about 25 min"),
        (None, "—"),
    ],
)
def test_an_estimated_time_left_counts_no_seconds(left, shown):
    assert formatting.approx(left) == shown
    assert formatting.approx(timedelta(minutes=3), "~") == "~3 min"
