"""Parsing what Pinecone sends, quirks included, into the dashboard's typed objects."""

from datetime import UTC, datetime, timedelta

import pytest

from restoreui.pinecone.models import Backup, Fetched, Index, RestoreJob, RestoreStarted, SchemaField

JOB = {
    "restore_job_id": "4d1c3e6a-7c1f-4b8e-9a57-1f0f1f0f1f0f",
    "backup_id": "bkp-1",
    "target_index_name": "movies-restored",
    "target_index_id": "idx-9",
    "status": "Completed",
    "created_at": "2025-04-25T18:14:05.227526Z",
    "completed_at": "2025-04-25T18:20:05.227526+00:00",
    "percent_complete": 100.0,
}

BACKUP = {
    "backup_id": "bkp-1",
    "source_index_name": "movies",
    "source_index_id": "idx-1",
    "status": "Ready",
    "cloud": "aws",
    "region": "us-east-1",
}

# One backup of the same index as each API version spells it.
BACKUP_2025_04 = {**BACKUP, "dimension": 1536, "record_count": 120000, "tags": {"env": "prod"}}
BACKUP_2025_10 = {
    **BACKUP_2025_04,
    "metric": "cosine",
    "schema": {"fields": {"genre": {"filterable": True}, "year": {"filterable": True}}},
}
BACKUP_2026_07 = {
    **BACKUP,
    "record_count": 120000,
    "tags": {"env": "prod"},
    "schema": {
        "fields": {
            "embedding": {"type": "dense_vector", "dimension": 1536, "metric": "cosine"},
            "keywords": {"type": "sparse_vector"},
            "title": {"type": "string", "filterable": True},
            "year": {"type": "integer", "filterable": True},
            "rating": {"type": "float"},
            "in_stock": {"type": "boolean", "filterable": False},
            "labels": {"type": "string_list", "filterable": True},
            "genre": {"filterable": True},
        }
    },
}


def job(**changes) -> RestoreJob:
    return RestoreJob.from_api({**JOB, **changes}, "2026-04")


def backup(version="2026-04", **changes) -> Backup:
    return Backup.from_api({**BACKUP, **changes}, version)


def test_a_restore_job_reads_every_field():
    j = RestoreJob.from_api(JOB, "2025-04")
    assert (j.id, j.backup_id, j.target_index_name, j.target_index_id) == (
        "4d1c3e6a-7c1f-4b8e-9a57-1f0f1f0f1f0f",
        "bkp-1",
        "movies-restored",
        "idx-9",
    )
    assert j.created_at == datetime(2025, 4, 25, 18, 14, 5, 227526, tzinfo=UTC)
    assert j.duration == timedelta(minutes=6), "the job page would show a wrong duration"
    assert j.short_id == "4d1c3e6a"
    assert j.percent_complete == 100.0


def test_both_timestamp_spellings_mean_the_same_instant():
    z = job(created_at="2025-04-25T18:14:05.227526Z").created_at
    offset = job(created_at="2025-04-25T18:14:05.227526+00:00").created_at
    assert z == offset and z.tzinfo is not None, "two jobs started together would show different times"


@pytest.mark.parametrize("value", [None, "", "yesterday", 1714000000, "2025-13-45T99:00:00Z"])
def test_an_unreadable_or_null_timestamp_becomes_none(value):
    assert job(created_at=value).created_at is None, f"created_at={value!r} would crash the jobs page"


def test_a_job_without_created_at_or_completed_at_still_parses():
    data = {k: v for k, v in JOB.items() if k not in ("created_at", "completed_at", "percent_complete")}
    j = RestoreJob.from_api(data, "2026-07")
    assert j.created_at is None and j.completed_at is None and j.percent_complete is None
    assert j.duration is None, "a job with no start time would show a made-up duration"


@pytest.mark.parametrize(
    ("status", "state", "finished"),
    [
        ("Pending", "pending", False),
        ("InProgress", "running", False),
        ("Running", "running", False),
        ("Completed", "completed", True),
        ("completed", "completed", True),
        ("FAILED", "failed", True),
        ("Cancelled", "cancelled", True),
        ("Restoring", "unknown", False),
    ],
)
def test_job_statuses_map_to_states_and_unknown_ones_are_unfinished(status, state, finished):
    j = job(status=status)
    assert j.status == status, "the status must be shown as Pinecone sent it"
    assert j.state == state
    assert j.finished is finished, f"a {status} job would {'keep' if finished else 'stop'} polling"


