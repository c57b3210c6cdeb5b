"""What people do with restoreui, end to end: log in, share a filtered table, watch a restore."""

import re
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from browsing import ARTIFACTS, job_path, log_in, path_of, ready_backup, running_job, waiting_job
from django.urls import reverse
from playwright.sync_api import expect

from restoreui.lib.formatting import percent
from restoreui.pinecone import service
from restoreui.views.jobs import POLL_EVERY

pytestmark = pytest.mark.e2e

PROGRESS = "#job-progress progress"


def job_ids_in_table(page) -> list[str]:
    links = page.locator("#jobs-table tbody tr td:first-child a")
    return links.evaluate_all("links => links.map(a => a.pathname.split('/').filter(Boolean).pop())")


def test_a_user_logs_in_through_the_form_and_lands_on_the_job_table(new_page, viewer, project):
    page = new_page()
    page.goto("/")
    assert path_of(page.url) == reverse("login"), f"A logged-out visitor saw {page.url}, not the login page"

    log_in(page, "viewer", "viewer-pass")

    assert path_of(page.url) == reverse("jobs-list", args=[project.name])
    expect(page.get_by_role("heading", level=1)).to_have_text("Restore jobs")
    expect(page.locator("#jobs-table tbody tr")).to_have_count(25)
    expect(page.get_by_role("button", name="Log out viewer")).to_be_visible()


def test_a_filtered_table_is_a_url_a_teammate_opens_to_the_same_rows(viewer_page, new_page, django_user_model, project):
    jobs = service.list_restore_jobs(project).value.items
    wanted_states = {"completed", "failed"}
    index, _ = Counter(j.target_index_name for j in jobs if j.state in wanted_states).most_common(1)[0]
    expected = [j for j in jobs if j.state in wanted_states and j.target_index_name == index]
    assert 0 < len(expected) <= 25, "The chosen filter should fit on one page"
    other = [j for j in jobs if j.state not in wanted_states or j.target_index_name != index]
    assert other, "The unfiltered table should hold jobs the filter leaves out"

    page = viewer_page
    page.goto(reverse("jobs-list", args=[project.name]))
    page.get_by_label("Completed", exact=True).check()
    page.get_by_label("Failed", exact=True).check()
    page.get_by_label("Target index").fill(index)
    page.get_by_label("Target index").press("Enter")

    expect(page).to_have_url(re.compile(r"index="))
    query = parse_qs(urlsplit(page.url).query)
    assert sorted(query["status"]) == ["completed", "failed"], f"The URL did not carry the ticked statuses: {page.url}"
    assert query["index"] == [index], f"The URL did not carry the index name: {page.url}"
    expect(page.locator("#jobs-table tbody tr")).to_have_count(len(expected))
    shown = job_ids_in_table(page)
    assert set(shown) == {j.id for j in expected}, "The filtered table showed other jobs than the filter selects"

    django_user_model.objects.create_user("teammate", password="teammate-pass")
    teammate = new_page()
    log_in(teammate, "teammate", "teammate-pass")
    teammate.goto(page.url)
    expect(teammate.locator("#jobs-table tbody tr")).to_have_count(len(expected))
    assert job_ids_in_table(teammate) == shown, "A teammate opening the shared URL saw other rows"
    expect(teammate.get_by_label("Completed", exact=True)).to_be_checked()
    expect(teammate.get_by_label("Failed", exact=True)).to_be_checked()
    expect(teammate.get_by_label("Running", exact=True)).not_to_be_checked()
    expect(teammate.get_by_label("Target index")).to_have_value(index)


# Progress reporting goes on before logging in, which loads (and caches) the job list.
def test_a_running_job_shows_its_progress_rising_and_the_tab_title_follows(reporting_progress, viewer_page, project):
    job = running_job(project)
    page = viewer_page
    page.goto(job_path(project, job.id))
    first = float(page.locator(PROGRESS).get_attribute("value"))
    page.evaluate("window.notReloaded = true")

    page.wait_for_function(
        "first => parseFloat(document.querySelector('#job-progress progress').getAttribute('value')) > first",
        arg=first,
        timeout=15_000,
    )

    value = float(page.locator(PROGRESS).get_attribute("value"))
    assert page.evaluate("window.notReloaded") is True, "The page reloaded instead of updating in place"
    # htmx settles a swap (and the title follows) a few milliseconds after the bar changes.
    expect(page).to_have_title(f"{percent(value)} restore -> {job.target_index_name} · {project.name}", timeout=2_000)


