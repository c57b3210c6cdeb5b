"""The job page's Notifications card in a browser: subscribe a target, see it, never its URL."""

import pytest
from browsing import ARTIFACTS, job_path, running_job
from playwright.sync_api import expect

from restoreui.notifications.targets import Target
from restoreui.projects import Project

pytestmark = pytest.mark.e2e


def test_an_operator_subscribes_the_incident_channel_to_a_running_job(operator_page, project, settings):
    notifying = Project(
        name=project.name,
        api_key=project.api_key,
        host=project.host,
        emulated=True,
        notify=(
            Target(
                "incidents", "slack", "https://hooks.slack.com/services/T0/B0/s3cr3t", frozenset({"restore_failed"})
            ),
            Target("pager", "webhook", "https://pager.example.com/hook/s3cr3t"),
        ),
    )
    settings.RESTOREUI_PROJECTS = {project.name: notifying}
    page = operator_page
    page.goto(job_path(notifying, running_job(notifying).id))
    card = page.locator("section", has=page.get_by_role("heading", name="Notifications"))
    expect(card).to_contain_text("No target is subscribed to this job.")
    expect(card).to_contain_text("incidents hears of every failed restore in this project.")
    card.get_by_label("Target").select_option("pager")
    card.get_by_role("button", name="Subscribe", exact=True).click()

    expect(page.locator(".messages")).to_contain_text("pager will be told when this restore job ends.")
    expect(card).to_contain_text("Told when this job ends: pager.")
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=folder / "job-notifications-1280-light.png")
    assert "s3cr3t" not in page.content(), "the job page shows a webhook URL"
