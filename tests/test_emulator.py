"""The local control-plane emulator, over real HTTP, as the dashboard and the SDK see it."""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from statistics import median

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restoreui.emulator import Emulator
from restoreui.emulator.seed import RESTORE_BASE_S, RESTORE_S_PER_GB, RESTORE_SPREAD
from tests.conftest import API_KEY, LIMITED_API_KEY

FINISHED = {"Completed", "Failed", "Cancelled"}
FAST = 200.0  # a restore of a small backup takes 0.3 s, a new backup 25 ms
# Every spelling of a timestamp the facts sheet lists: 0, 3, 4, 6 or 9 fraction digits, "Z" or "+00:00".
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{4}|\.\d{6}|\.\d{9})?(Z|\+00:00)$")


def call(server, method, path, version="2026-04", key=API_KEY, **kwargs):
    headers = kwargs.pop("headers", {})
    if key is not None:
        headers["Api-Key"] = key
    if version is not None:
        headers["X-Pinecone-Api-Version"] = version
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def get(server, path, **kwargs):
    response = call(server, "GET", path, **kwargs)
    assert response.status_code == 200, f"GET {path} answered {response.status_code}: {response.text}"
    return response.json()


def walk(server, path, limit=100, filters=None, **kwargs):
    """Every item of a paginated list, page by page, the way the SDK does it."""
    items, params = [], {"limit": limit}
    while True:
        body = get(server, path, params={**params, **(filters or {})}, **kwargs)
        items += body["data"]
        token = (body.get("pagination") or {}).get("next")
        if not token:
            return items
        params = {"paginationToken": token}