def test_a_missing_status_is_unknown_not_a_crash():
    j = RestoreJob.from_api({"restore_job_id": "j1"}, "2026-04")
    assert (j.status, j.state, j.finished) == ("Unknown", "unknown", False)
    assert j.backup_id == "" and j.target_index_name == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("42.5", 42.5), (42, 42.0), (True, None), ("lots", None), ("NaN", None), ([1], None)],
)
def test_percent_complete_tolerates_odd_values(value, expected):
    assert job(percent_complete=value).percent_complete == expected, f"{value!r} would break the progress bar"


@pytest.mark.parametrize("data", [None, [], "job", {"status": "Pending"}, {"restore_job_id": 7}])
def test_a_job_without_an_id_is_refused(data):
    with pytest.raises(ValueError):
        RestoreJob.from_api(data, "2026-04")


def test_backup_2025_04_has_dimension_but_no_metric_or_schema():
    b = Backup.from_api(BACKUP_2025_04, "2025-04")
    assert (b.dimension, b.metric, b.schema_fields) == (1536, None, ())
    assert b.tags == {"env": "prod"}


def test_backup_2025_10_has_top_level_shape_and_filterable_fields():
    b = Backup.from_api(BACKUP_2025_10, "2025-10")
    assert (b.dimension, b.metric) == (1536, "cosine")
    assert b.schema_fields == (
        SchemaField("genre", None, True, None, None),
        SchemaField("year", None, True, None, None),
    )


def test_backup_2026_07_finds_dimension_and_metric_in_the_dense_vector_field():
    b = Backup.from_api(BACKUP_2026_07, "2026-07")
    assert (b.dimension, b.metric) == (1536, "cosine"), "the restore form would not show the shape"
    fields = {f.name: f for f in b.schema_fields}
    assert fields["embedding"] == SchemaField("embedding", "dense_vector", None, 1536, "cosine")
    assert fields["keywords"].type == "sparse_vector"
    assert {n: f.type for n, f in fields.items() if n not in ("embedding", "keywords")} == {
        "title": "string",
        "year": "integer",
        "rating": "float",
        "in_stock": "boolean",
        "labels": "string_list",
        "genre": None,
    }
    assert fields["in_stock"].filterable is False and fields["rating"].filterable is None


def test_all_four_versions_agree_on_the_backup_shape():
    shapes = [
        (b.dimension, b.record_count, b.tags)
        for b in (
            Backup.from_api(BACKUP_2025_04, "2025-04"),
            Backup.from_api(BACKUP_2025_10, "2025-10"),
            Backup.from_api(BACKUP_2025_10, "2026-04"),
            Backup.from_api(BACKUP_2026_07, "2026-07"),
        )
    ]
    assert len(set(map(repr, shapes))) == 1, shapes


def test_an_initializing_backup_has_null_counts():
    b = backup(status="Initializing", dimension=None, record_count=None, namespace_count=None, size_bytes=None)
    assert b.state == "initializing"
    assert (b.dimension, b.record_count, b.namespace_count, b.size_bytes) == (None, None, None, None)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Ready", "ready"),
        ("Completed", "ready"),
        ("Initializing", "initializing"),
        ("Pending", "initializing"),
        ("Failed", "failed"),
        ("InitializationFailed", "failed"),
        ("Archived", "unknown"),
    ],
)
def test_backup_statuses_map_to_states(status, state):
    b = backup(status=status)
    assert b.state == state and b.status == status


def test_null_tags_are_empty_and_non_string_values_become_text():
    assert backup(tags=None).tags == {}
    assert backup(tags={"n": 3, "ok": True, "none": None, "list": [1, "a"], "s": "x"}).tags == {
        "n": "3",
        "ok": "true",
        "none": "null",
        "list": '[1, "a"]',
        "s": "x",
    }


def test_a_malformed_schema_is_ignored():
    assert backup(schema=None).schema_fields == ()
    assert backup(schema={"fields": ["genre"]}).schema_fields == ()
    assert backup(schema={"fields": {"genre": True}}).schema_fields == (SchemaField("genre", None, True, None, None),)


