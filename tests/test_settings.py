"""Production settings: each case starts a fresh Python with only the environment
the README documents, since settings are read once at start."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_env(tmp_path):
    """The README's production environment (Deployment > Configuration)."""
    projects = tmp_path / "projects.toml"
    projects.write_text('[projects.prod]\napi_key_env = "PINECONE_API_KEY_PROD"\noperators = ["group:dba"]\n')
    secret = tmp_path / "secret-key"
    secret.write_text(secrets.token_urlsafe(50))
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "restoreui.settings",
        "DJANGO_SECRET_KEY_FILE": str(secret),
        "DJANGO_ALLOWED_HOSTS": "restoreui.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://restoreui.example.com",
        "RESTOREUI_PROJECTS_FILE": str(projects),
        "PINECONE_API_KEY_PROD": "pcsk_example",
        "RESTOREUI_TRUSTED_PROXIES": "10.0.0.0/8",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def _run(env, *args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _settings(env, *names):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n, None)) for n in {list(names)!r}}}))"
    )
    result = _run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_finds_nothing_in_the_documented_production_environment(production_env):
    result = _run(production_env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_catch_plain_http(production_env):
    result = _run(production_env | {"DJANGO_SECURE": "0"}, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def test_production_defaults_are_safe(production_env):
    values = _settings(
        production_env,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "CSRF_TRUSTED_ORIGINS",
        "ALLOWED_HOSTS",
        "DEMO",
        "STATIC_ROOT",
    )
    assert values == {
        "DEBUG": "False",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "CSRF_TRUSTED_ORIGINS": "['https://restoreui.example.com']",
        "ALLOWED_HOSTS": "['restoreui.example.com']",
        "DEMO": "False",
        "STATIC_ROOT": str(ROOT / "staticfiles"),
    }


def test_static_root_and_debug_follow_the_environment(production_env):
    values = _settings(
        production_env | {"DJANGO_STATIC_ROOT": "/srv/static", "DJANGO_DEBUG": "1"}, "STATIC_ROOT", "DEBUG"
    )
    assert values == {"STATIC_ROOT": "/srv/static", "DEBUG": "True"}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"DJANGO_SECRET_KEY_FILE": ""}, "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set"),
        (
            {"RESTOREUI_SSO_HEADER": "X-Forwarded-User", "RESTOREUI_TRUSTED_PROXIES": ""},
            "RESTOREUI_SSO_HEADER needs RESTOREUI_TRUSTED_PROXIES",
        ),
        (
            {"RESTOREUI_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"},
            "RESTOREUI_TRUSTED_PROXIES: 'proxy.local' is not an IP address",
        ),
        ({"RESTOREUI_READ_ONLY": "maybe"}, "RESTOREUI_READ_ONLY='maybe' is not a boolean"),
    ],
)
def test_it_refuses_to_start_with_a_bad_setting(production_env, change, message):
    result = _run(production_env | change, "manage.py", "check")
    assert result.returncode != 0
    assert message in result.stderr


def _api_versions(env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({n: p.api_version for n, p in settings.RESTOREUI_PROJECTS.items()}))"
    )
    result = _run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_new_configuration_speaks_the_official_sdk_s_api_version(production_env, tmp_path):
    assert _api_versions(production_env) == {"prod": "2026-07"}, "a projects file without api_version"
    single = {k: v for k, v in production_env.items() if k != "RESTOREUI_PROJECTS_FILE"} | {
        "PINECONE_API_KEY": "pcsk_example"
    }
    assert _api_versions(single) == {"default": "2026-07"}, "PINECONE_API_KEY without PINECONE_API_VERSION"


def test_an_older_api_version_keeps_working(production_env, tmp_path):
    projects = tmp_path / "old.toml"
    projects.write_text('[projects.prod]\napi_key_env = "PINECONE_API_KEY_PROD"\napi_version = "2025-04"\n')
    assert _api_versions(production_env | {"RESTOREUI_PROJECTS_FILE": str(projects)}) == {"prod": "2025-04"}


