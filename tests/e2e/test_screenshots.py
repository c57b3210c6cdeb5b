"""Screenshots of the main screens, wide and phone-sized, light and dark, kept as artifacts.

Each screen must also fit its width: a page wider than the phone means sideways scrolling.
"""

import pytest
from browsing import ARTIFACTS, log_in, main_pages

pytestmark = pytest.mark.e2e

SCREENS = [
    "job-table",
    "job-detail",
    "job-pending",
    "job-failed",
    "backup-list",
    "backup-detail",
    "restore-form",
    "index-list",
    "index-detail",
    "restore-before",
    "delete-form",
    "audit",
]
WIDTHS = [1280, 375]
SCHEMES = ["light", "dark"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_each_main_screen_fits_the_width_and_is_photographed(new_page, operator, project, width, scheme):
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page.goto("/login/")
    page.screenshot(path=folder / f"login-{width}-{scheme}.png", full_page=True)
    log_in(page, "operator", "operator-pass")

    too_wide = []
    for name, path in main_pages(project).items():
        if name not in SCREENS:
            continue
        page.goto(path)
        page.screenshot(path=folder / f"{name}-{width}-{scheme}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide.append(f"{name} is {scroll_width} px wide")

    assert not too_wide, f"At {width} px ({scheme}) these screens scroll sideways: {'; '.join(too_wide)}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_projects_overview_and_a_production_page_fit_and_are_photographed(
    new_page, operator, several_projects, width, scheme
):
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    log_in(page, "operator", "operator-pass")

    too_wide = []
    prod = several_projects["prod"]
    screens = {"projects-overview": "/", "production-restore-form": main_pages(prod)["restore-form"]}
    for name, path in screens.items():
        page.goto(path)
        page.screenshot(path=folder / f"{name}-{width}-{scheme}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide.append(f"{name} is {scroll_width} px wide")

    assert not too_wide, f"At {width} px ({scheme}) these screens scroll sideways: {'; '.join(too_wide)}"
