"""What a page answers when Pinecone fails, by kind of failure and of request (views/errors.py).

A full page gets the styled error page of its section; an htmx region gets a fragment it can
swap (htmx swaps only 2xx answers); a subject that is gone stops the poll that watches it; a
write sent without a clear answer says it may or may not have been carried out. Each case
talks to the emulator with one fault switched fully on.
"""

from html import unescape

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from restoreui.models import AuditEntry
from restoreui.pinecone import cache as pinecone_cache
from restoreui.projects import Project
from tests.conftest import API_KEY
from tests.upstream import upstream_jobs

pytestmark = pytest.mark.django_db

FAULTS = {
    "rate-limited": ({"rate_limit_rate": 1.0, "retry_after": 1.0}, "Pinecone is rate-limiting requests"),
    "unavailable": ({"error_rate": 1.0}, "Pinecone is having trouble (HTTP 5"),
    "bad answer": ({"malformed_rate": 1.0}, "Pinecone cannot be used right now"),
}
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def no_retries(settings):
    settings.PINECONE_RETRIES = 0
    settings.PINECONE_RETRY_AFTER_MAX = 0.1


def text(response) -> str:
    return unescape(response.content.decode())


def words(response) -> str:
    """What a reader sees: the page without its markup."""
    return " ".join(strip_tags(text(response)).split())


def a_running_job(emulator) -> str:
    return next(j.id for j in upstream_jobs(emulator) if not j.finished)


def a_ready_backup(emulator) -> str:
    return next(b.backup_id for b in emulator.store.backups.values() if b.status == "Ready")


def an_index(emulator) -> str:
    return next(iter(emulator.store.indexes))


# -- not found


@pytest.mark.parametrize(
    ("url_name", "subject", "tab", "says"),
    [
        ("jobs-detail", "job_id", "Restore jobs", "has no restore job no-such-thing"),
        ("backups-detail", "backup_id", "Backups", "has no backup no-such-thing"),
        ("indexes-detail", "index_name", "Indexes", "has no index named no-such-thing"),
    ],
)
def test_a_page_whose_subject_is_not_there_is_a_404_of_its_section(viewer_client, url_name, subject, tab, says):
    response = viewer_client.get(reverse(url_name, kwargs={"project_name": "local", subject: "no-such-thing"}))
    assert response.status_code == 404
    assert says in words(response), "the page did not say what is missing"
    assert f'aria-current="page">{tab}<' in text(response), f"the header lost its {tab} tab"


def test_a_schedule_that_is_not_there_is_a_404_of_the_indexes_section(viewer_client, emulator, scheduling_project):
    url = reverse("schedules-detail", args=["local", an_index(emulator), "no-such-schedule"])
    response = viewer_client.get(url)
    assert response.status_code == 404
    assert "has no backup schedule no-such-schedule" in words(response)


def test_a_schedule_page_on_an_api_without_schedules_is_a_note(viewer_client, emulator, project_2026_04):
    response = viewer_client.get(reverse("schedules-detail", args=["local", an_index(emulator), "any"]))
    assert response.status_code == 404
    assert "Backup schedules are not available on API 2026-04" in text(response)
    assert "Pinecone could not answer" not in text(response), "a missing feature was shown as an upstream failure"


def test_a_poll_of_a_job_that_is_not_there_says_so_and_stops(viewer_client):
    response = viewer_client.get(reverse("jobs-detail-poll", args=["local", "no-such-job"]), headers=HTMX)
    assert response.status_code == 286, "the open page would keep polling a job that is gone"
    assert "hx-trigger" not in text(response)


def test_the_poll_url_opened_by_hand_for_a_missing_job_is_the_not_found_page(viewer_client):
    response = viewer_client.get(reverse("jobs-detail-poll", args=["local", "no-such-job"]))
    assert response.status_code == 404 and "No such restore job" in text(response)


# -- rate-limited, unavailable, a bad answer


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    ("url_name", "tab"),
    [("jobs-list", "Restore jobs"), ("backups-list", "Backups"), ("indexes-list", "Indexes"), ("project", "Coverage")],
)
def test_a_full_page_gets_the_error_page_of_its_section(viewer_client, emulator, fault, url_name, tab):
    faults, says = FAULTS[fault]
    emulator.set_faults(**faults)
    response = viewer_client.get(reverse(url_name, args=["local"]))
    assert response.status_code == 502
    body = text(response)
    assert "Pinecone could not answer" in body and says in body, f"a {fault} Pinecone was not explained"
    assert f'aria-current="page">{tab}<' in body, f"the error page lost its {tab} tab"


