"""Bad input from either side: odd URLs, query strings and form fields from users, and odd
payloads from Pinecone. Every answer is a page, a 400, a 404 or a form error, never a 500,
and text from Pinecone is shown inert.
"""

import json
from urllib.parse import quote, urlencode

import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from restoreui.pinecone import client
from restoreui.pinecone.models import Backup, Index, RestoreJob, RestoreStarted, Schedule
from tests.conftest import API_KEY

FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    # The Django client and emulator fixtures are shared on purpose: every example is a request.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MARKUP = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<b>bold</b>", "{{ 7|add:7 }}"]

awkward_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=200, max_size=3000),
    st.sampled_from(["", ".", "..", "%2F", "a/b", "../../backups", "%00", "\x00", "\r\n", " ", "é", "🦆"] + MARKUP),
)
segment = st.one_of(awkward_text.filter(bool), st.sampled_from(["..", ".", "%2F", "%252F", "x" * 5000]))


def path_segment(value: str) -> str:
    """As a browser sends it: percent-encoded, so '/' cannot split it (Django decodes %2F first)."""
    return quote(value, safe="")


def answered(response, allowed=(200, 400, 404)) -> int:
    assert response.status_code in allowed, f"answered {response.status_code}"
    return response.status_code


@FUZZ
@given(value=segment)
def test_any_job_backup_or_index_id_in_the_url_is_a_page_or_a_404(viewer_client, value):
    for kind in ("jobs", "backups", "indexes"):
        response = viewer_client.get(f"/p/local/{kind}/{path_segment(value)}/")
        answered(response)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["page", "size", "sort", "status", "q", "since", "index", "backup"]),
        st.one_of(awkward_text, st.integers().map(str), st.lists(awkward_text, max_size=3)),
    )
)
def test_any_filter_query_string_gives_the_table_or_a_400(viewer_client, params):
    query = urlencode(params, doseq=True)
    for page in ("jobs", "backups"):
        answered(viewer_client.get(f"/p/local/{page}/?{query}"))
        answered(viewer_client.get(f"/p/local/{page}/?{query}", headers={"HX-Request": "true"}))
    answered(viewer_client.get(f"/p/local/search/?{query}"), allowed=(200, 302, 400))


@FUZZ
@given(name=awkward_text, tags=awkward_text, protection=awkward_text)
def test_any_restore_form_gives_a_form_error_or_a_started_restore(
    ready_backup, operator_client, emulator, name, tags, protection
):
    response = operator_client.post(
        f"/p/local/backups/{ready_backup.id}/restore/", {"name": name, "tags": tags, "deletion_protection": protection}
    )
    if answered(response, allowed=(200, 302, 400)) != 302:
        assert b"<form" in response.content, "the answer did not show the form again"


@FUZZ
@given(name=awkward_text, description=awkward_text, index=awkward_text.filter(bool))
def test_any_new_backup_form_gives_a_form_error_or_a_started_backup(operator_client, name, description, index):
    response = operator_client.post(
        f"/p/local/indexes/{path_segment(index)}/backup/", {"name": name, "description": description}
    )
    if answered(response, allowed=(200, 302, 400, 404)) in (200, 400):
        assert b"<form" in response.content, "the answer did not show the form again"


@FUZZ
@given(confirm=awkward_text)
def test_any_delete_confirmation_gives_a_form_error_or_a_deletion(ready_backup, operator_client, emulator, confirm):
    response = operator_client.post(f"/p/local/backups/{ready_backup.id}/delete/", {"confirm": confirm})
    answered(response, allowed=(200, 302, 400))


# -- what Pinecone sends ---------------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    awkward_text,
    st.sampled_from(MARKUP),
    st.sampled_from(
        [
            "2025-04-25T18:14:05.227526Z",
            "2025-04-25T18:14:05+00:00",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+14:00",
            "not a time",
            "Completed",
            "InProgress",
            "Ready",
        ]
    ),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
JOB_FIELDS = [
    "backup_id",
    "target_index_name",
    "target_index_id",
    "status",
    "created_at",
    "completed_at",
    "percent_complete",
]
BACKUP_FIELDS = [
    "name",
    "description",
    "status",
    "source_index_name",
    "source_index_id",
    "source_index_deleted_at",
    "cloud",
    "region",
    "dimension",
    "metric",
    "record_count",
    "namespace_count",
    "size_bytes",
    "tags",
    "created_at",
    "schema",
]
INDEX_FIELDS = [
    "id",
    "status",
    "dimension",
    "metric",
    "vector_type",
    "host",
    "spec",
    "deployment",
    "deletion_protection",
    "tags",
    "created_at",
    "schema",
]
schema = st.fixed_dictionaries(
    {
        "fields": st.dictionaries(
            st.text(max_size=12),
            st.one_of(
                json_value,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "type": st.sampled_from(["dense_vector", "sparse_vector", "string", None, 3]),
                        "dimension": json_leaf,
                        "metric": json_leaf,
                        "filterable": json_leaf,
                        "embed": json_value,
                    },
                ),
            ),
            max_size=4,
        )
    }
)


