"""The Content-Security-Policy holds on every page: nothing the pages do is blocked by it."""

import pytest
from browsing import job_path, log_in, main_pages, running_job
from django.urls import reverse

pytestmark = pytest.mark.e2e

LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`);
});
"""


@pytest.fixture
def watched_page(new_page):
    """A page whose CSP violations and CSP console errors land in page.violations."""
    page = new_page()
    page.violations = []
    page.expose_function("reportViolation", lambda text: page.violations.append(text))
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            page.violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def test_the_violation_listener_notices_a_blocked_inline_script(watched_page):
    watched_page.goto("/login/")
    watched_page.evaluate("document.head.append(Object.assign(document.createElement('script'), {textContent: '1'}))")
    watched_page.wait_for_timeout(200)
    assert watched_page.violations, "An inline script without a nonce should have been reported as blocked"


def test_no_page_trips_the_content_security_policy(watched_page, operator, project):
    page = watched_page
    response = page.goto("/login/")
    assert "script-src 'self' 'nonce-" in response.headers.get("content-security-policy", ""), (
        "The login page was served without its Content-Security-Policy"
    )
    log_in(page, "operator", "operator-pass")
    for path in main_pages(project).values():
        page.goto(path, wait_until="networkidle")

    # htmx swaps: a filter change on the table, then a poll of a running job.
    page.goto(reverse("jobs-list", args=[project.name]))
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Failed", exact=True).check()
    page.goto(job_path(project, running_job(project).id))
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true", timeout=10_000):
        pass
    page.wait_for_timeout(300)

    assert not page.violations, "The Content-Security-Policy blocked:\n" + "\n".join(page.violations)
