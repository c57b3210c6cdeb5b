"""When Pinecone misbehaves: every page answers in time with a clear message or marked-stale
data, the progress poll slows down and recovers by itself, and writes are sent once and never
reported done when they were not.

Each fault is switched fully on (every call), with short timeouts and cache lifetimes.
"""

import re
import time

import pytest
from django.core.cache import cache as django_cache

from restoreui.emulator import Emulator
from restoreui.models import AuditEntry
from restoreui.pinecone import cache, client
from restoreui.projects import Project
from tests.conftest import API_KEY

FAULTS = {
    "slow": {"latency_ms": 1500},
    "5xx": {"error_rate": 1.0},
    "429": {"rate_limit_rate": 1.0, "retry_after": 1.0},
    "malformed": {"malformed_rate": 1.0},
    "reset": {"reset_rate": 1.0},
    "stopped": None,
}
LIFETIME = 0.3


@pytest.fixture(autouse=True)
def impatient(settings, quick_retries):
    settings.PINECONE_CONNECT_TIMEOUT = 0.3
    settings.PINECONE_READ_TIMEOUT = 0.3
    settings.PINECONE_RETRIES = 1
    settings.PINECONE_RETRY_AFTER_MAX = 0.2
    settings.CACHE_TTL_LIST = LIFETIME
    settings.CACHE_TTL_RUNNING = LIFETIME
    settings.CACHE_TTL_FINISHED = LIFETIME


class Upstream:
    """The emulator the project talks to, and a way to break it one way and mend it."""

    def __init__(self, kind: str, emulator: Emulator):
        self.kind = kind
        self.emulator = emulator

    def fail(self):
        if self.kind == "stopped":
            self.emulator.stop()
            # Its handler threads would go on serving open keep-alive connections,
            # which a stopped process would not: drop the dashboard's pooled ones.
            for session in client._sessions.values():
                session.close()
        else:
            self.emulator.set_faults(**FAULTS[self.kind])

    def recover(self):
        if self.kind == "stopped":
            self.emulator.start()
        else:
            self.emulator.clear_faults()

    def calls(self, endpoint: str) -> int:
        return self.emulator.calls.get(endpoint, 0)


@pytest.fixture(params=list(FAULTS))
def upstream(request, emulator, settings):
    if request.param != "stopped":
        yield Upstream(request.param, emulator)
        if request.param == "slow":
            # A write the dashboard gave up on still lands once the latency has passed: let it land
            # now, not in the store the next test starts from (where it would delete that test's backup).
            time.sleep(FAULTS["slow"]["latency_ms"] / 1000)
        return
    # An emulator of its own, since stopping the shared one would break every later test.
    own = Emulator(host="127.0.0.1", port=0, api_key=API_KEY, seed=7).start()
    settings.RESTOREUI_PROJECTS = {"local": Project(name="local", api_key=API_KEY, host=own.url, emulated=True)}
    yield Upstream("stopped", own)
    own.stop()


def budget() -> float:
    """The longest a page may take: two upstream reads that each give up, and some rendering."""
    return 2 * cache._load_seconds() + 0.5


def a_finished_job(emulator):
    """A finished job whose backup exists, read straight from the emulator's store."""
    backups = {b.backup_id for b in emulator.store.backups.values()}
    for job in emulator.store.jobs.values():
        if job.status == "Completed" and not job.live and job.backup_id in backups:
            return job.restore_job_id, job.backup_id
    raise AssertionError("the seed data has no completed job with its backup")


def pages(emulator):
    job_id, backup_id = a_finished_job(emulator)
    return {
        "job table": "/p/local/jobs/",
        "job detail": f"/p/local/jobs/{job_id}/",
        "backup detail": f"/p/local/backups/{backup_id}/",
        "indexes": "/p/local/indexes/",
    }


def timed_get(client, path, headers=None):
    started = time.monotonic()
    response = client.get(path, headers=headers or {})
    return response, time.monotonic() - started


def text(response) -> str:
    return response.content.decode()


def test_with_nothing_cached_every_page_says_pinecone_failed_in_time(viewer_client, upstream):
    paths = pages(upstream.emulator)
    upstream.fail()
    for page, path in paths.items():
        response, took = timed_get(viewer_client, path)
        assert took < budget(), f"the {page} took {took:.1f} s to answer while Pinecone was {upstream.kind}"
        assert response.status_code in (502, 504), f"the {page} answered {response.status_code}"
        body = text(response)
        assert 'role="alert"' in body and "Pinecone" in body, f"the {page} did not say Pinecone failed"
        assert "Traceback" not in body


def test_with_an_earlier_copy_every_page_shows_it_marked_stale_with_its_age(viewer_client, upstream, clock):
    paths = pages(upstream.emulator)
    for page, path in paths.items():
        assert viewer_client.get(path).status_code == 200, f"the {page} failed with a healthy Pinecone"
    clock.advance(LIFETIME + 0.1)
    upstream.fail()
    for page, path in paths.items():
        # A list past its lifetime is answered from its last copy at once, and the refresh
        # behind that answer fails: from then on the copy is marked stale.
        for _ in range(2):
            response, took = timed_get(viewer_client, path)
            assert took < budget(), f"the {page} took {took:.1f} s to answer while Pinecone was {upstream.kind}"
            assert response.status_code == 200, f"the {page} answered {response.status_code} instead of its last copy"
            cache.settle()
        body = text(response)
        assert re.search(r"Showing what Pinecone said .+ ago", body), f"the {page} did not say its data is stale"