def payload(id_key: str, fields: list[str], ident=st.sampled_from(["fuzzed-1", "fuzzed-2"])):
    """A mostly well-formed object: a usable id, then any subset of the fields with any values."""
    values = {f: (st.one_of(schema, json_value) if f == "schema" else json_value) for f in fields}
    return st.one_of(
        st.fixed_dictionaries({id_key: ident}, optional=values),
        json_value,
    )


job_payload = payload("restore_job_id", JOB_FIELDS)
backup_payload = payload("backup_id", BACKUP_FIELDS)
index_payload = payload("name", INDEX_FIELDS, ident=st.sampled_from(["fuzzed-index", "other-index"]))
SCHEDULE_FIELDS = [
    "name",
    "index_id",
    "project_id",
    "schedule_type",
    "frequency",
    "retention_expire_after_days",
    "enabled",
    "created_at",
    "next_scheduled_run",
]
schedule_payload = payload("schedule_id", SCHEDULE_FIELDS, ident=st.just("fuzzed-s"))


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    job=job_payload,
    backup=backup_payload,
    index=index_payload,
    schedule=schedule_payload,
    started=payload("restore_job_id", ["index_id"]),
    version=st.sampled_from(["2025-04", "2025-10", "2026-04", "2026-07"]),
)
def test_the_parsers_accept_any_payload_or_reject_it_with_a_value_error(job, backup, index, schedule, started, version):
    for model, data in (
        (RestoreJob, job),
        (Backup, backup),
        (Index, index),
        (RestoreStarted, started),
        (Schedule, schedule),
    ):
        try:
            parsed = model.from_api(data, version)
        except ValueError:
            continue
        assert isinstance(parsed, model)


def fake_pinecone(monkeypatch, job, backup, index, schedule=None):
    """Pinecone answering every read with the payloads given (lists hold them plus a sound entry)."""
    sound_job = {
        "restore_job_id": "sound-job",
        "backup_id": "fuzzed-1",
        "status": "Completed",
        "target_index_name": "x",
        "target_index_id": "y",
        "created_at": "2025-04-25T18:14:05Z",
    }
    answers = {
        "/restore-jobs": {"data": [job, sound_job], "pagination": None},
        "/restore-jobs/{}": job,
        "/backups": {"data": [backup], "pagination": None},
        "/backups/{}": backup,
        "/indexes": {"indexes": [index]},
        "/indexes/{}": index,
        "/indexes/{}/backups": {"data": [backup], "pagination": None},
        "/indexes/{}/backup-schedules": {"data": [schedule], "pagination": None},
        "/backup-schedules/{}": schedule,
        "/backup-schedules/{}/history": {"data": [backup], "pagination": None},
    }

    def call(project, method, endpoint, **kwargs):
        # The client parses JSON from the wire: round-trip so only what JSON can carry gets through.
        return json.loads(json.dumps(answers[endpoint]))

    monkeypatch.setattr(client, "call", call)


@FUZZ
@given(job=job_payload, backup=backup_payload, index=index_payload, schedule=schedule_payload)
def test_any_payload_from_pinecone_renders_every_page_without_a_500_and_escaped(
    viewer_client, monkeypatch, job, backup, index, schedule
):
    from django.core.cache import cache

    cache.clear()
    fake_pinecone(monkeypatch, job, backup, index, schedule)
    for path in (
        "/p/local/",
        "/p/local/indexes/fuzzed-index/schedules/fuzzed-s/",
        "/p/local/jobs/",
        "/p/local/jobs/fuzzed-1/",
        "/p/local/jobs/sound-job/",
        "/p/local/backups/",
        "/p/local/backups/fuzzed-1/",
        "/p/local/indexes/",
        "/p/local/indexes/fuzzed-index/",
        "/p/local/jobs/export.csv",
        "/p/local/jobs/export.json",
        "/p/local/search/?q=fuzz",
    ):
        response = viewer_client.get(path)
        answered(response, allowed=(200, 302, 404, 502, 504))
        if response["Content-Type"].startswith("text/html"):
            body = response.content.decode()
            for markup in MARKUP[:2]:
                assert markup not in body, f"{path} put Pinecone's text {markup!r} into the page as markup"
    for job_id in ("fuzzed-1", "sound-job"):
        response = viewer_client.get(f"/p/local/jobs/{job_id}/poll", headers={"HX-Request": "true"})
        answered(response, allowed=(200, 286))
        assert all(markup not in response.content.decode() for markup in MARKUP[:2]), (
            "the poll put Pinecone's text in as markup"
        )


def test_a_backup_description_with_a_script_shows_as_text(viewer_client, emulator):
    index = next(iter(emulator.store.indexes))
    created = requests.post(
        f"{emulator.url}/indexes/{index}/backups",
        json={"name": "nightly", "description": "<script>alert(1)</script>"},
        headers={"Api-Key": API_KEY, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    )
    assert created.status_code == 201, created.text
    body = viewer_client.get(f"/p/local/backups/{created.json()['backup_id']}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, "the description is not on the backup page"
    assert "<script>alert(1)</script>" not in body, "the description ran as a script"
