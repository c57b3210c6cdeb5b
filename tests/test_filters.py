"""Narrowing, sorting and paging the tables, and what a bad query string does (never a 500)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.urls import reverse
from pages import text

from restoreui.filters import BackupFilterForm, JobFilterForm
from restoreui.pinecone import Backup, RestoreJob

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 4, 25, 12, 0, tzinfo=UTC)


def job(n, status="Completed", created=0, ran=None) -> RestoreJob:
    """Job N, created CREATED minutes after T0 (None: unknown), finished after RAN minutes."""
    created_at = None if created is None else T0 + timedelta(minutes=created)
    completed_at = None if ran is None else (created_at or T0) + timedelta(minutes=ran)
    return RestoreJob(f"job-{n}", "backup", f"index-{n}", "id", status, created_at, completed_at, None)


def backup(n, name=None, created=0, size=None, records=None, status="Ready") -> Backup:
    return Backup(
        id=f"backup-{n}",
        name=name,
        description=None,
        status=status,
        source_index_name="products",
        source_index_id="id",
        source_index_deleted_at=None,
        cloud="aws",
        region="us-east-1",
        dimension=8,
        metric="cosine",
        record_count=records,
        namespace_count=1,
        size_bytes=size,
        tags={},
        created_at=None if created is None else T0 + timedelta(minutes=created),
        schema_fields=(),
    )


def ids(items):
    return [i.id for i in items]


JOBS = [
    job(1, "Completed", created=10, ran=5),
    job(2, "Failed", created=20, ran=30),
    job(3, "InProgress", created=30),
    job(4, "Completed", created=None, ran=5),
    job(5, "Cancelled", created=40, ran=1),
    job(6, "Completed", created=50, ran=5),
    job(7, "Paused", created=60),
]

BACKUPS = [
    backup(1, "alpha", created=10, size=300, records=30),
    backup(2, "Bravo", created=20, size=None, records=None, status="Initializing"),
    backup(3, None, created=30, size=100, records=10),
    backup(4, "charlie", created=None, size=100, records=10),
    backup(5, "delta", created=50, size=200, records=20, status="InitializationFailed"),
]


def sort_jobs(sort, **query):
    return ids(JobFilterForm({"sort": sort, **query}).apply(JOBS, {}, {}))


def sort_backups(sort):
    return ids(BackupFilterForm({"sort": sort}).apply(BACKUPS))


# -- sorting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-created", ["job-7", "job-6", "job-5", "job-3", "job-2", "job-1", "job-4"]),
        ("created", ["job-1", "job-2", "job-3", "job-5", "job-6", "job-7", "job-4"]),
        # job-4 has no creation time, so it counts as oldest wherever completion ties.
        ("-completed", ["job-6", "job-2", "job-5", "job-1", "job-4", "job-7", "job-3"]),
        ("completed", ["job-4", "job-1", "job-5", "job-2", "job-6", "job-7", "job-3"]),
        ("-duration", ["job-2", "job-6", "job-1", "job-5", "job-7", "job-3", "job-4"]),
        ("duration", ["job-5", "job-6", "job-1", "job-2", "job-7", "job-3", "job-4"]),
        ("status", ["job-5", "job-6", "job-1", "job-4", "job-2", "job-3", "job-7"]),
        ("-status", ["job-7", "job-3", "job-2", "job-6", "job-1", "job-4", "job-5"]),
    ],
)
def test_jobs_sort_on_every_key_both_ways_with_missing_values_last(sort, expected):
    assert sort_jobs(sort) == expected, f"sorted by {sort}"


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-created", ["backup-5", "backup-3", "backup-2", "backup-1", "backup-4"]),
        ("created", ["backup-1", "backup-2", "backup-3", "backup-5", "backup-4"]),
        # Nameless backups sort by their id, and case does not matter.
        ("name", ["backup-1", "backup-3", "backup-2", "backup-4", "backup-5"]),
        ("-name", ["backup-5", "backup-4", "backup-2", "backup-3", "backup-1"]),
        ("size", ["backup-3", "backup-4", "backup-5", "backup-1", "backup-2"]),
        ("-size", ["backup-1", "backup-5", "backup-3", "backup-4", "backup-2"]),
        ("records", ["backup-3", "backup-4", "backup-5", "backup-1", "backup-2"]),
        ("-records", ["backup-1", "backup-5", "backup-3", "backup-4", "backup-2"]),
        ("status", ["backup-5", "backup-2", "backup-3", "backup-1", "backup-4"]),
        ("-status", ["backup-3", "backup-1", "backup-4", "backup-2", "backup-5"]),
    ],
)
def test_backups_sort_on_every_key_both_ways_with_missing_values_last(sort, expected):
    assert sort_backups(sort) == expected, f"sorted by {sort}"


def test_ties_keep_the_newest_first_whichever_way_the_table_is_sorted():
    same = [job(n, "Completed", created=n, ran=5) for n in (3, 1, 2)]
    for sort in ("duration", "-duration", "status", "-status"):
        assert ids(JobFilterForm({"sort": sort}).apply(same, {}, {})) == ["job-3", "job-2", "job-1"], sort


def test_the_sorted_header_links_to_the_other_direction():
    headers = JobFilterForm({"sort": "-duration"}).sort_headers()
    assert headers["duration"] == {"link": "duration", "aria": "descending"}
    assert headers["created"] == {"link": "-created", "aria": None}, (
        "an unsorted date column did not start newest first"
    )
    assert headers["status"] == {"link": "status", "aria": None}, "an unsorted status column did not start A-Z"
    assert JobFilterForm({"sort": "status"}).sort_headers()["status"] == {"link": "-status", "aria": "ascending"}


# -- filtering -------------------------------------------------------------------


def test_it_keeps_the_jobs_in_any_of_several_states():
    assert set(sort_jobs("-created", status=["failed", "cancelled"])) == {"job-2", "job-5"}
    assert sort_jobs("-created", status=["running", "unknown"]) == ["job-7", "job-3"]


def test_since_leaves_out_jobs_without_a_creation_time():
    recent = job(8, created=None)
    form = JobFilterForm({"since": "7d"})
    now_job = RestoreJob("job-now", "b", "i", "id", "Pending", datetime.now(UTC), None, None)
    assert ids(form.apply([recent, now_job, *JOBS], {}, {})) == ["job-now"]


def test_free_text_matches_backup_names_case_blind():
    assert sort_jobs("-created", q="  INDEX-5 ") == ["job-5"]
    assert ids(JobFilterForm({"q": "Nightly"}).apply(JOBS[:2], {"backup": "products-nightly"}, {})) == [
        "job-2",
        "job-1",
    ]


# -- bad values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"page": "10000000"}, "page"),
        ({"size": "7"}, "size"),
        ({"size": "lots"}, "size"),
        ({"sort": "-name"}, "sort"),
        ({"sort": "created; drop table"}, "sort"),
        ({"status": ["failed", "exploded"]}, "status"),
        ({"since": "2y"}, "since"),
    ],
)
def test_a_bad_value_falls_back_to_the_default_with_an_error(query, field):
    form = JobFilterForm(query)
    page = form.paginate(form.apply(JOBS, {}, {}))
    assert field in form.errors, f"{query} was ignored without saying so"
    assert page.number == 1 and page.paginator.per_page == 25
    assert ids(page) == sort_jobs("-created"), f"{query} did not fall back to every job, newest first"


def test_a_page_past_the_end_is_the_last_page():
    form = JobFilterForm({"page": "9", "size": "25"})
    assert form.paginate(list(range(60))).number == 3
    assert not form.errors


def test_no_query_at_all_is_no_error():
    form = JobFilterForm({})
    assert form.value("sort") == "-created" and form.value("size") == 25 and form.value("page") == 1
    assert not form.errors


@pytest.mark.parametrize("name", ["jobs-list", "backups-list"])
def test_a_bad_query_string_shows_the_table_and_says_what_was_ignored(viewer_client, name):
    query = {"page": "x", "size": "999", "sort": "sideways", "status": "exploded", "since": "forever", "q": "q" * 201}
    response = viewer_client.get(reverse(name, args=["local"]), query)
    page = text(response)
    assert response.status_code == 200, f"a bad query string answered {response.status_code}"
    assert page.count("(ignored)") == 6, "the page did not say which filters it ignored"
    assert "showing 1–25" in page, "the table did not fall back to its first page"


def test_a_bad_query_string_still_exports(viewer_client):
    response = viewer_client.get(reverse("jobs-export", args=["local", "json"]), {"sort": "sideways", "page": "-1"})
    assert response.status_code == 200


def test_an_unknown_export_format_is_not_found(viewer_client):
    assert viewer_client.get("/p/local/jobs/export.xlsx", follow=True).status_code == 404


def test_created_before_finds_the_last_backup_taken_before_an_incident(viewer_client):
    response = viewer_client.get("/p/local/backups/", {"before": "2000-01-01T00:00"})
    assert "No backups match these filters" in response.content.decode(), "backups from after the cut-off were listed"
    everything = viewer_client.get("/p/local/backups/", {"before": "2999-01-01T00:00"}).content.decode()
    assert "No backups match" not in everything, "a cut-off in the future hid backups"


def test_a_malformed_created_before_is_ignored_with_a_message(viewer_client):
    response = viewer_client.get("/p/local/jobs/", {"before": "yesterday-ish"})
    assert response.status_code == 200
    assert "Created before (UTC)" in response.content.decode() and "(ignored)" in response.content.decode()


def test_the_target_index_filter_matches_part_of_a_name():
    jobs = [job(1), job(12), job(3)]
    assert ids(JobFilterForm({"index": "INDEX-1"}).apply(jobs, {}, {})) == ["job-1", "job-12"], (
        "a partial target name found nothing"
    )


def test_the_source_index_filter_matches_part_of_the_backup_s_source_index():
    jobs = [RestoreJob(f"job-{n}", f"backup-{n}", "t", "id", "Completed", T0, None, None) for n in (1, 2, 3)]
    sources = {"backup-1": "products", "backup-2": "product-search-v2", "backup-3": "articles"}
    assert ids(JobFilterForm({"source": "product"}).apply(jobs, {}, sources)) == ["job-1", "job-2"]
    assert ids(JobFilterForm({"source": "articles"}).apply(jobs, {}, sources)) == ["job-3"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, 0),
        ({"sort": "-duration", "size": "50", "page": "2"}, 0),
        ({"status": ["failed", "cancelled"]}, 1),
        ({"status": ["failed"], "since": "7d", "q": "prod", "backup": "b-1"}, 4),
        ({"index": "", "since": "bogus"}, 0),
    ],
)
def test_the_job_filters_count_what_narrows_the_table_not_sort_or_paging(query, expected):
    assert JobFilterForm(query).filters_set() == expected


def test_the_backup_filters_count_expiry_and_source_index():
    assert BackupFilterForm({"index": "products", "expires": "7", "sort": "name"}).filters_set() == 2


@pytest.mark.parametrize("name", ["jobs-list", "backups-list"])
def test_the_filter_toggle_shows_how_many_filters_are_set_and_opens_when_some_are(viewer_client, name):
    html = viewer_client.get(
        reverse(name, args=["local"]), {"status": "failed", "since": "7d", "sort": "-created"}
    ).content.decode()
    kind = name.split("-")[0]
    assert f'<summary>Filters (<span id="{kind}-filters-set">2</span>)</summary>' in html
    assert '<details class="filters-toggle" data-wide-open open>' in html
    plain = viewer_client.get(reverse(name, args=["local"])).content.decode()
    assert f'<span id="{kind}-filters-set">0</span>' in plain
    assert '<details class="filters-toggle" data-wide-open>' in plain, "with nothing set, phones start folded"


@pytest.mark.parametrize("name", ["jobs-list", "backups-list"])
def test_an_htmx_filter_change_updates_the_count_out_of_band(viewer_client, name):
    kind = name.split("-")[0]
    response = viewer_client.get(reverse(name, args=["local"]), {"q": "x"}, headers={"HX-Request": "true"})
    assert f'<span id="{kind}-filters-set" hx-swap-oob="true">1</span>' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": ["failed", "running"], "since": "7d", "sort": "status", "size": "50", "before": "2025-04-20T10:00"},
        {"status": ["bogus"], "since": "x", "sort": "<b>", "size": "7", "before": "not a time"},
    ],
)
@pytest.mark.parametrize("form_class", [JobFilterForm, BackupFilterForm])
def test_remembered_widgets_are_the_ones_django_draws(form_class, query):
    data = QueryDict(mutable=True)
    for name, value in query.items():
        data.setlist(name, value if isinstance(value, list) else [value])

    def drawn(renderer=None):
        form = form_class(data, renderer=renderer)
        return [str(form[name]) for name in form.fields] + [str(c.tag()) for c in form["status"]]

    assert drawn() == drawn(DjangoTemplates()) == drawn()
