"""Logging in, throttling, safe redirects, single sign-on and the operator role."""

import io
import ipaddress
from dataclasses import replace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from restoreui.permissions import is_operator, write_refusal_reason

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


def _operator(username, *groups):
    user = User.objects.create_user(username, password=PASSWORD)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def _login(client, username, password, next_url=None, **extra):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("login"), data, **extra)


# --- every page needs a login, except the probes


@pytest.mark.django_db
@pytest.mark.parametrize("name,args", [("home", []), ("jobs-list", ["local"]), ("audit", [])])
def test_it_sends_anonymous_visitors_to_the_login_page(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302, f"an anonymous visitor saw {url} without logging in"
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_it_answers_probes_without_a_login(client, settings, name):
    settings.RESTOREUI_READYZ_CACHE_SECONDS = 0  # not an earlier test's answer
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_it_shows_a_login_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


# --- redirects after login


@pytest.mark.django_db
def test_it_lands_on_the_page_the_user_asked_for(client, alice):
    response = _login(client, "alice", PASSWORD, next_url="/p/local/jobs/abc/")
    assert response.status_code == 302
    assert response["Location"] == "/p/local/jobs/abc/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/p/local/",
        "http:/\\evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_it_never_redirects_off_the_site_after_login(client, alice, next_url):
    response = _login(client, "alice", PASSWORD, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("home"), f"login sent the user to {response['Location']}"


# --- throttling


@pytest.mark.django_db
def test_it_refuses_a_username_after_five_failures_from_one_address(client, alice):
    for _ in range(5):
        response = _login(client, "alice", "wrong")
        assert b"Please enter a correct username and password" in response.content
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 200, "the right password still logged in during the lockout"
    assert b"Too many failed logins" in response.content
    assert b"Wait 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_counts_failures_per_address(alice):
    attacker, colleague = Client(), Client()
    for _ in range(5):
        _login(attacker, "alice", "wrong", REMOTE_ADDR="203.0.113.9")
    response = _login(colleague, "alice", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302, "a lockout from one address locked the user out everywhere"


@pytest.mark.django_db
def test_it_forgets_failures_after_a_successful_login(client, alice):
    for _ in range(4):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_counts_failures_per_client_behind_a_trusted_proxy(settings, alice):
    settings.RESTOREUI_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    client = Client()
    for _ in range(5):
        _login(client, "alice", "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    other = _login(Client(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302, "everyone behind the proxy was locked out together"
    same = _login(Client(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert b"Too many failed logins" in same.content


# --- single sign-on through an authenticating proxy


@pytest.fixture
def sso(settings):
    settings.RESTOREUI_SSO_HEADER = "X-Forwarded-User"
    settings.RESTOREUI_TRUSTED_PROXIES = [ipaddress.ip_network("10.1.2.0/24")]


@pytest.mark.django_db
def test_it_logs_in_the_user_a_trusted_proxy_names(sso):
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="bob")
    response = client.get(reverse("jobs-list", args=["local"]))
    assert response.status_code == 200, "the proxy's user was sent to the login page"
    bob = User.objects.get(username="bob")
    assert not bob.is_staff and not bob.is_superuser
    assert not bob.has_usable_password()


@pytest.mark.django_db
def test_it_ignores_the_user_header_from_anyone_but_the_proxy(sso):
    client = Client(REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_USER="admin")
    response = client.get(reverse("jobs-list", args=["local"]))
    assert response["Location"].startswith(reverse("login"))
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_it_logs_out_a_single_sign_on_session_that_bypasses_the_proxy(sso):
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="bob")
    jobs = reverse("jobs-list", args=["local"])
    assert client.get(jobs).status_code == 200
    response = client.get(jobs, REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_USER="")
    assert response["Location"].startswith(reverse("login")), "the session outlived a request around the proxy"


@pytest.mark.django_db
def test_it_ignores_the_user_header_when_single_sign_on_is_off(settings):
    settings.RESTOREUI_TRUSTED_PROXIES = [ipaddress.ip_network("10.1.2.0/24")]
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="bob")
    assert client.get(reverse("jobs-list", args=["local"]))["Location"].startswith(reverse("login"))


# --- roles


@pytest.mark.django_db
def test_viewers_may_not_write(project, alice):
    assert write_refusal_reason(alice, project) == "You need the operator role for project 'local'"


@pytest.mark.django_db
def test_members_of_the_operators_group_write_projects_that_name_no_operators(project):
    assert write_refusal_reason(_operator("olga", "operators"), project) is None


@pytest.mark.django_db
def test_superusers_write_every_project(project):
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert write_refusal_reason(root, replace(project, operators=frozenset({"dba"}))) is None


@pytest.mark.django_db
def test_a_project_list_of_operators_names_users_or_groups(project):
    prod = replace(project, name="prod", operators=frozenset({"carol", "dba"}))
    assert write_refusal_reason(_operator("carol"), prod) is None
    assert write_refusal_reason(_operator("dave", "dba"), prod) is None
    olga = _operator("olga", "operators")
    assert write_refusal_reason(olga, prod) == "You need the operator role for project 'prod'", (
        "the global operators group wrote to a project with its own list"
    )


@pytest.mark.django_db
def test_the_read_only_switch_refuses_everyone(settings, project):
    settings.RESTOREUI_READ_ONLY = True
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert write_refusal_reason(root, project) == "restoreui is in read-only mode"


@pytest.mark.django_db
def test_a_read_only_project_refuses_everyone(project):
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert write_refusal_reason(root, replace(project, read_only=True)) == "Project 'local' is read-only"


@pytest.mark.django_db
def test_anonymous_and_inactive_users_never_write(project):
    olga = _operator("olga", "operators")
    olga.is_active = False
    assert write_refusal_reason(AnonymousUser(), project) == "You need the operator role for project 'local'"
    assert write_refusal_reason(olga, project) == "You need the operator role for project 'local'"


@pytest.mark.django_db
def test_an_operator_of_any_project_is_an_operator(settings, project, alice):
    settings.RESTOREUI_PROJECTS = {
        "local": project,
        "prod": replace(project, name="prod", operators=frozenset({"carol"})),
    }
    assert is_operator(_operator("carol"))
    assert not is_operator(alice)


@pytest.mark.django_db
def test_createoperator_adds_an_existing_user_to_the_operators_group(alice, project):
    out = io.StringIO()
    call_command("createoperator", "alice", stdout=out)
    assert 'Updated user "alice"' in out.getvalue()
    assert write_refusal_reason(User.objects.get(username="alice"), project) is None
    assert User.objects.get(username="alice").check_password(PASSWORD)


@pytest.mark.django_db
def test_createoperator_creates_a_single_sign_on_user_without_a_password(project):
    call_command("createoperator", "erin", "--no-password", stdout=io.StringIO())
    erin = User.objects.get(username="erin")
    assert not erin.has_usable_password()
    assert write_refusal_reason(erin, project) is None


@pytest.mark.django_db
def test_user_and_group_entries_name_only_what_they_say(project):
    prod = replace(project, name="prod", operators=frozenset({"user:carol", "group:sre"}))
    assert write_refusal_reason(_operator("carol"), prod) is None
    assert write_refusal_reason(_operator("dave", "sre"), prod) is None
    assert write_refusal_reason(_operator("sre"), prod) == "You need the operator role for project 'prod'", (
        "a user named like a group got that group's rights"
    )
    assert write_refusal_reason(_operator("eve", "carol"), prod) == "You need the operator role for project 'prod'", (
        "a group named like a user got that user's rights"
    )


def test_a_bare_operators_entry_still_works_with_a_deprecation_warning(tmp_path, monkeypatch):
    from restoreui.projects import load_from_environment

    path = tmp_path / "projects.toml"
    path.write_text('[projects.prod]\napi_key = "k"\noperators = ["carol", "group:sre"]\n')
    monkeypatch.setenv("RESTOREUI_PROJECTS_FILE", str(path))
    with pytest.warns(FutureWarning, match="write 'user:carol' or 'group:carol'"):
        projects, _ = load_from_environment()
    assert projects["prod"].operators == frozenset({"carol", "group:sre"})


def test_an_operators_entry_of_another_kind_is_refused(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from restoreui.projects import load_from_environment

    path = tmp_path / "projects.toml"
    path.write_text('[projects.prod]\napi_key = "k"\noperators = ["team:sre"]\n')
    monkeypatch.setenv("RESTOREUI_PROJECTS_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match="'user:NAME' or 'group:NAME'"):
        load_from_environment()


@pytest.mark.django_db
def test_single_sign_on_never_logs_in_a_local_account_with_a_password(sso):
    User.objects.create_superuser("admin", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="admin")
    response = client.get(reverse("jobs-list", args=["local"]))
    assert response["Location"].startswith(reverse("login")), "the proxy's 'admin' became the local admin"


@pytest.mark.django_db
def test_single_sign_on_may_be_allowed_onto_local_accounts(sso, settings):
    settings.RESTOREUI_SSO_LOCAL_ACCOUNTS = True
    User.objects.create_user("alice", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="alice")
    assert client.get(reverse("jobs-list", args=["local"])).status_code == 200
