"""The watcher's coverage gauges: what a round exports, how it is served, and what it costs upstream."""

import socket

import pytest
import requests
from django.core.management import call_command
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from restoreui import metrics

pytestmark = pytest.mark.django_db

SCHEDULE_LIST = "GET /indexes/{index_name}/backup-schedules"


def samples():
    found = {}
    for family in text_string_to_metric_families(generate_latest(metrics.WATCH_REGISTRY).decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(name, **labels):
    return samples().get((name, tuple(sorted(labels.items()))))


def test_a_round_exports_recovery_points_failed_runs_and_restore_jobs(project, emulator):
    call_command("watch", "--once", "--metrics-port", "0")
    assert (
        value(
            "restoreui_schedule_last_run_failed", project="local", index="support-tickets", schedule="tickets-nightly"
        )
        == 1
    )
    assert (
        value("restoreui_schedule_last_run_failed", project="local", index="products", schedule="products-daily") == 0
    )
    products = [b for b in emulator.store.backups.values() if b.source_index_name == "products"]
    assert value("restoreui_index_backups", project="local", index="products") == len(products)
    age = value("restoreui_index_last_backup_age_seconds", project="local", index="products")
    assert 0 < age < 2 * 86400
    assert value("restoreui_index_backups", project="local", index="legacy-catalog") == 4
    assert value("restoreui_restore_jobs", project="local", status="completed") > 100


def test_a_second_round_asks_for_no_schedules_until_they_expire(project, emulator):
    call_command("watch", "--once", "--metrics-port", "0")
    first = emulator.calls.get(SCHEDULE_LIST, 0)
    call_command("watch", "--once", "--metrics-port", "0")
    assert first > 5 and emulator.calls.get(SCHEDULE_LIST, 0) == first


def test_the_gauges_are_served_to_the_metrics_token_only():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = metrics.serve_watch_metrics("127.0.0.1", port, "watch-token")
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
        answer = requests.get(url, headers={"Authorization": "Bearer watch-token"}, timeout=5)
        assert answer.status_code == 200 and "restoreui_index_backups" in answer.text
    finally:
        server.shutdown()
        server.server_close()
