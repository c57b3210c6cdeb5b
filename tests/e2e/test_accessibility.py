"""axe-core on every screen, light and dark: nothing serious or critical."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from browsing import log_in, main_pages

pytestmark = pytest.mark.e2e

PAGES = [
    "coverage",
    "schedule-detail",
    "job-table",
    "job-detail",
    "job-pending",
    "job-failed",
    "backup-list",
    "backup-detail",
    "restore-form",
    "delete-form",
    "index-list",
    "index-detail",
    "restore-before",
    "search-results",
    "audit",
    "job-not-found",
]
SCHEMES = ["light", "dark"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    return Axe()


def blocking_violations(axe, page) -> str:
    """The serious and critical violations on the page, one line per element, or ""."""
    results = axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            lines.append(
                f"{violation['impact']} {violation['id']}: {violation['help']} at {', '.join(map(str, node['target']))}"
                f"\n    {node.get('failureSummary', '').replace(chr(10), ' ')}"
            )
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_serious_accessibility_problems(axe, new_page, operator, project, name, scheme):
    page = new_page(color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    page.goto(main_pages(project)[name])

    found = blocking_violations(axe, page)
    assert not found, f"axe-core found problems on the {name} page ({scheme}):\n{found}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_login_page_has_no_serious_accessibility_problems(axe, new_page, scheme):
    page = new_page(color_scheme=scheme)
    page.goto("/login/")

    found = blocking_violations(axe, page)
    assert not found, f"axe-core found problems on the login page ({scheme}):\n{found}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", ["/", "/p/prod/backups/"])
def test_the_projects_overview_and_a_production_page_have_no_serious_accessibility_problems(
    axe, new_page, operator, several_projects, path, scheme
):
    page = new_page(color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    page.goto(path)

    found = blocking_violations(axe, page)
    assert not found, f"axe-core found problems on {path} ({scheme}):\n{found}"
