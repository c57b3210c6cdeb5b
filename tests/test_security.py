"""What a browser is told to enforce, CSRF on writes, error pages, and the API
key staying on the server."""

import logging
import re
from dataclasses import replace

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import path, reverse
from django.views.defaults import server_error

SECRET = "pcsk_7Zq-never-show-this-key-3f9"


@pytest.fixture
def secret_project(settings, project, emulator):
    """The project's key is a recognisable string, accepted by the emulator."""
    emulator.api_key = SECRET
    settings.RESTOREUI_PROJECTS = {"local": replace(project, api_key=SECRET)}
    yield settings.RESTOREUI_PROJECTS["local"]
    emulator.api_key = project.api_key


@pytest.fixture
def operator(db):
    user = User.objects.create_user("olga", password="pw")
    user.groups.add(Group.objects.create(name="operators"))
    client = Client()
    client.force_login(user)
    return client


def _ids(emulator, key):
    headers = {"Api-Key": key, "X-Pinecone-Api-Version": "2026-04"}

    def get(path):
        return requests.get(f"{emulator.url}{path}", headers=headers, params={"limit": 5}, timeout=5).json()

    return (
        get("/restore-jobs")["data"][0]["restore_job_id"],
        get("/backups")["data"][0]["backup_id"],
        get("/indexes")["indexes"][0]["name"],
    )


def _pages(emulator, key):
    job, backup, index = _ids(emulator, key)
    return [
        reverse("jobs-list", args=["local"]),
        reverse("jobs-detail", args=["local", job]),
        reverse("jobs-detail", args=["local", "no-such-job"]),
        reverse("jobs-export", args=["local", "csv"]),
        reverse("backups-list", args=["local"]),
        reverse("backups-detail", args=["local", backup]),
        reverse("backups-restore", args=["local", backup]),
        reverse("backups-delete", args=["local", backup]),
        reverse("indexes-list", args=["local"]),
        reverse("indexes-detail", args=["local", index]),
        reverse("indexes-backup", args=["local", index]),
        reverse("search", args=["local"]) + f"?q={job}",
        reverse("audit"),
        "/p/nowhere/jobs/",
        "/no/such/page/",
        reverse("jobs-detail-poll", args=["local", job]),
    ]


# --- headers


