"""Incident flows in the browser: restore to before a time, and triage in the job table at 1280 px."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from browsing import ARTIFACTS, log_in
from django.urls import reverse
from playwright.sync_api import expect

from restoreui.pinecone import service

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "screenshots"
BERLIN = "Europe/Berlin"


def ready_products_backups(project):
    found = [
        b for b in service.list_backups(project).value.items if b.source_index_name == "products" and b.state == "ready"
    ]
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_operator_restores_an_index_to_before_a_local_time(new_page, operator, project, scheme):
    second = ready_products_backups(project)[1]
    moment = second.created_at + timedelta(minutes=2)
    local = moment.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M")
    page = new_page(timezone_id=BERLIN, color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    page.get_by_role("button", name="Times: UTC").click()
    page.goto(reverse("indexes-detail", args=[project.name, "products"]))

    section = page.get_by_role("region", name="Restore to before…")
    expect(section.get_by_role("combobox")).to_have_value("local")
    section.get_by_role("textbox", name="Time").fill(local)
    shoot(page, f"index-restore-before-form-1280-{scheme}")
    section.get_by_role("button", name="Find the backup").click()

    page.wait_for_url("**/restore-to-before/?before=*")
    assert parse_qs(urlsplit(page.url).query) == {"before": [moment.strftime("%Y-%m-%dT%H:%MZ")]}, (
        f"{local} in Berlin was not read as {moment:%H:%M} UTC: {page.url}"
    )
    expect(page.get_by_role("heading", name="Last Ready backup before that time")).to_be_visible()
    expect(page.locator("table.compare")).to_contain_text(second.short_id)
    shoot(page, f"restore-before-1280-{scheme}")

    page.get_by_role("link", name="Restore the chosen backup").click()
    expect(page.get_by_label("New index name")).to_have_value(f"products-restore-{second.created_at:%Y%m%d-%H%M}")
    shoot(page, f"restore-form-prefilled-1280-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_restore_to_before_works_on_a_phone_without_javascript(new_page, operator, project, scheme):
    second = ready_products_backups(project)[1]
    moment = second.created_at + timedelta(minutes=2)
    page = new_page(viewport={"width": 375, "height": 800}, java_script_enabled=False, color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    page.goto(reverse("indexes-detail", args=[project.name, "products"]))
    page.get_by_role("textbox", name="Time").fill(moment.strftime("%Y-%m-%d %H:%M"))
    page.get_by_role("button", name="Find the backup").click()
    expect(page.locator("table.compare")).to_contain_text(second.short_id)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways on a phone"
    shoot(page, f"restore-before-375-{scheme}")

    page.get_by_role("combobox").select_option("local")
    page.get_by_role("textbox", name="Time").fill("14:30")
    page.get_by_role("button", name="Find the backup").click()
    expect(page.get_by_role("alert")).to_contain_text("Your browser did not send its time zone")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_job_table_keeps_to_one_line_per_row_at_1280_px(new_page, viewer, project, scheme):
    page = new_page(color_scheme=scheme)
    log_in(page, "viewer", "viewer-pass")
    page.goto(reverse("jobs-list", args=[project.name]))
    shoot(page, f"job-table-triage-1280-{scheme}")
    heights = page.locator("#jobs-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 1.5 * min(heights), f"some rows wrap onto a second line: heights {sorted(set(heights))}"
    overflow = page.locator("#jobs-table .table-wrap").evaluate("wrap => wrap.scrollWidth - wrap.clientWidth")
    assert overflow <= 0, f"the job table scrolls sideways at 1280 px, by {overflow} px"

    page.goto(reverse("jobs-list", args=[project.name]) + "?status=failed&index=restore")
    expect(page.locator("#jobs-table progress.failed").first).to_be_visible()
    shoot(page, f"job-table-failed-1280-{scheme}")


def test_failed_jobs_show_where_they_stopped_in_red(new_page, viewer, project, reporting_progress):
    page = new_page()
    log_in(page, "viewer", "viewer-pass")
    stopped = next(
        j for j in service.list_restore_jobs(project).value.items if j.state == "failed" and j.percent_complete
    )
    page.goto(reverse("jobs-list", args=[project.name]) + f"?status=failed&q={stopped.id}")
    bar = page.locator("#jobs-table progress.failed")
    expect(bar).to_have_attribute("aria-label", re.compile(r"^Failed at \d+(\.\d)?%$"))
    colour = bar.evaluate("el => getComputedStyle(el).accentColor")
    assert colour in ("rgb(196, 33, 60)",), f"the failed bar is drawn in {colour}, not the danger red"
    page.goto(reverse("jobs-list", args=[project.name]) + "?status=failed")
    shoot(page, "job-table-failed-at-1280-light")


@pytest.mark.parametrize(
    "look", [{}, {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"}], ids=["desktop", "phone-dark"]
)
def test_a_page_turned_away_busy_comes_back_by_itself(new_page, viewer, project, settings, look):
    """Everyone opening the incident link at once: a page turned away busy loads itself a few seconds later."""
    settings.PINECONE_CONCURRENT_CALLS = 0
    page = new_page(**look)
    log_in(page, "viewer", "viewer-pass")
    page.goto(reverse("jobs-list", args=[project.name]))
    expect(page.get_by_text("restoreui is busy")).to_be_visible()
    expect(page.get_by_text(re.compile(r"tries again by itself in [2-5] seconds"))).to_be_visible()
    page.screenshot(path=ARTIFACTS / "screenshots" / f"busy-{'phone-dark' if look else 'desktop'}.png", full_page=True)
    settings.PINECONE_CONCURRENT_CALLS = 3
    expect(page.locator("table.list-table")).to_be_visible(timeout=8_000)
    expect(page.get_by_text("restoreui is busy")).to_have_count(0)