@pytest.mark.parametrize("fault", FAULTS)
def test_the_job_table_region_shows_the_error_and_keeps_retrying(viewer_client, emulator, fault):
    faults, says = FAULTS[fault]
    emulator.set_faults(**faults)
    response = viewer_client.get(reverse("jobs-list", args=["local"]), headers=HTMX)
    assert response.status_code == 200, "htmx would not swap the error in"
    body = text(response)
    assert body.lstrip().startswith('<div id="jobs-table"') and says in body
    assert 'hx-trigger="every 30s"' in body, "the table would stay broken after Pinecone recovers"
    assert "<html" not in body


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("url_name", ["backups-list", "project"])
def test_a_table_without_an_error_state_gets_the_banner_inside_it(viewer_client, emulator, fault, url_name):
    faults, says = FAULTS[fault]
    emulator.set_faults(**faults)
    response = viewer_client.get(reverse(url_name, args=["local"]), headers=HTMX)
    assert response.status_code == 200, "htmx would ignore the answer and show nothing"
    assert response["HX-Reswap"] == "innerHTML", "the banner would replace the table region, and later swaps fail"
    body = text(response)
    assert 'role="alert"' in body and says in body and "<html" not in body


@pytest.mark.parametrize("fault", FAULTS)
def test_the_progress_poll_shows_the_error_and_slows_down(viewer_client, emulator, fault):
    job_id = a_running_job(emulator)
    faults, says = FAULTS[fault]
    emulator.set_faults(**faults)
    response = viewer_client.get(reverse("jobs-detail-poll", args=["local", job_id]), headers=HTMX)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<section id="job-progress"') and says in body
    assert 'hx-trigger="every 15s"' in body, "the poll kept its pace while Pinecone failed"


def test_a_page_that_answers_only_whole_pages_does_so_for_htmx_too(viewer_client, emulator):
    job_id = a_running_job(emulator)
    emulator.set_faults(error_rate=1.0)
    response = viewer_client.get(reverse("jobs-detail", args=["local", job_id]), headers=HTMX)
    assert response.status_code == 502 and "<html" in text(response)


def test_an_htmx_table_with_an_earlier_copy_shows_the_copy(viewer_client, emulator, settings, clock):
    url = reverse("backups-list", args=["local"])
    assert viewer_client.get(url, headers=HTMX).status_code == 200
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    # The first table after the list's lifetime is its copy; the refresh behind that answer fails.
    assert viewer_client.get(url, headers=HTMX).status_code == 200
    pinecone_cache.settle()
    response = viewer_client.get(url, headers=HTMX)
    assert response.status_code == 200 and "HX-Reswap" not in response
    body = text(response)
    assert body.lstrip().startswith('<div id="backups-table"') and "Showing what Pinecone said" in body


# -- a write with no clear answer


def test_a_write_sent_without_an_answer_may_or_may_not_have_been_done(operator_client, emulator):
    index = an_index(emulator)
    emulator.set_faults(error_rate=1.0)
    response = operator_client.post(reverse("indexes-backup", args=["local", index]), {"name": "nightly-check"})
    assert response.status_code == 400
    assert "The backup may or may not have been started" in text(response)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE_BACKUP)
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN


def test_a_write_that_never_left_says_what_stopped_it(operator_client, settings):
    # Nothing listens on port 9 here: the connection is refused, so the write surely never reached Pinecone.
    settings.RESTOREUI_PROJECTS = {"local": Project(name="local", api_key=API_KEY, host="http://127.0.0.1:9")}
    response = operator_client.post(reverse("indexes-backup", args=["local", "products"]), {"name": "nightly-check"})
    assert response.status_code == 400
    body = text(response)
    assert "Pinecone cannot be used right now" in body
    assert "may or may not" not in body, "a write that was never sent was reported as perhaps done"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE_BACKUP)
    assert entry.outcome == AuditEntry.Outcome.FAILED


def test_a_refused_write_is_put_in_the_write_s_own_words(operator_client):
    response = operator_client.post(reverse("indexes-backup", args=["local", "no-such-index"]), {"name": "n"})
    assert response.status_code == 400
    assert "Project local has no index named “no-such-index”." in text(response)
    assert AuditEntry.objects.get(action=AuditEntry.Action.CREATE_BACKUP).outcome == AuditEntry.Outcome.FAILED


def test_a_page_turned_away_busy_says_so_and_asks_again_by_itself(viewer_client, settings):
    """Everyone opening one link at once: each waits a different few seconds, then the page comes back."""
    settings.PINECONE_CONCURRENT_CALLS = 0
    pinecone_cache.cache.clear()
    pauses = set()
    for _ in range(12):
        response = viewer_client.get(reverse("jobs-list", args=["local"]))
        assert response.status_code == 503
        assert "restoreui is busy" in response.text
        pause = int(response["Retry-After"])
        assert f'<meta http-equiv="refresh" content="{pause}">' in response.text
        assert f"tries again by itself in {pause} seconds" in response.text
        pauses.add(pause)
    assert pauses <= set(range(2, 6)) and len(pauses) > 1, "every viewer would come back at the same moment"


def test_other_upstream_failures_do_not_reload_by_themselves(viewer_client, emulator):
    emulator.set_faults(error_rate=1.0)
    response = viewer_client.get(reverse("jobs-list", args=["local"]))
    assert response.status_code == 502
    assert "Retry-After" not in response and 'http-equiv="refresh"' not in response.text