def poll_interval(response) -> int:
    found = re.search(r'hx-trigger="every (\d+)s"', text(response))
    assert found, "the progress region stopped polling"
    return int(found.group(1))


def a_running_job(emulator) -> str:
    return next(j.restore_job_id for j in emulator.store.jobs.values() if j.live)


@pytest.mark.parametrize("cached", [False, True], ids=["nothing-cached", "earlier-copy"])
def test_the_progress_poll_slows_down_while_failing_and_recovers_by_itself(viewer_client, upstream, cached, clock):
    path = f"/p/local/jobs/{a_running_job(upstream.emulator)}/poll"
    healthy = viewer_client.get(path, headers={"HX-Request": "true"})
    normal = poll_interval(healthy)
    if not cached:
        django_cache.clear()
    clock.advance(LIFETIME + 0.1)
    upstream.fail()
    failing, took = timed_get(viewer_client, path, {"HX-Request": "true"})
    cache.settle()
    assert took < budget()
    # htmx swaps only 2xx answers, so a failing poll must still be a 200 to show anything.
    assert failing.status_code == 200, f"the poll answered {failing.status_code}"
    assert poll_interval(failing) > normal, "the poll kept its pace while Pinecone was failing"
    upstream.recover()
    clock.advance(LIFETIME + 0.1)
    recovered = viewer_client.get(path, headers={"HX-Request": "true"})
    assert recovered.status_code == 200
    assert poll_interval(recovered) == normal, "the poll stayed slow after Pinecone came back"
    assert "Showing what Pinecone said" not in text(recovered) and 'role="alert"' not in text(recovered)


def latest_audit(action) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).first()
    assert entry is not None, f"no audit entry for {action}"
    return entry


def assert_failed_write(response, upstream, endpoint, action):
    assert response.status_code in (200, 400), f"the form answered {response.status_code}"
    assert "Location" not in response, "a failed write redirected as if it had worked"
    body = text(response)
    assert "errorlist" in body or 'role="alert"' in body, "the form showed no error"
    sent = upstream.calls(endpoint)
    # A stopped Pinecone never receives it; any other sees it exactly once, never retried.
    assert sent == (0 if upstream.kind == "stopped" else 1), f"{endpoint} was sent {sent} times"
    # Sent without a clear answer, a write may have been done: unknown, not failed.
    sent_unanswered = upstream.kind in ("slow", "5xx", "malformed", "reset")
    expected = AuditEntry.Outcome.UNKNOWN if sent_unanswered else AuditEntry.Outcome.FAILED
    assert latest_audit(action).outcome == expected


def test_a_restore_is_sent_once_and_not_reported_started(ready_backup, operator_client, upstream, settings):
    settings.CACHE_TTL_LIST = 60
    path = f"/p/local/backups/{ready_backup.id}/restore/"
    assert operator_client.get(path).status_code == 200
    upstream.fail()
    response = operator_client.post(
        path, {"name": "restored-under-fault", "tags": "", "deletion_protection": "disabled"}
    )
    assert_failed_write(response, upstream, "POST /backups/{backup_id}/create-index", AuditEntry.Action.RESTORE)


def test_a_new_backup_is_sent_once_and_not_reported_started(operator_client, upstream):
    index = next(iter(upstream.emulator.store.indexes))
    upstream.fail()
    response = operator_client.post(f"/p/local/indexes/{index}/backup/", {"name": "under-fault", "description": ""})
    assert_failed_write(response, upstream, "POST /indexes/{index_name}/backups", AuditEntry.Action.CREATE_BACKUP)


def test_a_backup_deletion_is_sent_once_and_not_reported_done(ready_backup, operator_client, upstream, settings):
    settings.CACHE_TTL_LIST = 60
    path = f"/p/local/backups/{ready_backup.id}/delete/"
    assert operator_client.get(path).status_code == 200
    upstream.fail()
    response = operator_client.post(path, {"confirm": ready_backup.name})
    assert_failed_write(response, upstream, "DELETE /backups/{backup_id}", AuditEntry.Action.DELETE_BACKUP)


def test_a_page_stops_retrying_when_its_time_budget_is_spent(settings, viewer_client, emulator):
    settings.PINECONE_RETRIES = 5
    settings.PINECONE_RETRY_AFTER_MAX = 10.0
    settings.RESTOREUI_PAGE_TIME_BUDGET = 3.0
    emulator.set_faults(rate_limit_rate=1.0, retry_after=5.0)
    response = viewer_client.get("/p/local/jobs/")
    assert emulator.calls == {"GET /restore-jobs": 1}, "the page went on retrying past its time budget"
    assert "rate-limiting" in response.content.decode()