def assert_envelope(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {"error": {"code": code, "message": body["error"]["message"]}, "status": status}
    assert body["error"]["message"]


@pytest.fixture
def fast():
    """An emulator whose clock runs fast enough for a restore to finish in a test."""
    server = Emulator(port=0, api_key=API_KEY, seed=7, speed=FAST).start()
    yield server
    server.stop()


def ready_backup(server, index_name="articles"):
    return min(
        (b for b in walk(server, "/backups") if b["status"] == "Ready" and b["source_index_name"] == index_name),
        key=lambda b: b["size_bytes"],
    )


def restore(server, backup, name, version="2026-04", **body):
    response = call(
        server, "POST", f"/backups/{backup['backup_id']}/create-index", version=version, json={"name": name, **body}
    )
    assert response.status_code == 202, response.text
    return response.json()


def wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("the emulator never reached the expected state")


# -- auth and versions ---------------------------------------------------------------


def test_it_rejects_a_missing_api_key(emulator):
    assert_envelope(call(emulator, "GET", "/restore-jobs", key=None), 401, "UNAUTHENTICATED")


def test_it_rejects_a_wrong_api_key(emulator):
    response = call(emulator, "GET", "/backups", key="not-the-key")
    assert_envelope(response, 401, "UNAUTHENTICATED")
    assert response.json()["error"]["message"] == "Invalid API key."


@pytest.mark.parametrize("version", ["2024-07", "latest"])
def test_it_rejects_an_unknown_api_version(emulator, version):
    response = call(emulator, "GET", "/restore-jobs", version=version)
    assert_envelope(response, 400, "INVALID_ARGUMENT")
    assert "version" in response.text


def test_a_request_without_a_version_is_served_as_the_oldest_version(emulator):
    unversioned = get(emulator, "/backups", version=None)
    assert unversioned == get(emulator, "/backups", version="2025-04")
    assert all("schema" not in b and "dimension" in b for b in unversioned["data"])


BACKUP_AND_RESTORE_CALLS = [
    ("GET", "/backups", "control::backups::list"),
    ("GET", "/indexes/articles/backups", "control::backups::list"),
    ("POST", "/indexes/articles/backups", "control::backups::create"),
    ("GET", "/backups/{backup}", "control::backups::describe"),
    ("DELETE", "/backups/{backup}", "control::backups::delete"),
    ("POST", "/backups/{backup}/create-index", "control::backups::restore"),
    ("GET", "/restore-jobs", "control::restore_jobs::list"),
    ("GET", "/restore-jobs/{job}", "control::restore_jobs::describe"),
]


def fill(emulator, path):
    job = get(emulator, "/restore-jobs")["data"][0]
    return path.format(backup=ready_backup(emulator)["backup_id"], job=job["restore_job_id"])


@pytest.mark.parametrize("method, path, permission", BACKUP_AND_RESTORE_CALLS)
def test_a_key_without_permissions_is_denied_backup_and_restore_calls(emulator, method, path, permission):
    response = call(emulator, method, fill(emulator, path), key=LIMITED_API_KEY, json={"name": "denied"})
    assert_envelope(response, 403, "PERMISSION_DENIED")
    assert response.json()["error"]["message"] == f"Access denied: Permission {permission} is required"


def test_a_key_without_backup_permissions_still_reads_indexes(emulator):
    assert get(emulator, "/indexes", key=LIMITED_API_KEY)["indexes"]
    assert get(emulator, "/indexes/articles", key=LIMITED_API_KEY)["name"] == "articles"


@pytest.mark.parametrize("method, path, permission", BACKUP_AND_RESTORE_CALLS)
def test_the_plan_gate_forbids_backup_and_restore_calls_naming_the_plan(emulator, method, path, permission):
    path = fill(emulator, path)
    emulator.set_behaviour(plan_gate=True)
    response = call(emulator, method, path, json={"name": "gated"})
    assert_envelope(response, 403, "FORBIDDEN")
    assert "Starter plan" in response.json()["error"]["message"]
    assert get(emulator, "/indexes")["indexes"], "index calls are not gated"


def test_the_limited_key_must_differ_from_the_key():
    with pytest.raises(ValueError):
        Emulator(port=0, api_key="same", limited_api_key="same")


def test_every_answer_carries_a_request_id(emulator):
    answers = [
        call(emulator, "GET", "/restore-jobs"),
        call(emulator, "GET", "/restore-jobs/nope"),
        call(emulator, "GET", "/backups", key="wrong"),
        call(emulator, "GET", "/no-such-endpoint"),
    ]
    ids = [a.headers.get("x-pinecone-request-id") for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)


def test_it_answers_unknown_endpoints_and_methods_with_the_error_envelope(emulator):
    assert_envelope(call(emulator, "GET", "/collections-of-things"), 404, "NOT_FOUND")
    assert_envelope(call(emulator, "PATCH", "/restore-jobs"), 405, "UNIMPLEMENTED")


def test_unknown_ids_are_404_with_the_envelope(emulator):
    for path in ("/restore-jobs/missing", "/backups/missing", "/indexes/missing", "/indexes/missing/backups"):
        assert_envelope(call(emulator, "GET", path), 404, "NOT_FOUND")


# -- shapes per version ----------------------------------------------------------------


def test_2025_04_backups_have_no_schema_and_no_metric(emulator):
    backups = walk(emulator, "/backups", version="2025-04")
    assert backups and all("schema" not in b and "metric" not in b for b in backups)
    assert all("source_index_deleted_at" not in b for b in backups)
    assert any(isinstance(b["dimension"], int) for b in backups)


@pytest.mark.parametrize("version", ["2025-10", "2026-04"])
def test_2025_10_and_2026_04_backups_leave_out_metric_like_the_service(emulator, version):
    assert all("metric" not in b for b in walk(emulator, "/backups", version=version))


@pytest.mark.parametrize("version", ["2025-10", "2026-04"])
def test_2025_10_and_2026_04_backups_send_metric_when_asked(emulator, version):
    emulator.set_behaviour(send_metric=True)
    ready = [b for b in walk(emulator, "/backups", version=version) if b["status"] == "Ready"]
    assert ready and all(b["metric"] in {"cosine", "dotproduct", "euclidean"} for b in ready)


@pytest.mark.parametrize("version", ["2025-10", "2026-04"])
def test_2025_10_and_2026_04_backups_have_dimension_and_filterable_fields(emulator, version):
    backups = walk(emulator, "/backups", version=version)
    ready = [b for b in backups if b["status"] == "Ready"]
    assert all(isinstance(b["dimension"], int) for b in ready)
    genre = [b for b in backups if "genre" in (b.get("schema") or {}).get("fields", {})]
    assert genre and genre[0]["schema"]["fields"]["genre"] == {"filterable": True}
    assert any("schema" not in b for b in backups), "an index without metadata fields has no schema"


def test_2026_07_backups_keep_dimension_and_metric_in_a_typed_schema_field(emulator):
    backups = walk(emulator, "/backups", version="2026-07")
    assert all("dimension" not in b and "metric" not in b for b in backups)
    kinds = set()
    for backup in backups:
        if backup["schema"] is None:
            assert backup["status"] == "Initializing"
            continue
        fields = backup["schema"]["fields"]
        dense = [f for f in fields.values() if f.get("type") == "dense_vector"]
        assert len(dense) == 1 and isinstance(dense[0]["dimension"], int) and dense[0]["metric"]
        kinds |= {f.get("type", "untyped") for f in fields.values()}
    assert kinds >= {"dense_vector", "sparse_vector", "string", "integer", "float", "boolean", "string_list", "untyped"}


def test_indexes_take_the_shape_of_each_version(emulator):
    old = get(emulator, "/indexes/articles", version="2025-04")
    assert old["dimension"] == 768 and old["metric"] == "dotproduct" and old["vector_type"] == "dense"
    assert set(old["spec"]["serverless"]) == {"cloud", "region"}

    mid = get(emulator, "/indexes/articles", version="2026-04")
    assert mid["spec"]["serverless"]["read_capacity"]["mode"] == "OnDemand"
    assert mid["spec"]["serverless"]["schema"]["fields"]["genre"] == {"filterable": True}

    new = get(emulator, "/indexes/articles", version="2026-07")
    assert "dimension" not in new and "spec" not in new
    assert new["deployment"] == {"deployment_type": "managed", "cloud": "gcp", "region": "us-central1"}
    assert new["schema"]["fields"]["_values"] == {"type": "dense_vector", "dimension": 768, "metric": "dotproduct"}
    assert new["status"] == {"ready": True, "state": "Ready"}


def test_restore_jobs_have_the_spec_fields(emulator):
    required = {"restore_job_id", "backup_id", "target_index_name", "target_index_id", "status", "created_at"}
    for job in walk(emulator, "/restore-jobs"):
        assert required <= set(job) <= required | {"completed_at", "percent_complete"}


def test_every_timestamp_takes_one_of_the_spellings_the_service_sends(emulator):
    call(emulator, "DELETE", "/indexes/articles")
    jobs = walk(emulator, "/restore-jobs")
    backups = walk(emulator, "/backups", version="2026-07")
    stamps = [j[k] for j in jobs for k in ("created_at", "completed_at") if j.get(k)]
    stamps += [b[k] for b in backups for k in ("created_at", "source_index_deleted_at") if b.get(k)]
    assert all(STAMP.match(s) for s in stamps), [s for s in stamps if not STAMP.match(s)][:3]
    fractions = {len(s[19:].split("Z")[0].split("+")[0]) for s in stamps}
    assert fractions == {0, 4, 5, 7, 10}, "fractions of 0, 3, 4, 6 and 9 digits (with their dot)"
    assert any(s.endswith("Z") for s in stamps) and any(s.endswith("+00:00") for s in stamps)


# -- pagination ---------------------------------------------------------------------------


def test_a_walk_reaches_every_job_once(emulator):
    jobs = walk(emulator, "/restore-jobs", limit=7)
    ids = [j["restore_job_id"] for j in jobs]
    assert len(ids) == len(set(ids)) == 260


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=100))
def test_a_walk_at_any_page_size_reaches_every_backup_once(emulator, limit):
    ids = [b["backup_id"] for b in walk(emulator, "/backups", limit=limit)]
    assert len(ids) == len(set(ids)) == 71


