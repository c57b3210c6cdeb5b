"""The front door: which project to look at, the project switcher and the time-zone switch."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from pages import rows, text
from upstream import upstream_backups, upstream_jobs

from restoreui.pinecone import cache as pinecone_cache
from restoreui.projects import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def several(settings, emulator):
    """Three projects, all served by the one emulator; staging is read-only."""

    def project(name, **kwargs):
        return Project(name=name, api_key=emulator.api_key, host=emulator.url, emulated=True, **kwargs)

    settings.RESTOREUI_PROJECTS = {
        p.name: p for p in (project("dev"), project("staging", read_only=True), project("prod"))
    }
    return settings.RESTOREUI_PROJECTS


def test_with_one_project_home_opens_its_restore_jobs(viewer_client):
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs-list", args=["local"]), "one project did not open straight away"


def test_with_several_projects_home_has_a_card_for_each(viewer_client, several):
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 200, "several projects did not get an overview"
    for name in several:
        assert f'href="{reverse("project", args=[name])}"' in card(response, name), f"project {name} was not offered"
    assert "staging (read-only)" in text(response), "the read-only project was not marked"


def card(response, name) -> str:
    found = re.search(
        rf'<section class="card project-card[^"]*"\s+aria-labelledby="project-{name}">.*?</section>',
        response.content.decode(),
        re.S,
    )
    assert found, f"project {name} has no card"
    return found.group(0)


def link(html, words) -> str:
    """The address of the link in HTML whose text holds WORDS."""
    for href, inner in re.findall(r'<a[^>]* href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        if words in " ".join(re.sub("<[^>]+>", " ", inner).split()):
            return unescape(href)
    raise AssertionError(f"no link says {words!r}")


def test_each_project_s_card_counts_its_running_restores_and_links_to_them(viewer_client, several_projects, emulator):
    running = [j for j in upstream_jobs(emulator) if not j.finished and j.state != "unknown"]
    assert running, "the seed has no running restore to count"
    html = card(viewer_client.get(reverse("home")), "dev")
    target = link(html, f"{len(running)} running")
    assert target == reverse("jobs-list", args=["dev"]) + "?status=pending&status=running"
    listed = rows(viewer_client.get(target + "&size=100"))
    assert len(listed) == len(running), "the card's count and the table it opens disagree"


def test_each_project_s_card_counts_the_last_day_s_failed_restores_and_links_to_them(
    viewer_client, several_projects, emulator
):
    since = datetime.now(UTC) - timedelta(hours=24)
    failed = [j for j in upstream_jobs(emulator) if j.state == "failed" and j.created_at >= since]
    assert failed, "the seed has no failed restore in the last day"
    html = card(viewer_client.get(reverse("home")), "prod")
    target = link(html, f"{len(failed)} failed")
    assert target == reverse("jobs-list", args=["prod"]) + "?status=failed&since=1d"
    assert len(rows(viewer_client.get(target + "&size=100"))) == len(failed)


def test_each_project_s_card_counts_the_coverage_flags_and_links_to_the_flagged_indexes(
    viewer_client, several_projects, emulator
):
    html = card(viewer_client.get(reverse("home")), "dev")
    flags = {key: int(count) for key, count in re.findall(r'href="/p/dev/\?flag=(\w+)"[^>]*>(\d+) ', html)}
    assert {"failed", "disabled", "pod", "deleted", "never"} <= set(flags), f"seeded flags missing from {flags}"
    assert flags["disabled"] == 1 and flags["pod"] == 1, "customer-reviews and pod-archive are the seed's only ones"
    sources = {b.source_index_name for b in upstream_backups(emulator)} - set(emulator.store.indexes)
    assert flags["deleted"] == len(sources), "every deleted index whose backups remain is flagged"
    for key, count in flags.items():
        page = text(viewer_client.get(reverse("project", args=["dev"]) + f"?flag={key}"))
        assert f"{count} of " in page, f"the {key} flag counts {count} but its link shows otherwise"


def test_a_project_whose_pinecone_fails_gets_an_error_on_its_card_and_the_others_still_show(
    viewer_client, several_projects
):
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 200
    broken = card(response, "broken")
    assert "Pinecone rejected the API key for project &#x27;broken&#x27;" in broken
    assert "Running restores, failures and coverage unknown" in broken and "HTTP 401" in broken
    assert " running" in card(response, "dev") and "failed" in card(response, "prod"), (
        "one failing project hid the others"
    )


def test_while_pinecone_fails_a_card_shows_its_last_counts_with_their_age(
    viewer_client, several_projects, emulator, settings, clock, quick_retries
):
    before = card(viewer_client.get(reverse("home")), "dev")
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    # The first view after the lists' lifetime is answered from them; their refresh behind it fails.
    viewer_client.get(reverse("home"))
    pinecone_cache.settle()
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 200
    after = card(response, "dev")
    assert re.search(r"As Pinecone said \d+ s ago: Pinecone is having trouble", after), after
    counted = re.findall(r">(\d+) running<", before)
    assert counted and re.findall(r">(\d+) running<", after) == counted, "the last counts were lost"


def test_the_overview_marks_the_production_project(viewer_client, several_projects):
    response = viewer_client.get(reverse("home"))
    assert "project-production" in card(response, "prod") and ">production</span>" in card(response, "prod")
    assert "project-production" not in card(response, "dev")


@pytest.mark.parametrize("page", ["project", "jobs-list", "backups-list", "indexes-list"])
def test_a_production_project_s_pages_carry_its_banner(viewer_client, several_projects, page):
    response = viewer_client.get(reverse(page, args=["prod"]))
    assert (
        '<div class="banner banner-production" role="note">Production project: prod</div>' in response.content.decode()
    )
    assert "Production project" not in text(viewer_client.get(reverse(page, args=["dev"]))), "dev was called production"


def test_a_production_project_s_banner_shows_when_its_pinecone_fails_too(viewer_client, settings, emulator):
    broken = Project(name="prod", api_key="wrong", host=emulator.url, emulated=True, environment="production")
    settings.RESTOREUI_PROJECTS = {"prod": broken, "dev": Project(name="dev", api_key="k", host=emulator.url)}
    response = viewer_client.get(reverse("jobs-list", args=["prod"]))
    assert response.status_code == 502
    assert "Production project: prod" in text(response)


def test_a_production_project_s_write_buttons_name_it(operator_client, several_projects, ready_backup):

    def buttons(name, args):
        html = operator_client.get(reverse(name, args=args)).content.decode()
        return [" ".join(b.split()) for b in re.findall(r'<button type="submit"[^>]*>(.*?)</button>', html, re.S)]

    assert "Restore into production" in buttons("backups-restore", ["prod", ready_backup.id])
    assert "Delete backup from production" in buttons("backups-delete", ["prod", ready_backup.id])
    assert "Create backup in production" in buttons("indexes-backup", ["prod", "products"])
    assert "Create schedule in production" in buttons("schedules-create", ["prod", "docs-embeddings"])
    assert "Start restore in dev" in buttons("backups-restore", ["dev", ready_backup.id])
    assert "Delete this backup" in buttons("backups-delete", ["dev", ready_backup.id])


def test_a_staging_project_s_write_buttons_name_it_without_a_production_banner(operator_client, settings, emulator):
    staging = Project(name="stage", api_key=emulator.api_key, host=emulator.url, emulated=True, environment="staging")
    settings.RESTOREUI_PROJECTS = {"stage": staging}
    response = operator_client.get(reverse("indexes-backup", args=["stage", "products"]))
    assert "Create backup in staging" in text(response)
    assert "banner-production" not in response.content.decode()


def test_the_project_switcher_shows_where_you_are(viewer_client, several):
    html = viewer_client.get(reverse("jobs-list", args=["staging"])).content.decode()
    switcher = re.search(r'<details class="switcher">.*?</details>', html, re.S)
    assert switcher, "with several projects there was no switcher"
    assert "Project: <strong>staging</strong>" in switcher.group(0), "the switcher did not name the current project"
    current = re.findall(r'<a href="([^"]+)"\s+aria-current="true">', switcher.group(0))
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


@pytest.mark.parametrize(
    "path", ["/p/nope/", "/p/nope/jobs/", "/p/nope/backups/", "/p/nope/indexes/", "/p/nope/search/?q=x"]
)
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