def test_a_backup_without_name_shows_its_id():
    assert backup().display_name == "bkp-1"
    assert backup(name="nightly").display_name == "nightly"
    assert backup(source_index_deleted_at="2025-05-01T00:00:00Z").source_index_deleted_at == datetime(
        2025, 5, 1, tzinfo=UTC
    )


INDEX_2025_04 = {
    "name": "movies",
    "dimension": 1536,
    "metric": "cosine",
    "host": "movies-abc.svc.aws.pinecone.io",
    "spec": {"serverless": {"cloud": "aws", "region": "us-east-1"}},
    "status": {"ready": True, "state": "Ready"},
    "deletion_protection": "disabled",
    "tags": {"env": "prod"},
    "vector_type": "dense",
}
INDEX_2026_07 = {
    "name": "movies",
    "host": "movies-abc.svc.aws.pinecone.io",
    "status": {"ready": True, "state": "Ready"},
    "schema": {
        "fields": {
            "_values": {"type": "dense_vector", "dimension": 1536, "metric": "cosine"},
            "genre": {"type": "string", "filterable": True},
        }
    },
    "deployment": {"deployment_type": "managed", "cloud": "aws", "region": "us-east-1"},
    "deletion_protection": "disabled",
    "tags": {"env": "prod"},
}


def test_indexes_of_old_and_new_versions_read_the_same():
    old = Index.from_api(INDEX_2025_04, "2025-04")
    new = Index.from_api(INDEX_2026_07, "2026-07")
    assert old == new, "the indexes page would differ by API version"
    assert (new.dimension, new.metric, new.vector_type, new.cloud, new.region) == (
        1536,
        "cosine",
        "dense",
        "aws",
        "us-east-1",
    )


def test_a_sparse_2026_07_index_scores_by_dot_product():
    data = {**INDEX_2026_07, "schema": {"fields": {"_sparse_values": {"type": "sparse_vector"}}}}
    i = Index.from_api(data, "2026-07")
    assert (i.dimension, i.metric, i.vector_type) == (None, "dotproduct", "sparse")


def test_an_index_embedding_through_a_string_field_reports_its_shape():
    embed = {"type": "string", "embed": {"model": "llama-text-embed-v2", "dimension": 1024, "metric": "cosine"}}
    i = Index.from_api({**INDEX_2026_07, "schema": {"fields": {"text": embed}}}, "2026-07")
    assert (i.dimension, i.metric, i.vector_type) == (1024, "cosine", "dense")


def test_an_initializing_index_without_host_is_not_ready():
    i = Index.from_api({"name": "fresh", "status": {"ready": False, "state": "Initializing"}, "host": None}, "2026-04")
    assert (i.status, i.ready, i.host, i.cloud, i.tags, i.created_at) == ("Initializing", False, None, None, {}, None)


def test_an_index_says_which_backup_it_was_restored_from():
    assert Index.from_api({**INDEX_2026_07, "source_backup_id": "bkp-1"}, "2026-07").source_backup_id == "bkp-1"
    assert Index.from_api(INDEX_2025_04, "2025-04").source_backup_id is None


def test_restore_started_reads_the_job_and_index_ids():
    started = RestoreStarted.from_api({"restore_job_id": "rj-1", "index_id": "idx-2"}, "2026-04")
    assert started == RestoreStarted("rj-1", "idx-2")
    assert RestoreStarted.from_api({"restore_job_id": "rj-1"}, "2026-04").index_id is None


def test_fetched_knows_its_age():
    f = Fetched("v", datetime.now(UTC) - timedelta(seconds=90))
    assert timedelta(seconds=89) < f.age < timedelta(seconds=92)
    assert f.stale is False and f.error is None


def test_models_are_frozen():
    with pytest.raises(AttributeError):
        job().status = "Failed"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_out_of_range_in_utc_is_unknown(value):
    assert job(created_at=value).created_at is None


@pytest.mark.parametrize(("value", "expected"), [(-5, 0.0), (1e300, 100.0), (1e-12, 1e-12)])
def test_percent_complete_is_kept_between_0_and_100(value, expected):
    assert job(percent_complete=value).percent_complete == expected


def test_counts_beyond_64_bits_are_unknown():
    raw = {"backup_id": "b1", "size_bytes": 10**400, "record_count": 1e300, "namespace_count": "9" * 30}
    backup = Backup.from_api(raw, "2026-04")
    assert (backup.size_bytes, backup.record_count, backup.namespace_count) == (None, None, None)
