"""The HTTP client against the emulator: headers, errors, encoding, retries, timeouts."""

import logging
import time

import pytest

from restoreui.emulator import Emulator
from restoreui.pinecone import client
from restoreui.pinecone.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from restoreui.projects import Project

SECRET = "pcsk_wrong-9f8e7d6c5b4a-SECRET"


@pytest.fixture(autouse=True)
def fast(settings, quick_retries):
    settings.PINECONE_RETRIES = 2
    settings.PINECONE_RETRY_AFTER_MAX = 2.0
    settings.PINECONE_READ_TIMEOUT = 2.0


def calls(emulator, endpoint):
    return emulator.calls.get(endpoint, 0)


def a_job_id(project):
    return client.call(project, "GET", "/restore-jobs", params={"limit": 1})["data"][0]["restore_job_id"]


def test_it_sends_the_key_the_version_and_a_user_agent(project):
    newest = Project(name="local", api_key=project.api_key, host=project.host, api_version="2026-07")
    index = client.call(newest, "GET", "/indexes")["indexes"][0]
    assert "dimension" not in index and "schema" in index, "the 2026-07 shape was not asked for"
    headers = client.session(newest).headers
    assert headers["X-Pinecone-Api-Version"] == "2026-07"
    assert headers["User-Agent"].startswith("restoreui/")


def test_it_reuses_one_session_per_project(project):
    assert client.session(project) is client.session(project), "every page view would open new connections"


def test_a_rejected_key_is_unauthorized_and_the_key_appears_nowhere(project, caplog):
    wrong = Project(name="prod", api_key=SECRET, host=project.host)
    with caplog.at_level(logging.DEBUG), pytest.raises(Unauthorized) as caught:
        client.call(wrong, "GET", "/backups")
    error = caught.value
    assert (error.status, error.code) == (401, "UNAUTHENTICATED")
    assert error.explain() == "Pinecone rejected the API key for project 'prod'"
    for text in (str(error), repr(error), error.explain(), error.message, caplog.text):
        assert SECRET not in text, "the API key would be shown on the page or in the logs"


def test_an_unknown_job_is_not_found_with_code_message_and_request_id(project):
    with pytest.raises(NotFound) as caught:
        client.call(project, "GET", "/restore-jobs/{}", ids=("no-such-job",))
    error = caught.value
    assert (error.status, error.code) == (404, "NOT_FOUND")
    assert error.message and "no-such-job" in error.message, "the page would not say what is missing"
    assert error.request_id and len(error.request_id) == 32, "support could not trace the request"
    assert error.explain().startswith("Not found in Pinecone")


def test_a_taken_index_name_is_a_conflict(ready_backup, project):
    taken = client.call(project, "GET", "/indexes")["indexes"][0]["name"]
    with pytest.raises(Conflict) as caught:
        client.call(project, "POST", "/backups/{}/create-index", ids=(ready_backup.id,), body={"name": taken})
    assert (caught.value.status, caught.value.code) == (409, "ALREADY_EXISTS")


def test_a_bad_body_is_an_invalid_request(ready_backup, project):
    with pytest.raises(InvalidRequest) as caught:
        client.call(project, "POST", "/backups/{}/create-index", ids=(ready_backup.id,), body={"name": 5})
    assert caught.value.status == 422
    with pytest.raises(InvalidRequest) as caught:
        client.call(project, "GET", "/restore-jobs", params={"limit": 1000})
    assert (caught.value.status, caught.value.code) == (400, "INVALID_ARGUMENT")


def test_deleting_a_backup_with_a_pending_restore_is_a_failed_precondition(ready_backup, project):
    client.call(project, "POST", "/backups/{}/create-index", ids=(ready_backup.id,), body={"name": "held-up"})
    with pytest.raises(PreconditionFailed) as caught:
        client.call(project, "DELETE", "/backups/{}", ids=(ready_backup.id,))
    assert caught.value.status == 412 and "pending restore" in caught.value.message


def test_the_backup_quota_is_forbidden_and_explained_as_a_quota(project):
    full = Emulator(host="127.0.0.1", port=0, api_key=project.api_key, seed=7, max_backups=1).start()
    try:
        there = Project(name="prod", api_key=project.api_key, host=full.url)
        index = client.call(there, "GET", "/indexes")["indexes"][0]["name"]
        with pytest.raises(Forbidden) as caught:
            client.call(there, "POST", "/indexes/{}/backups", ids=(index,), body={})
    finally:
        full.stop()
    assert caught.value.status == 403
    assert caught.value.explain().startswith("Project 'prod' has reached a Pinecone quota")


@pytest.mark.parametrize("job_id", ["../indexes", "..%2Findexes", "a/b", "x?limit=1", "x#frag", "é ü"])
def test_an_id_never_changes_which_path_is_called(emulator, project, job_id):
    with pytest.raises(NotFound):
        client.call(project, "GET", "/restore-jobs/{}", ids=(job_id,))
    assert emulator.calls == {"GET /restore-jobs/{job_id}": 1}, f"id {job_id!r} reached {emulator.calls}"


