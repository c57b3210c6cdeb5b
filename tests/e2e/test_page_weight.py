"""Everything comes from restoreui itself, and the job table stays light on a slow phone link."""

import gzip
from urllib.parse import urlsplit

import pytest
from browsing import log_in, main_pages

pytestmark = pytest.mark.e2e

# Compressed bytes for a cold load of a main screen with every file it loads (fonts included: there are none).
BUDGET = 35 * 1024


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_every_request_goes_to_restoreui_itself(new_page, operator, project, live_server):
    page = new_page()
    elsewhere = []
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if r.url.startswith("http") and origin(r.url) != live_server.url else None,
    )
    failed = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "no-such-job" not in r.url else None,
    )
    page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
    page.goto("/login/")
    log_in(page, "operator", "operator-pass")

    for path in main_pages(project).values():
        page.goto(path, wait_until="networkidle")

    assert not elsewhere, f"Pages asked other sites for: {sorted(set(elsewhere))}"
    assert not failed, f"Requests failed: {failed}"


@pytest.mark.parametrize("screen", ["job-table", "backup-list", "job-detail", "coverage"])
def test_a_cold_load_of_a_main_screen_stays_under_budget(new_page, operator, project, screen):
    first = new_page()
    log_in(first, "operator", "operator-pass")
    # A fresh context has an empty cache; it carries over only the session cookie.
    page = new_page(storage_state=first.context.storage_state())
    responses = []
    page.on("response", lambda response: responses.append(response))

    page.goto(main_pages(project)[screen], wait_until="networkidle")

    sizes = {}
    for response in responses:
        if response.status in (301, 302, 304):
            continue
        sizes[urlsplit(response.url).path] = len(gzip.compress(response.body()))
    kinds = {urlsplit(r.url).path.rsplit(".", 1)[-1] for r in responses}
    fonts = [r.url for r in responses if r.request.resource_type == "font"]
    assert not fonts, f"The {screen} loads web fonts: {fonts}"
    assert {"css", "js"} <= kinds, f"The {screen} loaded without its stylesheet or scripts: {sorted(sizes)}"
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex", (
        "The stylesheet did not apply"
    )
    total = sum(sizes.values())
    listing = ", ".join(f"{path} {size / 1024:.1f} KB" for path, size in sorted(sizes.items()))
    print(f"\n{screen}, cold load: {total / 1024:.1f} KB gzipped ({listing})")
    assert total < BUDGET, f"The {screen}'s first load weighs {total / 1024:.1f} KB gzipped: {listing}"