def test_an_operator_restores_a_backup_and_the_whole_job_page_follows_it_to_completed(fast_project, operator_page):
    project, page = fast_project, operator_page
    backup = ready_backup(project)
    target = "products-restore-e2e"
    polls = []
    page.on("response", lambda response: polls.append((path_of(response.url), response.status, time.monotonic())))

    page.goto(reverse("backups-detail", args=[project.name, backup.id]))
    page.get_by_role("link", name="Restore into a new index").click()
    page.get_by_label("New index name").fill(target)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Start restore in {project.name}").click()

    assert re.fullmatch(rf"/p/{project.name}/jobs/[^/]+/", path_of(page.url)), (
        f"After starting a restore the user saw {page.url}"
    )
    poll_path = path_of(page.url) + "poll"
    expect(page.locator(".messages")).to_contain_text(f"Restore started: {backup.display_name} into new index {target}")
    assert not page.title().startswith("Completed"), "The job should still be running when its page first loads"
    details = page.locator("#job-details")
    status = details.locator("dt:text-is('Status (as reported)') + dd")
    completed = details.locator("dt:text-is('Completed') + dd")
    expect(status).to_have_text("Pending")
    expect(completed).to_have_text("—")
    page.evaluate("window.notReloaded = true")

    expect(page).to_have_title(f"Completed restore -> {target} · {project.name}", timeout=20_000)
    finished_at = time.monotonic()
    assert page.evaluate("window.notReloaded") is True, "The page reloaded instead of updating in place"
    expect(page.locator(PROGRESS)).to_have_attribute("value", "100")
    expect(page.locator("#job-progress")).to_contain_text("Finished: 100%.")
    expect(status).to_have_text("Completed")
    expect(completed.locator("time")).to_have_count(1)
    markdown = page.get_by_role("button", name="Copy as Markdown").get_attribute("data-copy")
    assert re.search(rf"→ {target}\]\(.+\): Completed at \d{{4}}-\d\d-\d\d \d\d:\d\d UTC$", markdown), (
        f"The Markdown copy text did not follow the job: {markdown}"
    )
    expect(page.locator("#job-announce")).to_have_text(re.compile(r"Restore job \w+: Completed\."))
    assert [s for p, s, _ in polls if p == poll_path], "The page reached Completed without polling the job"

    page.wait_for_timeout(POLL_EVERY * 2.5 * 1000)
    late = [t for p, _, t in polls if p == poll_path and t > finished_at]
    assert not late, f"The page kept asking for the finished job ({len(late)} more requests)"

    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        for scheme in ("light", "dark"):
            page.set_viewport_size({"width": width, "height": 800})
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=folder / f"job-completed-live-{width}-{scheme}.png", full_page=True)


def test_an_open_job_page_gets_empty_answers_while_nothing_changes_and_says_when_it_checked(viewer_page, project):
    job = waiting_job(project)
    page = viewer_page
    page.goto(job_path(project, job.id))
    checked = page.locator("#job-progress [data-checked] time")
    first = checked.get_attribute("datetime")
    page.evaluate("window.notReloaded = true")

    with page.expect_response(lambda r: r.url.endswith("/poll") and r.status == 204, timeout=20_000) as answer:
        pass
    assert answer.value.body() == b"", "The unchanged poll carried a body"

    expect(checked).not_to_have_attribute("datetime", first)
    assert page.evaluate("window.notReloaded") is True, "The page reloaded instead of updating in place"
    expect(page.locator("#job-details dt:text-is('Status (as reported)') + dd")).to_have_text("Pending")


def test_a_logged_out_teammate_opening_a_job_link_lands_on_that_job_after_login(new_page, viewer, project):
    job = running_job(project)
    link = job_path(project, job.id)
    page = new_page()
    page.goto(link)
    assert path_of(page.url) == reverse("login"), f"A logged-out visitor to a job link saw {page.url}"
    assert parse_qs(urlsplit(page.url).query).get("next") == [link]

    log_in(page, "viewer", "viewer-pass")

    assert path_of(page.url) == link, f"After logging in the teammate landed on {page.url}, not the job"
    expect(page.get_by_role("heading", level=1)).to_contain_text(job.target_index_name)
