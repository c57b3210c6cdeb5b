"""On a phone the table filters fold behind a "Filters (n)" toggle; on a wide screen they show."""

import pytest
from browsing import ARTIFACTS, log_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path, form", [("/p/local/jobs/", "#jobs-filters"), ("/p/local/backups/", "#backups-filters")])
def test_on_a_phone_the_filters_are_folded_and_open_on_tap(new_page, viewer, path, form):
    page = new_page(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    log_in(page, "viewer", "viewer-pass")
    page.goto(path)
    toggle = page.locator("details.filters-toggle > summary")
    assert toggle.inner_text() == "Filters (0)"
    assert not page.locator(form).is_visible(), "the filters take the phone's first screen"
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    name = form.strip("#")
    page.screenshot(path=folder / f"{name}-375-folded.png")
    toggle.tap()
    assert page.locator(form).is_visible(), "tapping the toggle did not show the filters"
    page.screenshot(path=folder / f"{name}-375-open.png")


def test_on_a_phone_a_set_filter_is_counted_and_the_filters_start_open(new_page, viewer):
    page = new_page(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    log_in(page, "viewer", "viewer-pass")
    page.goto("/p/local/jobs/?status=failed&since=30d")
    assert page.locator("details.filters-toggle > summary").inner_text() == "Filters (2)"
    assert page.locator("#jobs-filters").is_visible()
    page.locator("#jobs-filters input[name=q]").fill("zz")
    page.locator("#jobs-filters input[name=q]").press("Enter")
    page.locator("#jobs-filters-set", has_text="3").wait_for()


@pytest.mark.parametrize("path, form", [("/p/local/jobs/", "#jobs-filters"), ("/p/local/backups/", "#backups-filters")])
def test_on_a_wide_screen_the_filters_show_without_a_tap(new_page, viewer, path, form):
    page = new_page()
    log_in(page, "viewer", "viewer-pass")
    page.goto(path)
    page.locator(form).wait_for(state="visible")
    assert not page.locator("details.filters-toggle > summary").is_visible(), "a wide screen shows a needless toggle"
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "screenshots" / f"{form.strip('#')}-1280.png")


def test_the_not_found_page_wears_the_dashboard_s_header_and_styles(new_page, viewer):
    page = new_page(viewport={"width": 375, "height": 800})
    log_in(page, "viewer", "viewer-pass")
    response = page.goto("/p/nowhere/jobs/")
    assert response.status == 404
    header = page.locator("header.top")
    assert header.evaluate("e => getComputedStyle(e).display") == "flex", "the stylesheet did not load"
    page.get_by_role("link", name="Back to the projects of restoreui").wait_for()
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "screenshots" / "not-found-375.png")