@pytest.mark.django_db
def test_pages_carry_the_security_headers(operator):
    response = operator.get(reverse("jobs-list", args=["local"]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_pages_need_nothing_the_content_security_policy_forbids(operator, emulator, project):
    """Scripts and styles run only with the response's nonce; inline handlers and
    style attributes would be blocked, so no template may use them."""
    for url in _pages(emulator, project.api_key):
        response = operator.get(url)
        policy = response.get("Content-Security-Policy", "")
        if not response["Content-Type"].startswith("text/html"):
            continue
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", policy)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            assert nonce and f'nonce="{nonce[1]}"' in tag, f"{url}: {tag} would be blocked by {policy!r}"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), f"{url} has an inline event handler"
        assert not re.search(r"<[^>]+\sstyle\s*=", html), f"{url} has a style attribute"


@pytest.mark.django_db
def test_the_htmx_requests_of_a_page_carry_its_csrf_token(operator):
    response = operator.get(reverse("jobs-list", args=["local"]))
    token = re.search(r"""<body[^>]*hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", response.content.decode())
    assert token, "the page does not give htmx its CSRF token"


# --- CSRF


@pytest.mark.django_db
def test_a_post_without_a_csrf_token_is_refused_before_anything_happens(emulator, project):
    user = User.objects.create_user("olga", password="pw")
    user.groups.add(Group.objects.create(name="operators"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    _, backup, _ = _ids(emulator, project.api_key)
    emulator.reset()
    response = client.post(reverse("backups-delete", args=["local", backup]), {"confirm": backup})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert "DELETE /backups/{id}" not in str(emulator.stats()["calls"])


@pytest.mark.django_db
def test_an_htmx_post_with_the_token_header_passes_the_csrf_check(emulator, project):
    user = User.objects.create_user("vera", password="pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("jobs-list", args=["local"]))
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode())[1]
    _, backup, _ = _ids(emulator, project.api_key)
    url = reverse("backups-delete", args=["local", backup])
    refused = client.post(url, {}, headers={"HX-Request": "true"})
    assert refused.status_code == 403 and b"This form has expired" in refused.content
    allowed = client.post(url, {}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert b"This form has expired" not in allowed.content, "htmx's token header was not accepted"


@pytest.mark.django_db
def test_logging_out_needs_a_post(operator):
    assert operator.get(reverse("logout")).status_code == 405


# --- the API key


@pytest.mark.django_db
def test_the_api_key_never_reaches_a_page_or_a_log_line(secret_project, operator, emulator, caplog, client, settings):
    settings.PINECONE_RETRIES = 0
    audit = logging.getLogger("restoreui.audit")
    audit.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    try:
        pages = _pages(emulator, SECRET)
        seen = []
        for faults in ({}, {"error_rate": 1.0}, {"malformed_rate": 1.0}, {"rate_limit_rate": 1.0}):
            emulator.set_faults(**faults)
            for url in pages:
                seen.append((url, operator.get(url)))
                seen.append((url, operator.get(url, headers={"HX-Request": "true"})))
            seen.append(("restore", operator.post(pages[6], {"name": "leak-check", "deletion_protection": "disabled"})))
            seen.append(("backup", operator.post(pages[10], {"name": "leak-check"})))
            emulator.clear_faults()
        emulator.api_key = "rotated-key"
        seen.append(("unauthorized", operator.get(reverse("backups-list", args=["local"]))))
        seen.append(("readyz", client.get(reverse("readyz"))))
        seen.append(("login", client.get(reverse("login"))))
    finally:
        audit.removeHandler(caplog.handler)
    for url, response in seen:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body, f"{url} ({response.status_code}) showed the API key"
        assert SECRET not in str(response.headers), f"{url} sent the API key in a header"
    assert SECRET not in caplog.text, "a log line contains the API key"
    assert SECRET not in repr(secret_project)


# --- error pages


@pytest.mark.django_db
def test_an_unknown_address_gets_a_plain_not_found_page(operator):
    response = operator.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"Resolver404" not in response.content


@pytest.mark.django_db
def test_an_unknown_project_is_named_on_the_not_found_page(operator):
    response = operator.get("/p/nowhere/jobs/")
    assert response.status_code == 404
    assert "There is no project named “nowhere”".encode() in response.content


def test_the_server_error_page_tells_the_operator_where_to_look(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"restoreui ran into an error" in response.content
    assert b"server log" in response.content


def _boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", _boom)]


def assert_styled_like_the_rest(response):
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/restoreui' in html, "the error page has no stylesheet"
    assert '<header class="top"><a class="brand" href="/">restoreui</a></header>' in html
    assert '<a href="/">Back to the projects of restoreui</a>' in html


@pytest.mark.urls(__name__)
def test_a_view_that_raises_answers_the_styled_server_error_page(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert b"restoreui ran into an error" in response.content
    assert b"a bug in a view" not in response.content
    assert_styled_like_the_rest(response)


@pytest.mark.django_db
def test_an_unknown_project_answers_the_styled_not_found_page(operator):
    response = operator.get("/p/nowhere/backups/")
    assert response.status_code == 404
    assert_styled_like_the_rest(response)


@pytest.mark.django_db
def test_a_forbidden_page_is_styled_like_the_rest(client):
    client.force_login(User.objects.create_user("vera"))
    assert_styled_like_the_rest(client.get(reverse("audit")))


@pytest.mark.django_db
def test_a_csrf_failure_answers_the_styled_form_expired_page(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="olga"))
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert_styled_like_the_rest(response)


@pytest.mark.django_db
def test_a_forbidden_page_says_why(client):
    client.force_login(User.objects.create_user("vera"))
    response = client.get(reverse("audit"))
    assert response.status_code == 403
    assert b"You are not allowed to do this" in response.content
    assert b"The audit log is open to operators only." in response.content
