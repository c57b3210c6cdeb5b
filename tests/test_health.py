"""Probes and metrics: what load balancers, orchestrators and Prometheus see."""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

TOKEN = {"Authorization": "Bearer secret-token"}


@pytest.fixture
def fresh_readiness(settings):
    settings.RESTOREUI_READYZ_CACHE_SECONDS = 0
    settings.RESTOREUI_METRICS_TOKEN = "secret-token"


def test_healthz_answers_without_touching_anything(client, emulator):
    # No django_db mark: a query would fail the test.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert emulator.stats()["total"] == 0, "/healthz called Pinecone"


@pytest.mark.django_db
def test_readyz_names_every_check_when_all_pass(client, fresh_readiness):
    response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "pinecone:local"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_fails_when_pinecone_fails(client, emulator, fresh_readiness):
    emulator.set_faults(error_rate=1.0)
    response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 503
    check = response.json()["checks"]["pinecone:local"]
    assert check["ok"] is False
    assert re.match(r"GET /indexes answered HTTP 50[03]", check["error"])


@pytest.mark.django_db
def test_readyz_fails_when_the_api_key_is_refused(client, settings, project, fresh_readiness):
    settings.RESTOREUI_PROJECTS = {"local": replace(project, api_key="revoked-key")}
    response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 503
    assert response.json()["checks"]["pinecone:local"]["error"] == "GET /indexes answered HTTP 401"
    assert b"revoked-key" not in response.content


@pytest.mark.django_db
def test_readyz_gives_up_on_a_silent_pinecone_after_its_timeout(client, settings, emulator, fresh_readiness):
    settings.RESTOREUI_READYZ_TIMEOUT = 0.3
    emulator.set_faults(latency_ms=2000)
    response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 503
    assert response.json()["checks"]["pinecone:local"]["error"] == "no answer within 0.3 s"


@pytest.mark.django_db
def test_readyz_fails_when_pinecone_is_unreachable(client, settings, project, fresh_readiness):
    settings.RESTOREUI_PROJECTS = {"local": replace(project, host="http://127.0.0.1:9")}
    response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 503
    assert response.json()["checks"]["pinecone:local"]["error"].startswith("cannot connect")


@pytest.mark.django_db
def test_readyz_fails_when_the_cache_is_down(client, fresh_readiness):
    nowhere = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    with override_settings(CACHES=nowhere):
        response = client.get(reverse("readyz"), headers=TOKEN)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False and checks["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_reuses_its_answer_for_a_few_seconds(client, settings, emulator, fresh_readiness):
    assert client.get(reverse("readyz"), headers=TOKEN).status_code == 200
    settings.RESTOREUI_READYZ_CACHE_SECONDS = 60
    emulator.set_faults(error_rate=1.0)
    calls = emulator.stats()["total"]
    assert client.get(reverse("readyz"), headers=TOKEN).status_code == 200, (
        "a probe went to Pinecone within the reuse window"
    )
    assert emulator.stats()["total"] == calls
    settings.RESTOREUI_READYZ_CACHE_SECONDS = 0
    assert client.get(reverse("readyz"), headers=TOKEN).status_code == 503


@pytest.mark.django_db
def test_readyz_tells_anonymous_callers_only_ok_or_failing(client, emulator, fresh_readiness):
    assert client.get(reverse("readyz")).json() == {"status": "ok"}
    emulator.set_faults(error_rate=1.0)
    response = client.get(reverse("readyz"), headers={"Authorization": "Bearer wrong"})
    assert (response.status_code, response.json()) == (503, {"status": "failing"}), "readyz named its checks to anyone"


@pytest.mark.django_db(transaction=True)
def test_readyz_timeout_caps_the_whole_check_even_for_a_slow_body(settings, emulator, fresh_readiness):
    settings.RESTOREUI_READYZ_TIMEOUT = 0.5
    emulator.set_faults(slow_body_rate=1.0, slow_body_seconds=5.0)
    with ThreadPoolExecutor(1) as pool:
        probe = pool.submit(Client().get, reverse("readyz"))
        # The probe's own timeout: the check must have given up by then.
        response = probe.result(timeout=3)
    assert response.status_code == 200


# --- /metrics


def test_metrics_are_off_without_a_token(client, settings):
    settings.RESTOREUI_METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", "secret-token", "Basic c2VjcmV0LXRva2Vu"])
def test_metrics_need_the_bearer_token(client, settings, header):
    settings.RESTOREUI_METRICS_TOKEN = "secret-token"
    headers = {"Authorization": header} if header else {}
    response = client.get(reverse("metrics"), headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_metrics_count_pages_upstream_calls_and_cache_lookups(settings):
    settings.RESTOREUI_METRICS_TOKEN = "secret-token"
    viewer = Client()
    viewer.force_login(User.objects.create_user("vera"))
    assert viewer.get(reverse("jobs-list", args=["local"])).status_code == 200
    response = Client().get(reverse("metrics"), headers={"Authorization": "Bearer secret-token"})
    assert response.status_code == 200
    text = response.content.decode()
    assert re.search(r'restoreui_page_render_seconds_count\{status="200",view="jobs-list"\} [1-9]', text)
    assert re.search(
        r'restoreui_upstream_request_seconds_count\{endpoint="GET /restore-jobs",status="200"\} [1-9]', text
    )
    assert re.search(r'restoreui_cache_lookups_total\{result="miss"\} [1-9]', text)