def test_a_token_is_base64_json_that_carries_its_page_size(emulator):
    first = get(emulator, "/restore-jobs", params={"limit": 3})
    token = first["pagination"]["next"]
    assert json.loads(base64.b64decode(token)) == {"limit": 3, "offset": 3}
    second = get(emulator, "/restore-jobs", params={"paginationToken": token})
    assert len(second["data"]) == 3
    assert not {j["restore_job_id"] for j in first["data"]} & {j["restore_job_id"] for j in second["data"]}


def test_the_default_page_size_is_the_services_100_not_the_specs_10(emulator):
    first = get(emulator, "/restore-jobs")
    assert len(first["data"]) == 100
    assert json.loads(base64.b64decode(first["pagination"]["next"])) == {"limit": 100, "offset": 100}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", ""])
def test_it_rejects_a_limit_outside_1_to_100(emulator, limit):
    assert_envelope(call(emulator, "GET", "/restore-jobs", params={"limit": limit}), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b'{"limit": 0, "offset": 2}').decode(),
        base64.b64encode(b'{"offset": 2}').decode(),
        base64.b64encode(b"[1, 2]").decode(),
    ],
)
def test_it_rejects_a_malformed_pagination_token(emulator, token):
    response = call(emulator, "GET", "/backups", params={"paginationToken": token})
    assert_envelope(response, 400, "INVALID_ARGUMENT")


def test_the_last_page_says_so_with_null_or_no_pagination(emulator):
    shapes = set()
    for limit in (26, 52):  # 48 backups: the last page is page 1 or page 0
        params = {"limit": limit}
        while True:
            body = get(emulator, "/backups", params=params)
            if "pagination" in body and body["pagination"]:
                params = {"paginationToken": body["pagination"]["next"]}
                continue
            shapes.add("absent" if "pagination" not in body else "null")
            break
    assert shapes == {"absent", "null"}


def test_lists_are_not_ordered_by_time(emulator):
    stamps = [j["created_at"] for j in get(emulator, "/restore-jobs", params={"limit": 30})["data"] if j["created_at"]]
    assert stamps != sorted(stamps) and stamps != sorted(stamps, reverse=True)


# -- seed data -----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_data():
    first, second = (Emulator(port=0, api_key=API_KEY, seed=11).start() for _ in range(2))
    try:
        ids = [[j["restore_job_id"] for j in walk(s, "/restore-jobs")] for s in (first, second)]
        assert ids[0] == ids[1]
    finally:
        first.stop()
        second.stop()


def test_the_jobs_option_sets_how_many_jobs_are_seeded():
    server = Emulator(port=0, api_key=API_KEY, jobs=1000).start()
    try:
        assert len(walk(server, "/restore-jobs")) == 1000
    finally:
        server.stop()


def test_the_seeded_backups_cover_every_status_and_quirk(emulator):
    backups = walk(emulator, "/backups", version="2026-04")
    assert len(backups) >= 40
    statuses = Counter(b["status"] for b in backups)
    assert set(statuses) == {"Ready", "Initializing", "InitializationFailed"}
    for backup in backups:
        if backup["status"] == "Initializing":
            assert backup["dimension"] is None and backup["record_count"] is None
            assert backup["namespace_count"] is None and backup["size_bytes"] is None
    ready = [b for b in backups if b["status"] == "Ready"]
    assert all(b["size_bytes"] > 0 and b["namespace_count"] > 0 for b in ready)
    lagging = [b for b in ready if b["description"] == "Taken minutes after a bulk load"]
    assert sorted(b["record_count"] == 0 for b in lagging) == [False, True], "one counts none, one too few"
    assert all(b["record_count"] > 0 for b in ready if b not in lagging)
    tags = [b["tags"] for b in backups]
    assert None in tags
    values = [v for t in tags if t for v in t.values()]
    assert any(isinstance(v, bool) for v in values) and any(type(v) in (int, float) for v in values)


def test_the_seeded_jobs_cover_every_status_and_quirk(emulator):
    jobs = walk(emulator, "/restore-jobs")
    assert len(jobs) >= 250
    statuses = Counter(j["status"] for j in jobs)
    assert {"Pending", "Completed", "Failed", "Cancelled"} <= set(statuses)
    assert "InProgress" not in statuses, "the real service has no in-progress status"
    assert set(statuses) - {"Pending", "Completed", "Failed", "Cancelled"}, "an unknown status"
    assert sum(j["created_at"] is None for j in jobs) == 1
    for job in jobs:
        assert bool(job.get("completed_at")) == (job["status"] in FINISHED), job
        expected = 100 if job["status"] == "Completed" else None
        assert job.get("percent_complete") == expected, f"a {job['status']} job sent a percentage"
    assert any("percent_complete" not in j for j in jobs) and any(
        "percent_complete" in j and j["percent_complete"] is None for j in jobs
    ), "null and absent both seen"
    stamps = [j["created_at"] for j in jobs if j["created_at"]]
    assert max(stamps)[:10] >= time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))