@pytest.mark.parametrize("job_id", ["", ".", ".."])
def test_ids_that_are_only_dots_or_empty_are_refused_without_a_call(emulator, project, job_id):
    with pytest.raises(NotFound):
        client.call(project, "GET", "/restore-jobs/{}", ids=(job_id,))
    assert emulator.calls == {}, f"id {job_id!r} would have listed every job instead"


def test_a_get_is_retried_on_server_errors_then_reported(emulator, project):
    emulator.set_faults(error_rate=1.0)
    with pytest.raises(Unavailable) as caught:
        client.call(project, "GET", "/backups")
    assert calls(emulator, "GET /backups") == 3, "a GET should be tried three times with two retries"
    assert caught.value.status in (500, 503)
    assert caught.value.explain().startswith("Pinecone is having trouble (HTTP 50")


def test_a_get_recovers_when_a_retry_succeeds(emulator, project):
    emulator.set_faults(error_rate=0.5)
    for _ in range(5):
        client.call(project, "GET", "/backups")
    assert calls(emulator, "GET /backups") > 5, "the faults never fired, so this proves nothing"


def test_a_post_is_never_retried(ready_backup, emulator, project):
    emulator.set_faults(error_rate=1.0)
    with pytest.raises(Unavailable):
        client.call(project, "POST", "/backups/{}/create-index", ids=(ready_backup.id,), body={"name": "once"})
    assert calls(emulator, "POST /backups/{backup_id}/create-index") == 1, "a restore could start twice"


def test_a_delete_is_never_retried(ready_backup, emulator, project):
    emulator.set_faults(rate_limit_rate=1.0)
    with pytest.raises(RateLimited):
        client.call(project, "DELETE", "/backups/{}", ids=(ready_backup.id,))
    assert calls(emulator, "DELETE /backups/{backup_id}") == 1


def test_a_reset_connection_is_retried_once_for_get_and_never_for_post(ready_backup, emulator, project):
    emulator.set_faults(reset_rate=1.0)
    with pytest.raises(Unavailable) as caught:
        client.call(project, "GET", "/restore-jobs")
    assert calls(emulator, "GET /restore-jobs") == 2
    assert "no answer from" in caught.value.message and caught.value.status is None
    with pytest.raises(Unavailable):
        client.call(project, "POST", "/backups/{}/create-index", ids=(ready_backup.id,), body={"name": "once"})
    assert calls(emulator, "POST /backups/{backup_id}/create-index") == 1


def test_rate_limiting_honours_retry_after_and_reports_it(emulator, project, settings):
    settings.PINECONE_RETRIES = 1
    emulator.set_faults(rate_limit_rate=1.0, retry_after=0.6)
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        client.call(project, "GET", "/restore-jobs")
    assert time.monotonic() - started >= 0.6, "the retry did not wait as Pinecone asked"
    assert calls(emulator, "GET /restore-jobs") == 2
    assert caught.value.retry_after == 0.6
    assert caught.value.explain() == "Pinecone is rate-limiting requests; try again in 0.6 s"


def test_a_long_retry_after_is_capped_so_the_page_does_not_hang(emulator, project, settings):
    settings.PINECONE_RETRIES = 1
    settings.PINECONE_RETRY_AFTER_MAX = 0.2
    emulator.set_faults(rate_limit_rate=1.0, retry_after=60)
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        client.call(project, "GET", "/restore-jobs")
    assert time.monotonic() - started < 2, "a page would hang for a minute"
    assert caught.value.retry_after == 60, "the page should still say when to try again"


def test_a_body_that_is_not_json_is_a_clear_error(emulator, project):
    emulator.set_faults(malformed_rate=1.0)
    with pytest.raises(Unavailable) as caught:
        client.call(project, "GET", "/backups")
    assert "not JSON" in caught.value.explain(), "the page would show a traceback instead"
    assert caught.value.request_id


def test_a_slow_body_times_out(emulator, project, settings):
    settings.PINECONE_READ_TIMEOUT = 0.3
    emulator.set_faults(slow_body_rate=1.0, slow_body_seconds=3)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.call(project, "GET", "/backups")
    assert time.monotonic() - started < 1.5, "a trickling answer would hold the page"
    assert caught.value.timeout == 0.3
    assert caught.value.explain() == "Pinecone is not answering (timed out after 0.3 s)"


def test_a_server_that_is_not_there_is_unavailable(settings):
    settings.PINECONE_RETRIES = 0
    nobody = Project(name="prod", api_key=SECRET, host="http://127.0.0.1:9")
    with pytest.raises(Unavailable) as caught:
        client.call(nobody, "GET", "/backups")
    assert "no answer from http://127.0.0.1:9" in caught.value.explain()
    assert SECRET not in str(caught.value) + caught.value.explain()


def test_the_metrics_hook_sees_every_call(monkeypatch, project):
    seen = []
    monkeypatch.setattr(client.hooks, "on_upstream_call", lambda *args: seen.append(args))
    client.call(project, "GET", "/restore-jobs/{}", ids=(a_job_id(project),))
    assert [(e, s) for e, s, _ in seen] == [("GET /restore-jobs", 200), ("GET /restore-jobs/{}", 200)]
