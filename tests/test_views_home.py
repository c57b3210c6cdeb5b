"""The front door: which project to look at, the project switcher and the time-zone switch."""

import re

import pytest
from django.urls import reverse

from pages import text
from restoreui.projects import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def several(settings, emulator):
    """Three projects, all served by the one emulator; staging is read-only."""
    def project(name, **kwargs):
        return Project(name=name, api_key=emulator.api_key, host=emulator.url, emulated=True, **kwargs)

    settings.RESTOREUI_PROJECTS = {p.name: p for p in (project("dev"), project("staging", read_only=True), project("prod"))}
    return settings.RESTOREUI_PROJECTS


def test_with_one_project_home_opens_its_restore_jobs(viewer_client):
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs-list", args=["local"]), "one project did not open straight away"


def test_with_several_projects_home_lists_them(viewer_client, several):
    response = viewer_client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200, "several projects did not get a list to choose from"
    for name in several:
        assert f'href="{reverse("jobs-list", args=[name])}"' in html, f"project {name} was not offered"
    assert "staging (read-only)" in text(response), "the read-only project was not marked"


def test_the_project_switcher_shows_where_you_are(viewer_client, several):
    html = viewer_client.get(reverse("jobs-list", args=["staging"])).content.decode()
    switcher = re.search(r'<details class="switcher">.*?</details>', html, re.S)
    assert switcher, "with several projects there was no switcher"
    assert "Project: <strong>staging</strong>" in switcher.group(0), "the switcher did not name the current project"
    current = re.findall(r'<a href="([^"]+)" aria-current="true">', switcher.group(0))
    assert current == [reverse("jobs-list", args=["staging"])]
    for name in several:
        assert reverse("jobs-list", args=[name]) in switcher.group(0)


def test_with_one_project_there_is_no_switcher(viewer_client):
    html = viewer_client.get(reverse("jobs-list", args=["local"])).content.decode()
    assert 'class="switcher"' not in html
    assert "Project <strong>local</strong>" in html, "the page did not say which project it is about"


def test_a_project_s_address_opens_its_coverage_overview(viewer_client):
    response = viewer_client.get(reverse("project", args=["local"]))
    assert response.status_code == 200 and "Coverage: can we restore" in text(response)


@pytest.mark.parametrize("path", ["/p/nope/", "/p/nope/jobs/", "/p/nope/backups/", "/p/nope/indexes/", "/p/nope/search/?q=x"])
def test_an_unknown_project_answers_404_naming_it(viewer_client, emulator, path):
    response = viewer_client.get(path)
    assert response.status_code == 404
    assert "There is no project named “nope” in this restoreui." in text(response), f"{path} did not say why"
    assert emulator.stats()["total"] == 0, "an unknown project reached Pinecone"


def test_the_time_zone_switch_remembers_local_time_and_goes_back(viewer_client):
    back = reverse("jobs-list", args=["local"]) + "?status=failed&sort=-duration"
    response = viewer_client.post(reverse("prefs-timezone"), {"tz": "local", "next": back})
    assert response.status_code == 302 and response["Location"] == back, "the switch lost the filtered view"
    html = viewer_client.get(back).content.decode()
    assert 'data-tz="local"' in html and "Times: local" in html, "the page did not switch to local time"


def test_the_time_zone_choice_follows_the_user_to_a_new_login(client, viewer):
    client.force_login(viewer)
    client.post(reverse("prefs-timezone"), {"tz": "local", "next": "/"})
    client.logout()
    client.force_login(viewer)
    html = client.get(reverse("jobs-list", args=["local"])).content.decode()
    assert 'data-tz="local"' in html, "the choice of local time was forgotten at the next login"


def test_the_time_zone_switch_goes_back_to_utc(viewer_client):
    viewer_client.post(reverse("prefs-timezone"), {"tz": "local", "next": "/"})
    viewer_client.post(reverse("prefs-timezone"), {"tz": "utc", "next": "/"})
    html = viewer_client.get(reverse("jobs-list", args=["local"])).content.decode()
    assert 'data-tz="utc"' in html and "Times: UTC" in html


def test_an_unknown_time_zone_means_utc(viewer_client):
    viewer_client.post(reverse("prefs-timezone"), {"tz": "Europe/Paris", "next": "/"})
    html = viewer_client.get(reverse("jobs-list", args=["local"])).content.decode()
    assert 'data-tz="utc"' in html


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/p/local/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_the_time_zone_switch_never_sends_you_off_site(viewer_client, target):
    response = viewer_client.post(reverse("prefs-timezone"), {"tz": "local", "next": target})
    assert response["Location"] == "/", f"next={target!r} sent the operator to {response['Location']}"


def test_the_time_zone_switch_only_takes_a_post(viewer_client):
    assert viewer_client.get(reverse("prefs-timezone"), {"tz": "local"}).status_code == 405


def test_a_logged_out_visitor_is_sent_to_log_in_and_back(client, emulator):
    url = reverse("jobs-list", args=["local"]) + "?status=failed"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/p/local/jobs/%3Fstatus%3Dfailed", response["Location"]
    assert emulator.stats()["total"] == 0