def test_seeded_restores_took_as_long_as_their_backups_size_says(emulator):
    sizes = {b["backup_id"]: b["size_bytes"] for b in walk(emulator, "/backups")}
    took = {}
    for job in walk(emulator, "/restore-jobs"):
        if job["status"] == "Completed" and job["created_at"] and sizes.get(job["backup_id"]):
            seconds = datetime.fromisoformat(job["completed_at"]) - datetime.fromisoformat(job["created_at"])
            took[job["restore_job_id"]] = (sizes[job["backup_id"]], seconds.total_seconds())
    assert len(took) >= 50, "a few dozen finished restores to learn durations from"
    assert max(s for s, _ in took.values()) > 50 * min(s for s, _ in took.values()), "backups of varied sizes"
    for size, seconds in took.values():
        law = RESTORE_BASE_S + RESTORE_S_PER_GB * size / 1e9
        # Timestamps without a fraction are off by up to a second.
        assert law * RESTORE_SPREAD[0] - 1 <= seconds <= law * RESTORE_SPREAD[1] + 1, (size, seconds)
    by_size = sorted(took.values())
    small, large = by_size[: len(by_size) // 4], by_size[-len(by_size) // 4 :]
    assert median(s for _, s in small) * 1.5 < median(s for _, s in large), "bigger backups took longer"


@pytest.fixture
def real_speed():
    """An emulator of its own whose clock only the test moves on."""
    server = Emulator(port=0, api_key=API_KEY, seed=7).start()
    yield server
    server.stop()


def test_seeded_running_jobs_stay_pending_then_complete_with_the_clock(real_speed):
    running = [j for j in walk(real_speed, "/restore-jobs") if j["status"] not in FINISHED | {"Paused"}]
    assert {j["status"] for j in running} == {"Pending"} and len(running) == 6
    assert all(j.get("percent_complete") is None and not j.get("completed_at") for j in running)
    real_speed.advance_clock(60)
    assert any(get(real_speed, f"/restore-jobs/{j['restore_job_id']}")["status"] == "Pending" for j in running)
    # The longest seeded restore takes under an hour.
    real_speed.advance_clock(3600)
    for job in running:
        later = get(real_speed, f"/restore-jobs/{job['restore_job_id']}")
        assert later["status"] == "Completed" and later["percent_complete"] == 100
        assert later["completed_at"]


def test_reporting_progress_brings_back_in_progress_and_percentages(reporting_progress):
    jobs = walk(reporting_progress, "/restore-jobs")
    running = [j for j in jobs if j["status"] in ("Pending", "InProgress")]
    assert any(j["status"] == "InProgress" and 0 < j["percent_complete"] < 100 for j in running)
    assert any(j.get("percent_complete") is None for j in running), "some still say only Pending"
    assert any(j["status"] == "Failed" and j.get("percent_complete") for j in jobs)
    rising = next(j for j in running if j["status"] == "InProgress")
    time.sleep(0.6)
    later = get(reporting_progress, f"/restore-jobs/{rising['restore_job_id']}")
    assert later["percent_complete"] > rising["percent_complete"]


def test_the_deleted_index_is_gone_but_its_backups_remain(emulator):
    names = {i["name"] for i in get(emulator, "/indexes")["indexes"]}
    assert "legacy-catalog" not in names and {"products", "articles", "support-tickets"} <= names
    backups = walk(emulator, "/backups", version="2026-07")
    orphans = [b for b in backups if b["source_index_name"] == "legacy-catalog"]
    assert orphans and all(b["source_index_deleted_at"] for b in orphans)
    assert all("source_index_deleted_at" not in b for b in backups if b not in orphans), (
        "only a deleted source has a deletion time"
    )
    assert_envelope(call(emulator, "GET", "/indexes/legacy-catalog/backups", version="2026-07"), 404, "NOT_FOUND")
    listed = walk(emulator, "/indexes/legacy-catalog/backups", version="2026-07", filters={"include_deleted": "true"})
    assert {b["backup_id"] for b in listed} == {b["backup_id"] for b in orphans}


@pytest.mark.parametrize("version", ["2025-04", "2025-10", "2026-04"])
def test_versions_before_2026_07_know_no_include_deleted(emulator, version):
    response = call(
        emulator, "GET", "/indexes/legacy-catalog/backups", version=version, params={"include_deleted": "true"}
    )
    assert_envelope(response, 404, "NOT_FOUND")


def test_running_restores_have_initializing_indexes(emulator):
    running = {j["target_index_name"] for j in walk(emulator, "/restore-jobs") if j["status"] == "Pending"}
    states = {i["name"]: i["status"]["state"] for i in get(emulator, "/indexes")["indexes"]}
    assert all(states[name] == "Initializing" for name in running)


# -- restores and backups ---------------------------------------------------------------------


def test_a_restore_runs_to_completion_and_its_index_becomes_ready(fast):
    backup = ready_backup(fast)
    response = call(
        fast,
        "POST",
        f"/backups/{backup['backup_id']}/create-index",
        json={"name": "articles-restored", "tags": {"env": "qa"}},
    )
    assert response.status_code == 202, response.text
    created = response.json()
    assert set(created) == {"restore_job_id", "index_id"}
    job = get(fast, f"/restore-jobs/{created['restore_job_id']}")
    assert job["status"] == "Pending" and job["backup_id"] == backup["backup_id"]
    assert job["target_index_id"] == created["index_id"]
    index = get(fast, "/indexes/articles-restored")
    assert index["status"] == {"ready": False, "state": "Initializing"}
    assert index["tags"] == {"env": "qa"}

    seen = set()

    def completed():
        state = get(fast, f"/restore-jobs/{created['restore_job_id']}")
        seen.add((state["status"], state.get("percent_complete"), state.get("completed_at")))
        return state["status"] == "Completed" and state

    done = wait_for(completed)
    assert {s[:2] for s in seen} == {("Pending", None), ("Completed", 100)}, "Pending with no % until done"
    assert all(bool(at) == (status == "Completed") for status, _, at in seen)
    assert done["completed_at"]
    assert get(fast, "/indexes/articles-restored")["status"] == {"ready": True, "state": "Ready"}


def test_a_restore_started_while_restores_fail_ends_failed_and_its_index_initialization_failed(fast):
    fast.set_behaviour(fail_restores=True)
    job_id = restore(fast, ready_backup(fast), "doomed")["restore_job_id"]
    fast.set_behaviour(fail_restores=False)
    done = wait_for(lambda: (j := get(fast, f"/restore-jobs/{job_id}"))["status"] != "Pending" and j)
    assert done["status"] == "Failed" and done["completed_at"] and done.get("percent_complete") is None
    assert get(fast, "/indexes/doomed")["status"] == {"ready": False, "state": "InitializationFailed"}
    later = restore(fast, ready_backup(fast), "fine")["restore_job_id"]
    assert (
        wait_for(lambda: (j := get(fast, f"/restore-jobs/{later}"))["status"] != "Pending" and j)["status"]
        == "Completed"
    )


def test_a_restore_goes_in_progress_with_a_rising_percentage_when_progress_is_reported():
    server = Emulator(port=0, api_key=API_KEY, seed=7, speed=20, report_progress=True).start()
    try:
        job_id = restore(server, ready_backup(server), "reported")["restore_job_id"]
        first = wait_for(lambda: (j := get(server, f"/restore-jobs/{job_id}"))["status"] == "InProgress" and j)
        later = wait_for(
            lambda: (j := get(server, f"/restore-jobs/{job_id}"))["percent_complete"] > first["percent_complete"] and j
        )
        assert later["status"] == "InProgress" and later["percent_complete"] < 100
    finally:
        server.stop()


def test_a_bigger_backup_takes_longer_to_restore(fast):
    backups = sorted(
        (b for b in walk(fast, "/backups") if b["status"] == "Ready" and b["source_index_name"] != "legacy-catalog"),
        key=lambda b: b["size_bytes"],
    )
    small, large = backups[0], backups[-1]
    assert large["size_bytes"] > 100 * small["size_bytes"]
    jobs = [restore(fast, small, "small")["restore_job_id"], restore(fast, large, "large")["restore_job_id"]]
    states = wait_for(lambda: (s := [get(fast, f"/restore-jobs/{j}")["status"] for j in jobs])[0] == "Completed" and s)
    assert states == ["Completed", "Pending"], "the big restore finished as soon as the small one"


def test_a_restore_onto_dedicated_read_nodes_is_accepted_on_2026_07(emulator):
    capacity = {
        "mode": "Dedicated",
        "dedicated": {"node_type": "b1", "scaling": "Manual", "manual": {"shards": 1, "replicas": 2}},
    }
    restore(emulator, ready_backup(emulator), "dedicated", version="2026-07", read_capacity=capacity)
    index = get(emulator, "/indexes/dedicated", version="2026-07")
    assert index["read_capacity"]["mode"] == "Dedicated"
    assert index["read_capacity"]["dedicated"] == capacity["dedicated"]


@pytest.mark.parametrize("version", ["2025-04", "2025-10", "2026-04"])
def test_read_capacity_is_an_unknown_field_before_2026_07(emulator, version):
    backup = ready_backup(emulator)
    response = call(
        emulator,
        "POST",
        f"/backups/{backup['backup_id']}/create-index",
        version=version,
        json={"name": "dedicated", "read_capacity": {"mode": "OnDemand"}},
    )
    assert_envelope(response, 422, "UNPROCESSABLE_ENTITY")
    assert "unknown field `read_capacity`" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "capacity",
    ["fast", {"mode": "Turbo"}, {"mode": "Dedicated"}, {"mode": "Dedicated", "dedicated": {"node_type": "b1"}}],
)
def test_a_bad_read_capacity_is_422(emulator, capacity):
    backup = ready_backup(emulator)
    response = call(
        emulator,
        "POST",
        f"/backups/{backup['backup_id']}/create-index",
        version="2026-07",
        json={"name": "dedicated", "read_capacity": capacity},
    )
    assert_envelope(response, 422, "UNPROCESSABLE_ENTITY")