def test_sessions_live_in_the_database_unless_the_cache_is_shared(production_env):
    alone = _settings(production_env, "SESSION_ENGINE", "RESTOREUI_SHARED_CACHE")
    assert alone == {"SESSION_ENGINE": "restoreui.sessions", "RESTOREUI_SHARED_CACHE": "False"}
    shared = _settings(production_env | {"CACHE_URL": "redis://127.0.0.1:6379/0"}, "SESSION_ENGINE")
    assert shared == {"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db"}


def test_a_project_s_longest_schedule_retention_is_read_and_checked():
    from django.core.exceptions import ImproperlyConfigured

    from restoreui.projects import _from_table

    assert _from_table("prod", {"api_key": "k", "max_retention_days": 90}).max_retention_days == 90
    assert _from_table("prod", {"api_key": "k"}).max_retention_days == 365
    for bad in (0, "30", 1.5, True):
        with pytest.raises(ImproperlyConfigured, match="max_retention_days"):
            _from_table("prod", {"api_key": "k", "max_retention_days": bad})


def test_a_project_s_environment_is_one_short_lowercase_word():
    from django.core.exceptions import ImproperlyConfigured

    from restoreui.projects import _from_table

    production = _from_table("prod", {"api_key": "k", "environment": "production"})
    assert production.environment == "production" and production.production
    staging = _from_table("staging", {"api_key": "k", "environment": "staging"})
    assert staging.environment == "staging" and not staging.production
    assert _from_table("dev", {"api_key": "k"}).environment == "", "an unmarked project got an environment"
    for bad in ("Production", "prod env", "prod-1", "x" * 21, 1, True, ["production"]):
        with pytest.raises(ImproperlyConfigured, match="environment"):
            _from_table("prod", {"api_key": "k", "environment": bad})


def test_the_readme_s_projects_file_marks_prod_as_production(production_env, tmp_path):
    projects = tmp_path / "projects.toml"
    projects.write_text(
        '[projects.prod]\napi_key_env = "PINECONE_API_KEY_PROD"\nenvironment = "production"\n'
        '[projects.dev]\napi_key = "k"\nenvironment = "dev"\n'
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print({n: p.environment for n, p in settings.RESTOREUI_PROJECTS.items()})"
    )
    result = _run(production_env | {"RESTOREUI_PROJECTS_FILE": str(projects)}, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'prod': 'production', 'dev': 'dev'}"
    projects.write_text('[projects.prod]\napi_key_env = "PINECONE_API_KEY_PROD"\nenvironment = "PROD!"\n')
    result = _run(production_env | {"RESTOREUI_PROJECTS_FILE": str(projects)}, "-c", code)
    assert result.returncode != 0 and "environment 'PROD!' must be one short lowercase word" in result.stderr


WRITER = """
import sys, django
django.setup()
from datetime import UTC, datetime
from django.conf import settings
from restoreui.history import record
from restoreui.pinecone import RestoreJob
project = settings.RESTOREUI_PROJECTS["prod"]
when = datetime(2026, 1, 1, tzinfo=UTC)
for round in range(25):
    jobs = [RestoreJob(id=f"job-{n}", backup_id="b", target_index_name=f"t-{n}", target_index_id="", status=f"S{round}",
                       created_at=when, completed_at=None, percent_complete=None) for n in range(300)]
    record._record(project, jobs, whole_list=True)
"""


def test_two_processes_writing_the_history_at_once_wait_for_each_other(production_env):
    """Workers, refresh threads and the watcher read and then write the history in one transaction:
    on SQLite both would fail at once ("database is locked") if transactions took the lock lazily."""
    assert _run(production_env, "manage.py", "migrate", "--noinput").returncode == 0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER], cwd=ROOT, env=production_env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
