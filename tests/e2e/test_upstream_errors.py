"""htmx regions when Pinecone fails or the session ends, in a real browser: what htmx does with the answers."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browsing import job_path, path_of, waiting_job
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_filtered_backup_table_shows_pinecone_s_failure_in_place_and_recovers(viewer_page, emulator, project):
    page = viewer_page
    page.goto(reverse("backups-list", args=[project.name]))
    expect(page.locator("#backups-table tbody tr").first).to_be_visible()
    # No earlier copy to stand in, and every call fails.
    cache.clear()
    emulator.set_faults(error_rate=1.0)

    search = page.get_by_label("Id, name or description contains")
    search.fill("nightly")
    search.press("Enter")

    banner = page.locator("#backups-table [role=alert]")
    expect(banner).to_contain_text("Pinecone is having trouble")
    expect(page.locator("#backups-table")).to_have_count(1)

    emulator.clear_faults()
    # The failure is held for the list's lifetime, so a failing Pinecone is not asked again at once.
    cache.clear()
    search.fill("")
    search.press("Enter")
    expect(page.locator("#backups-table tbody tr").first).to_be_visible()
    expect(banner).to_have_count(0)


def test_a_poll_after_the_session_ended_takes_the_tab_to_login_and_back(viewer_page, project):
    job = waiting_job(project)
    page = viewer_page
    page.goto(job_path(project, job.id) + "?from=channel")
    page.context.clear_cookies()

    page.wait_for_url(re.compile(r"/login/"), timeout=20_000)
    assert path_of(page.url) == reverse("login")
    assert parse_qs(urlsplit(page.url).query)["next"] == [job_path(project, job.id) + "?from=channel"], (
        "after logging in again the user would not land on the job they had open"
    )
    expect(page.locator("#job-progress")).to_have_count(0)