def test_a_restore_into_an_existing_index_name_is_409(emulator):
    backup = ready_backup(emulator)
    response = call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "products"})
    assert_envelope(response, 409, "ALREADY_EXISTS")


def test_a_restore_from_an_unknown_backup_is_404(emulator):
    response = call(emulator, "POST", "/backups/no-such-backup/create-index", json={"name": "fresh"})
    assert_envelope(response, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({}, 422, "UNPROCESSABLE_ENTITY"),
        ({"name": 7}, 422, "UNPROCESSABLE_ENTITY"),
        ({"name": "ok", "tags": {"n": 1}}, 422, "UNPROCESSABLE_ENTITY"),
        ({"name": "ok", "deletion_protection": "sometimes"}, 422, "UNPROCESSABLE_ENTITY"),
        ([], 422, "UNPROCESSABLE_ENTITY"),
    ],
)
def test_a_restore_with_a_bad_body_is_rejected(emulator, body, status, code):
    backup = ready_backup(emulator)
    response = call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json=body)
    assert_envelope(response, status, code)


def test_a_restore_with_a_body_that_is_not_json_is_400(emulator):
    backup = ready_backup(emulator)
    response = call(
        emulator,
        "POST",
        f"/backups/{backup['backup_id']}/create-index",
        data=b"{name",
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(response, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("name", ["Products", "-leading", "trailing-", "under_score", "a" * 46, "", "dots.no"])
def test_a_restore_to_an_invalid_index_name_is_400(emulator, name):
    backup = ready_backup(emulator)
    response = call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": name})
    assert_envelope(response, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("name", ["a", "a" * 45, "x1-y2", "9lives"])
def test_a_restore_to_a_valid_index_name_is_accepted(emulator, name):
    backup = ready_backup(emulator)
    response = call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": name})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("tags", [{"k" * 81: "v"}, {"bad key": "v"}, {"k": "v" * 121}, {"k": "a/b"}, {"k": "é"}])
def test_a_restore_with_invalid_tags_is_400(emulator, tags):
    backup = ready_backup(emulator)
    response = call(
        emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "tagged", "tags": tags}
    )
    assert_envelope(response, 400, "INVALID_ARGUMENT")


def test_a_restore_accepts_every_allowed_tag_character(emulator):
    backup = ready_backup(emulator)
    tags = {"k" * 80: "v" * 120, "team_a-1": "Aa0 ;@_-.+", "empty": ""}
    response = call(
        emulator,
        "POST",
        f"/backups/{backup['backup_id']}/create-index",
        json={"name": "tagged", "tags": tags, "deletion_protection": "enabled"},
    )
    assert response.status_code == 202, response.text
    index = get(emulator, "/indexes/tagged")
    assert index["tags"] == tags and index["deletion_protection"] == "enabled"


def test_a_restore_without_tags_copies_the_backups_tags_as_text(emulator):
    backup = next(
        b
        for b in walk(emulator, "/backups")
        if b["status"] == "Ready"
        and b["source_index_name"] != "legacy-catalog"
        and b["tags"]
        and any(isinstance(v, bool) for v in b["tags"].values())
    )
    call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "copied"})
    tags = get(emulator, "/indexes/copied")["tags"]
    assert set(tags) == set(backup["tags"]) and all(isinstance(v, str) for v in tags.values())


