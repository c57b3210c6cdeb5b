"""Restore to a point in time: the time an operator types, the backup it picks, the name it suggests."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from restoreui.lib.pointintime import BadMoment, canonical, last_ready_before, parse_moment, restore_name
from restoreui.pinecone import service

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, offset, meant",
    [
        ("2026-11-25 14:30", None, datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("2026-11-25T14:30:15", None, datetime(2026, 11, 25, 14, 30, 15, tzinfo=UTC)),
        ("2026-11-25T14:30Z", 60, datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("2026-11-25 14:30 +01:00", None, datetime(2026, 11, 25, 13, 30, tzinfo=UTC)),
        ("2026-11-25 09:30-0500", None, datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("2026-11-25 15:30", 60, datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("  9:05 ", None, datetime(2026, 11, 25, 9, 5, tzinfo=UTC)),
        # 00:30 at UTC+9 is already the 26th there, so "today" is that day's date.
        ("00:30", 9 * 60, datetime(2026, 11, 25, 15, 30, tzinfo=UTC)),
    ],
)
def test_it_reads_a_24_hour_time_in_utc_or_at_an_offset(text, offset, meant):
    assert parse_moment(text, offset, NOW) == meant


@pytest.mark.parametrize(
    "text, says",
    [
        ("yesterday", "is not a time restoreui reads"),
        ("2:30 pm", "is not a time restoreui reads"),
        ("2026-11-25 24:10", "is not a date and time that exists"),
        ("2026-02-30 10:00", "is not a date and time that exists"),
        ("0001-01-01 00:30 +01:00", "is not a date and time that exists"),
        ("2026-11-25 16:01", "is in the future"),
        ("2026-11-25 10:00 +15:00", "larger than any time zone"),
    ],
)
def test_it_explains_a_time_it_cannot_use(text, says):
    with pytest.raises(BadMoment, match=says):
        parse_moment(text, None, NOW)


def test_the_shared_link_names_the_time_in_utc_minutes():
    assert canonical(datetime(2026, 11, 25, 14, 30, tzinfo=UTC)) == "2026-11-25T14:30Z"
    assert canonical(datetime(2026, 11, 25, 14, 30, 5, tzinfo=UTC)) == "2026-11-25T14:30:05Z"


def backup(id, state="ready", hours_ago=1):
    return SimpleNamespace(id=id, state=state, created_at=NOW - timedelta(hours=hours_ago))


def test_it_picks_the_newest_ready_backup_before_the_time_and_the_one_before_it():
    backups = [
        backup("after", hours_ago=0.5),
        backup("failed", "failed", 2),
        backup("chosen", hours_ago=3),
        backup("building", "initializing", 1.5),
        backup("previous", hours_ago=30),
        backup("old", hours_ago=50),
    ]
    chosen, previous = last_ready_before(backups, NOW - timedelta(hours=1))
    assert (chosen.id, previous.id) == ("chosen", "previous")


def test_it_picks_nothing_when_no_ready_backup_is_older_than_the_time():
    assert last_ready_before([backup("later", hours_ago=1)], NOW - timedelta(hours=2)) == (None, None)
    chosen, previous = last_ready_before([backup("only", hours_ago=5)], NOW)
    assert chosen.id == "only" and previous is None


def test_the_suggested_name_is_the_index_restore_and_the_backup_time():
    assert restore_name("products", datetime(2026, 11, 25, 9, 5, tzinfo=UTC)) == "products-restore-20261125-0905"


def test_a_long_index_name_is_cut_so_the_suggestion_stays_a_valid_index_name():
    name = restore_name("a-very-long-index-name-for-customer-reviews-v2", datetime(2026, 11, 25, 9, 5, tzinfo=UTC))
    assert len(name) <= 45
    assert name.endswith("-restore-20261125-0905")
    assert service.validate_index_name(name) == [], "the suggested name breaks Pinecone's index name rules"
