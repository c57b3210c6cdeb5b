"""The coverage overview and the schedule pages in Chromium, on API 2026-07: photographed, and used."""

import pytest
from browsing import ARTIFACTS, log_in
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WIDTHS = [1280, 375]
SCHEMES = ["light", "dark"]


def nightly(emulator, index="support-tickets"):
    store = emulator.store
    index_id = store.indexes[index].index_id
    return next(s for s in store.schedules.values() if s.index_id == index_id and s.enabled)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_coverage_and_schedule_pages_fit_the_width_and_are_photographed(
    new_page, operator, scheduling_project, emulator, width, scheme
):
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    schedule = nightly(emulator)
    screens = {
        "coverage": reverse("project", args=["local"]),
        "schedule-detail": reverse("schedules-detail", args=["local", "support-tickets", schedule.schedule_id]),
        "index-schedules": reverse("indexes-detail", args=["local", "support-tickets"]),
    }
    too_wide = []
    for name, path in screens.items():
        page.goto(path)
        page.screenshot(path=folder / f"{name}-{width}-{scheme}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide.append(f"{name} is {scroll_width} px wide")
    assert not too_wide, f"At {width} px ({scheme}) these screens scroll sideways: {'; '.join(too_wide)}"


def test_an_operator_finds_the_failed_run_and_pauses_its_schedule(operator_page, scheduling_project, emulator):
    page = operator_page
    page.goto(reverse("project", args=["local"]))
    page.get_by_label("last scheduled run failed").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.coverage tbody tr")).to_have_count(1)
    assert "flag=failed" in page.url
    page.locator("table.coverage tbody tr").get_by_role("link", name="daily").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("tickets-nightly")
    page.get_by_role("button", name="Disable schedule").click()
    expect(page.get_by_role("status")).to_contain_text("disabled")
    assert not emulator.store.schedules[
        next(s.schedule_id for s in emulator.store.schedules.values() if s.name == "tickets-nightly")
    ].enabled