@pytest.mark.parametrize("status", ["Initializing", "InitializationFailed"])
def test_a_restore_from_a_backup_that_is_not_ready_is_a_failed_precondition(emulator, status):
    backup = next(b for b in walk(emulator, "/backups") if b["status"] == status)
    response = call(emulator, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "early"})
    assert_envelope(response, 412, "FAILED_PRECONDITION")
    assert response.json()["error"]["message"] == f"Backup {backup['backup_id']} is not completed."


def test_a_backup_cannot_be_deleted_while_a_restore_from_it_is_pending(fast):
    backup = ready_backup(fast)
    job_id = call(fast, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "pending-one"}).json()[
        "restore_job_id"
    ]
    response = call(fast, "DELETE", f"/backups/{backup['backup_id']}")
    assert_envelope(response, 412, "FAILED_PRECONDITION")
    assert job_id in response.json()["error"]["message"]
    wait_for(lambda: get(fast, f"/restore-jobs/{job_id}")["status"] == "Completed")
    assert call(fast, "DELETE", f"/backups/{backup['backup_id']}").status_code == 202
    assert_envelope(call(fast, "GET", f"/backups/{backup['backup_id']}"), 404, "NOT_FOUND")


def test_a_new_backup_starts_initializing_and_becomes_ready(fast):
    response = call(fast, "POST", "/indexes/articles/backups", json={"name": "manual", "description": "why"})
    assert response.status_code == 201, response.text
    backup = response.json()
    assert backup["status"] == "Initializing" and backup["record_count"] is None
    assert backup["name"] == "manual" and backup["source_index_name"] == "articles"
    ready = wait_for(lambda: (b := get(fast, f"/backups/{backup['backup_id']}"))["status"] == "Ready" and b)
    assert ready["record_count"] > 0 and ready["dimension"] == 768
    assert backup["backup_id"] in {b["backup_id"] for b in walk(fast, "/indexes/articles/backups")}


def ready_count(server, backup):
    ready = wait_for(lambda: (b := get(server, f"/backups/{backup['backup_id']}"))["status"] == "Ready" and b)
    return ready["record_count"]


def test_a_backup_taken_minutes_after_a_bulk_load_counts_too_few_records(fast):
    settled = call(fast, "POST", "/indexes/articles/backups", json={}).json()
    loaded = call(fast, "POST", "/indexes/product-search-v2/backups", json={}).json()
    older = max(
        b["record_count"]
        for b in walk(fast, "/indexes/product-search-v2/backups")
        if b["status"] == "Ready" and b["backup_id"] != loaded["backup_id"]
    )
    assert ready_count(fast, settled) > 0
    assert ready_count(fast, loaded) < older, "the records of the last write were counted at once"


def test_a_backup_of_a_freshly_restored_index_counts_no_records(fast):
    backup = ready_backup(fast)
    job_id = restore(fast, backup, "fresh")["restore_job_id"]
    wait_for(lambda: get(fast, f"/restore-jobs/{job_id}")["status"] == "Completed")
    fresh = call(fast, "POST", "/indexes/fresh/backups", json={}).json()
    assert backup["record_count"] > 0 and ready_count(fast, fresh) == 0


def test_a_backup_of_an_unknown_index_is_404(emulator):
    assert_envelope(call(emulator, "POST", "/indexes/nope/backups", json={}), 404, "NOT_FOUND")


def test_backups_past_the_quota_are_forbidden():
    server = Emulator(port=0, api_key=API_KEY, max_backups=72).start()
    try:
        assert len(server.store.backups) == 71
        assert call(server, "POST", "/indexes/articles/backups", json={}).status_code == 201
        assert_envelope(call(server, "POST", "/indexes/articles/backups", json={}), 403, "FORBIDDEN")
    finally:
        server.stop()


def test_restores_past_the_index_quota_are_forbidden():
    server = Emulator(port=0, api_key=API_KEY, seed=7, max_indexes=17).start()
    try:
        backup = ready_backup(server)
        response = call(server, "POST", f"/backups/{backup['backup_id']}/create-index", json={"name": "one-more"})
        assert_envelope(response, 403, "FORBIDDEN")
    finally:
        server.stop()


def test_deleting_a_target_index_drops_its_job_from_the_list_and_describe(emulator):
    done = next(
        j
        for j in walk(emulator, "/restore-jobs")
        if j["status"] == "Completed"
        and j["target_index_name"] in {i["name"] for i in get(emulator, "/indexes")["indexes"]}
    )
    assert call(emulator, "DELETE", f"/indexes/{done['target_index_name']}").status_code == 202
    assert done["restore_job_id"] not in {j["restore_job_id"] for j in walk(emulator, "/restore-jobs")}
    assert_envelope(call(emulator, "GET", f"/restore-jobs/{done['restore_job_id']}"), 404, "NOT_FOUND")
    assert sum(requests.get(emulator.url + "/_emulator/state").json()["restore_jobs"].values()) == 259


def test_a_running_restore_whose_index_is_deleted_no_longer_holds_its_backup(emulator):
    backup = ready_backup(emulator)
    job_id = restore(emulator, backup, "short-lived")["restore_job_id"]
    assert_envelope(call(emulator, "DELETE", f"/backups/{backup['backup_id']}"), 412, "FAILED_PRECONDITION")
    call(emulator, "DELETE", "/indexes/short-lived")
    assert_envelope(call(emulator, "GET", f"/restore-jobs/{job_id}"), 404, "NOT_FOUND")
    assert call(emulator, "DELETE", f"/backups/{backup['backup_id']}").status_code == 202


def test_a_restore_into_the_name_of_a_deleted_index_is_listed_again(emulator):
    call(emulator, "DELETE", "/indexes/articles")
    job_id = restore(emulator, ready_backup(emulator), "articles")["restore_job_id"]
    assert get(emulator, f"/restore-jobs/{job_id}")["target_index_name"] == "articles"


def test_deleting_an_index_keeps_its_backups(emulator):
    assert_envelope(call(emulator, "DELETE", "/indexes/products"), 403, "FORBIDDEN")
    assert call(emulator, "DELETE", "/indexes/articles").status_code == 202
    assert_envelope(call(emulator, "GET", "/indexes/articles"), 404, "NOT_FOUND")
    kept = [b for b in walk(emulator, "/backups", version="2026-07") if b["source_index_name"] == "articles"]
    assert kept and all(b["source_index_deleted_at"] for b in kept)


# -- faults -----------------------------------------------------------------------------------


def test_it_adds_latency(emulator):
    emulator.set_faults(latency_ms=250)
    started = time.monotonic()
    get(emulator, "/restore-jobs")
    assert time.monotonic() - started >= 0.25


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_it_answers_a_share_of_requests_with_500_or_503(emulator, share):
    emulator.set_faults(error_rate=share)
    statuses = Counter(call(emulator, "GET", "/restore-jobs").status_code for _ in range(40))
    failed = statuses[500] + statuses[503]
    assert failed == 40 if share == 1.0 else 8 < failed < 32
    assert set(statuses) <= {200, 500, 503} and statuses[500] and statuses[503]


def test_it_answers_429_with_retry_after(emulator):
    emulator.set_faults(rate_limit_rate=1.0, retry_after=3)
    response = call(emulator, "GET", "/backups")
    assert_envelope(response, 429, "RESOURCE_EXHAUSTED")
    assert response.headers["Retry-After"] == "3"


def test_it_sends_malformed_json(emulator):
    emulator.set_faults(malformed_rate=1.0)
    response = call(emulator, "GET", "/restore-jobs")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_it_resets_connections(emulator):
    emulator.set_faults(reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call(emulator, "GET", "/restore-jobs")


def test_it_sends_headers_at_once_then_trickles_the_body(emulator):
    # Wide margins: the headers must come well before the body ends, even on a busy machine.
    emulator.set_faults(slow_body_rate=1.0, slow_body_seconds=3)
    started = time.monotonic()
    response = call(emulator, "GET", "/restore-jobs", stream=True)
    headers_at = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["data"]
    body_at = time.monotonic() - started
    assert body_at >= 2.9 and headers_at < body_at / 2, (headers_at, body_at)


def test_fault_dice_are_seeded_so_a_run_repeats(emulator):
    def pattern():
        emulator.set_faults(error_rate=0.3)
        return [call(emulator, "GET", "/restore-jobs").status_code for _ in range(30)]

    assert pattern() == pattern()


def test_faults_can_be_given_to_the_constructor():
    server = Emulator(port=0, api_key=API_KEY, error_rate=1.0).start()
    try:
        assert call(server, "GET", "/restore-jobs").status_code in (500, 503)
    finally:
        server.stop()


def test_a_share_of_restore_job_descriptions_answer_404_for_a_job_that_exists(emulator):
    job_id = get(emulator, "/restore-jobs")["data"][0]["restore_job_id"]
    emulator.set_faults(transient_404_rate=0.5)
    statuses = Counter(call(emulator, "GET", f"/restore-jobs/{job_id}").status_code for _ in range(40))
    assert set(statuses) == {200, 404} and 8 < statuses[404] < 32
    emulator.set_faults(transient_404_rate=1.0)
    assert_envelope(call(emulator, "GET", f"/restore-jobs/{job_id}"), 404, "NOT_FOUND")
    assert all(call(emulator, "GET", path).status_code == 200 for path in ("/restore-jobs", "/backups"))
    assert emulator.stats()["faulted"]["transient_404"] == statuses[404] + 1


def test_unknown_or_out_of_range_fault_settings_are_refused(emulator):
    for bad in ({"error_rate": 1.5}, {"latency_ms": -1}, {"explode": 1}, {"reset_rate": "all"}):
        with pytest.raises(ValueError):
            emulator.set_faults(**bad)


# -- counters and the control endpoint ----------------------------------------------------------------


def test_it_counts_calls_per_route_template(emulator):
    get(emulator, "/restore-jobs")
    job = get(emulator, "/restore-jobs")["data"][0]
    for _ in range(3):
        get(emulator, f"/restore-jobs/{job['restore_job_id']}")
    call(emulator, "GET", "/backups", key="wrong")
    assert emulator.calls == {"GET /restore-jobs": 2, "GET /restore-jobs/{job_id}": 3, "GET /backups": 1}
    assert emulator.stats()["total"] == 6


def test_faulted_calls_are_counted_too(emulator):
    emulator.set_faults(reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call(emulator, "GET", "/restore-jobs")
    assert emulator.stats()["calls"] == {"GET /restore-jobs": 1}
    assert emulator.stats()["faulted"] == {"reset": 1}


def test_the_control_endpoint_switches_faults_while_serving(emulator):
    control = emulator.url + "/_emulator/faults"
    assert requests.post(control, json={"error_rate": 1.0}).json()["error_rate"] == 1.0
    assert call(emulator, "GET", "/restore-jobs").status_code in (500, 503)
    assert requests.get(control).json()["error_rate"] == 1.0
    assert requests.post(control, json={"error_rate": 2}).status_code == 400
    assert requests.post(control, json={"nonsense": 1}).status_code == 400
    assert requests.delete(control).json()["error_rate"] == 0.0
    assert call(emulator, "GET", "/restore-jobs").status_code == 200


def test_the_control_endpoint_is_never_faulted_or_counted(emulator):
    emulator.set_faults(reset_rate=1.0, latency_ms=0)
    stats = requests.get(emulator.url + "/_emulator/stats").json()
    assert stats == {"total": 0, "calls": {}, "faulted": {}}


def test_the_control_endpoint_switches_behaviour_while_serving(emulator):
    control = emulator.url + "/_emulator/behaviour"
    assert requests.get(control).json() == {
        "report_progress": False,
        "send_metric": False,
        "plan_gate": False,
        "fail_restores": False,
    }
    assert requests.post(control, json={"report_progress": True}).json()["report_progress"] is True
    assert "InProgress" in {j["status"] for j in walk(emulator, "/restore-jobs")}
    assert requests.post(control, json={"plan_gate": True}).json() == {
        "report_progress": True,
        "send_metric": False,
        "plan_gate": True,
        "fail_restores": False,
    }
    assert_envelope(call(emulator, "GET", "/backups"), 403, "FORBIDDEN")
    for bad in ({"plan_gate": 1}, {"report_progress": "yes"}, {"nonsense": True}, [True]):
        assert requests.post(control, json=bad).status_code == 400, bad


def test_the_control_endpoint_resets_data_behaviour_faults_and_counters(emulator):
    call(emulator, "DELETE", "/indexes/articles")
    emulator.set_faults(error_rate=1.0)
    emulator.set_behaviour(report_progress=True, send_metric=True, plan_gate=True)
    summary = requests.post(emulator.url + "/_emulator/reset").json()
    assert summary["indexes"] == 17 and summary["backups"] == 71
    assert sum(summary["restore_jobs"].values()) == 260
    assert emulator.stats()["total"] == 0 and emulator.faults["error_rate"] == 0
    assert emulator.behaviour == {
        "report_progress": False,
        "send_metric": False,
        "plan_gate": False,
        "fail_restores": False,
    }
    assert get(emulator, "/indexes/articles")["name"] == "articles"


def test_a_reset_goes_back_to_the_behaviour_given_at_start():
    server = Emulator(port=0, api_key=API_KEY, report_progress=True, send_metric=True).start()
    try:
        server.set_behaviour(report_progress=False, plan_gate=True)
        server.reset()
        assert server.behaviour == {
            "report_progress": True,
            "send_metric": True,
            "plan_gate": False,
            "fail_restores": False,
        }
    finally:
        server.stop()


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_command_line_serves_until_stopped_by_a_signal(stop):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "restoreui.emulator",
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--seed",
            "3",
            "--jobs",
            "100",
            "--speed",
            "10",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        response = requests.get(
            url + "/restore-jobs",
            params={"limit": 100},
            headers={"Api-Key": "cli-key", "X-Pinecone-Api-Version": "2025-10"},
            timeout=5,
        )
        assert response.status_code == 200 and len(response.json()["data"]) == 100
        assert "pagination" not in response.json() or response.json()["pagination"] is None
        process.send_signal(stop)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        process.stdout.close()


def test_the_command_line_takes_the_behaviour_flags_and_a_limited_key():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "restoreui.emulator",
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--limited-api-key",
            "cli-limited",
            "--report-progress",
            "--send-metric",
            "--plan-gate",
            "--transient-404-rate",
            "0.25",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        assert requests.get(url + "/_emulator/behaviour", timeout=5).json() == {
            "report_progress": True,
            "send_metric": True,
            "plan_gate": True,
            "fail_restores": False,
        }
        assert requests.get(url + "/_emulator/faults", timeout=5).json()["transient_404_rate"] == 0.25
        denied = requests.get(url + "/backups", headers={"Api-Key": "cli-limited"}, timeout=5)
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "PERMISSION_DENIED"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        process.stdout.close()
