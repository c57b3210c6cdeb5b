"""Notifications: targets from the projects file, subscriptions on the job page, and the
watcher telling a local webhook receiver of each transition exactly once."""

import json
import logging
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from pages import text
from test_settings import _run, production_env  # noqa: F401 (a fixture)
from test_watch import POSTGRES, environment, finished, manage
from upstream import upstream_backups, upstream_jobs

from restoreui.emulator import Emulator
from restoreui.lib.markdown import job_line
from restoreui.models import AuditEntry, RestoreRecord
from restoreui.notifications import outbox
from restoreui.notifications.messages import restore_payload
from restoreui.notifications.models import Notification, Subscription
from restoreui.notifications.targets import Target, parse_targets
from restoreui.notifications.transitions import Seen, Transition, recipients, transitions
from restoreui.pinecone import RestoreJob, service
from restoreui.projects import Project

BASE_URL = "https://restoreui.example.com"
SLACK_SECRET = "services/T000/B000/slack-s3cr3t-token"
JSON_SECRET = "hooks/json-s3cr3t-token"
SECRETS = ("s3cr3t",)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


# -- a local webhook receiver --------------------------------------------------------------


class Receiver:
    """An HTTP server that records every POST; ANSWERS (status codes) are given in order, then 200."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answers: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.posts.append(
                        {"path": self.path, "type": self.headers.get("Content-Type"), "body": json.loads(body)}
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                time.sleep(receiver.delay)
                # Like some services, a refusal names the path it was sent to.
                answer = b"ok" if status == 200 else f"no_service for {self.path}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[dict]:
        with self.lock:
            return [p["body"] for p in self.posts if p["path"] == path]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def targets(receiver) -> tuple[Target, ...]:
    return (
        Target("incidents", "slack", f"{receiver.url}/{SLACK_SECRET}", frozenset({"restore_failed"})),
        Target("pager", "webhook", f"{receiver.url}/{JSON_SECRET}", frozenset({"scheduled_backup_failed"})),
    )


def notifying_project(emulator, receiver) -> Project:
    # API 2026-04 has no backup schedules, so the seed's failed scheduled run adds no message of its own here.
    return Project(
        name="local",
        api_key=emulator.api_key,
        host=emulator.url,
        api_version="2026-04",
        emulated=True,
        notify=targets(receiver),
    )


@pytest.fixture
def notifying(settings, emulator, receiver):
    """The test project, with a Slack target hearing every failed restore and a JSON one."""
    project = notifying_project(emulator, receiver)
    settings.RESTOREUI_PROJECTS = {"local": project}
    settings.RESTOREUI_BASE_URL = BASE_URL
    settings.RESTOREUI_NOTIFY_RETRY_SECONDS = 0
    return project


def job(status="Pending", completed_at=None, job_id="job-1", **fields) -> RestoreJob:
    values = {
        "id": job_id,
        "backup_id": "bk-1",
        "target_index_name": "products-restore-1",
        "target_index_id": "ix-1",
        "status": status,
        "created_at": NOW - timedelta(minutes=3),
        "completed_at": completed_at,
        "percent_complete": None,
    }
    return RestoreJob(**(values | fields))


def recorded(job_id="job-1", status="Failed", watched="Pending", **fields) -> RestoreRecord:
    """A job in the history that changed status since the watcher last looked."""
    now = datetime.now(UTC)
    values = {
        "project": "local",
        "restore_job_id": job_id,
        "backup_id": "bk-1",
        "backup_name": "nightly",
        "target_index_name": "products-restore-1",
        "status": status,
        "watched_status": watched,
        "created_at": now - timedelta(minutes=3),
        "completed_at": now if status in ("Completed", "Failed") else None,
        "first_seen": now,
        "last_seen": now,
    }
    return RestoreRecord.objects.create(**(values | fields))


def watch_round(project):
    outbox.detect(project)
    return outbox.deliver_due("test-watcher")


# -- transitions: a pure function -----------------------------------------------------------


def test_an_unchanged_status_is_no_transition():
    assert transitions([Seen(job("Pending"), "Pending")], NOW) == []


def test_a_job_that_ended_since_the_last_look_is_a_transition_from_the_status_seen_then():
    ended = job("Failed", completed_at=NOW)
    assert transitions([Seen(ended, "Pending")], NOW) == [Transition(ended, "Pending", "Failed")]


def test_a_job_first_seen_running_or_just_ended_is_a_transition_from_nothing():
    running, ended = job("Pending", job_id="a"), job("Completed", completed_at=NOW - timedelta(minutes=5), job_id="b")
    assert transitions([Seen(running, ""), Seen(ended, "")], NOW) == [
        Transition(running, "", "Pending"),
        Transition(ended, "", "Completed"),
    ]


def test_a_job_first_seen_long_after_it_ended_is_not_announced():
    old = job("Failed", completed_at=NOW - timedelta(hours=2))
    assert transitions([Seen(old, "")], NOW) == [], "a fresh install would replay every old failure"


def test_a_change_after_a_job_ended_is_not_a_transition():
    assert (
        transitions([Seen(job("Pending"), "Completed"), Seen(job("Failed", completed_at=NOW), "Completed")], NOW) == []
    )


def test_subscribed_targets_hear_when_a_job_ends_and_failure_targets_only_of_failures(receiver):
    project_targets = targets(receiver)
    completed = Transition(job("Completed", completed_at=NOW), "Pending", "Completed")
    failed = Transition(job("Failed", completed_at=NOW), "Pending", "Failed")
    running = Transition(job("InProgress"), "Pending", "InProgress")
    assert recipients(completed, {"pager"}, project_targets) == {"pager": "subscription"}
    assert recipients(completed, set(), project_targets) == {}
    assert recipients(running, {"pager", "incidents"}, project_targets) == {}
    assert recipients(failed, set(), project_targets) == {"incidents": "restore_failed"}
    assert recipients(failed, {"incidents"}, project_targets) == {"incidents": "subscription"}, (
        "one target, one message"
    )


def test_retries_wait_longer_each_time():
    assert [outbox.retry_delay(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 120, 480]


# -- the message shapes ---------------------------------------------------------------------


def test_the_markdown_line_names_job_target_status_and_utc_time():
    ended = job("Failed", completed_at=datetime(2026, 11, 25, 9, 5, tzinfo=UTC), job_id="0123456789ab")
    assert (
        job_line(ended, "https://x/j/")
        == "[Restore job 01234567 → products-restore-1](https://x/j/): Failed at 2026-11-25 09:05 UTC"
    )
    running = job("InProgress", percent_complete=42.5)
    assert (
        job_line(running, "u", now=NOW)
        == "[Restore job job-1 → products-restore-1](u): InProgress 42.5% as of 2026-11-25 12:00 UTC"
    )


def test_slack_gets_the_markdown_line_and_a_json_webhook_gets_the_job():
    ended = job("Completed", completed_at=NOW, percent_complete=100.0)
    url = f"{BASE_URL}/p/local/jobs/job-1/"
    assert restore_payload("slack", "local", ended, "Pending", "nightly", url) == {"text": job_line(ended, url)}
    assert restore_payload("webhook", "local", ended, "Pending", "nightly", url) == {
        "event": "restore_completed",
        "project": "local",
        "restore_job_id": "job-1",
        "status": "Completed",
        "previous_status": "Pending",
        "backup_id": "bk-1",
        "backup_name": "nightly",
        "target_index_name": "products-restore-1",
        "created_at": "2026-11-25T11:57:00Z",
        "completed_at": "2026-11-25T12:00:00Z",
        "duration_seconds": 180,
        "url": url,
        "text": job_line(ended, url),
    }


# -- targets in the projects file -----------------------------------------------------------


def test_targets_take_their_url_from_an_environment_variable_or_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SLACK_INCIDENTS_URL", "https://hooks.slack.com/services/T/B/x")
    (tmp_path / "hook").write_text("https://example.com/hook\n")
    parsed = parse_targets(
        "prod",
        {
            "incidents": {"kind": "slack", "url_env": "SLACK_INCIDENTS_URL", "events": ["restore_failed"]},
            "pager": {"kind": "webhook", "url_file": str(tmp_path / "hook")},
        },
    )
    assert parsed == (
        Target("incidents", "slack", "https://hooks.slack.com/services/T/B/x", frozenset({"restore_failed"})),
        Target("pager", "webhook", "https://example.com/hook"),
    )
    assert "hooks.slack.com" not in repr(parsed), "a target's repr shows its URL"


@pytest.mark.parametrize(
    "table, message",
    [
        (
            {"kind": "slack", "url": "https://hooks.slack.com/services/s3cr3t"},
            "a webhook URL is a secret and is not accepted in the projects file",
        ),
        ({"kind": "teams", "url_env": "HOOK"}, "kind must be one of slack, webhook"),
        ({"kind": "slack"}, "give exactly one of url_env and url_file"),
        (
            {"kind": "slack", "url_env": "HOOK", "events": ["restore_started"]},
            "events must be a list of restore_failed, scheduled_backup_failed",
        ),
        ({"kind": "slack", "url_env": "EMPTY_HOOK"}, "environment variable EMPTY_HOOK is empty"),
        (
            {"kind": "slack", "url_env": "BAD_HOOK"},
            "environment variable BAD_HOOK does not hold an http:// or https:// URL",
        ),
        ({"kind": "slack", "url_file": "/nonexistent/hook"}, "url_file '/nonexistent/hook' cannot be read"),
    ],
)
def test_a_bad_target_stops_the_start_naming_it_but_never_its_url(monkeypatch, table, message):
    monkeypatch.setenv("HOOK", "https://example.com/hook")
    monkeypatch.setenv("BAD_HOOK", "hooks.slack.com/services/s3cr3t")
    monkeypatch.delenv("EMPTY_HOOK", raising=False)
    with pytest.raises(ImproperlyConfigured) as raised:
        parse_targets("prod", {"incidents": table})
    assert str(raised.value).startswith("project 'prod': notify target 'incidents': ")
    assert message in str(raised.value)
    assert "s3cr3t" not in str(raised.value), "the start-up error showed the webhook URL"


def test_the_projects_file_reads_targets_per_project(monkeypatch, tmp_path):
    from restoreui.projects import load_from_environment

    (tmp_path / "projects.toml").write_text(
        '[projects.prod]\napi_key_env = "PROD_KEY"\n'
        '[projects.prod.notify.incidents]\nkind = "slack"\n'
        'url_env = "SLACK_INCIDENTS_URL"\nevents = ["restore_failed"]\n'
    )
    monkeypatch.setenv("RESTOREUI_PROJECTS_FILE", str(tmp_path / "projects.toml"))
    monkeypatch.setenv("PROD_KEY", "k")
    monkeypatch.setenv("SLACK_INCIDENTS_URL", "https://hooks.slack.com/services/T/B/x")
    projects, _ = load_from_environment()
    assert [t.name for t in projects["prod"].notify] == ["incidents"]


def test_the_site_refuses_to_start_with_targets_but_no_base_url_or_with_a_url_in_the_file(production_env, tmp_path):
    projects = tmp_path / "notify.toml"
    projects.write_text(
        '[projects.prod]\napi_key_env = "PINECONE_API_KEY_PROD"\n'
        '[projects.prod.notify.incidents]\nkind = "slack"\nurl_env = "SLACK_INCIDENTS_URL"\n'
    )
    env = production_env | {
        "RESTOREUI_PROJECTS_FILE": str(projects),
        "SLACK_INCIDENTS_URL": "https://hooks.slack.com/services/T/B/s3cr3t",
    }
    result = _run(env, "manage.py", "check")
    assert result.returncode != 0
    assert "RESTOREUI_BASE_URL must be set when the projects file names notification targets" in result.stderr
    assert _run(env | {"RESTOREUI_BASE_URL": "https://restoreui.example.com"}, "manage.py", "check").returncode == 0
    projects.write_text(
        projects.read_text().replace(
            'url_env = "SLACK_INCIDENTS_URL"', 'url = "https://hooks.slack.com/services/T/B/s3cr3t"'
        )
    )
    result = _run(env | {"RESTOREUI_BASE_URL": "https://restoreui.example.com"}, "manage.py", "check")
    assert "a webhook URL is a secret and is not accepted in the projects file" in result.stderr
    assert "s3cr3t" not in result.stderr, "the start-up error showed the webhook URL"


# -- the job page: subscribing ---------------------------------------------------------------


def running_job(emulator) -> RestoreJob:
    return next(j for j in upstream_jobs(emulator) if not j.finished)


def notify_url(job_id: str) -> str:
    return reverse("jobs-notify", args=["local", job_id])


@pytest.mark.django_db
def test_an_operator_subscribes_a_target_to_a_running_job_and_it_is_audited(notifying, operator_client, emulator):
    job_id = running_job(emulator).id
    response = operator_client.post(notify_url(job_id), {"target": "pager", "action": "subscribe"}, follow=True)
    assert response.status_code == 200
    assert "pager will be told when this restore job ends." in text(response)
    assert "Told when this job ends: pager." in text(response)
    assert Subscription.objects.filter(
        project="local", restore_job_id=job_id, target="pager", created_by="operator"
    ).exists()
    entry = AuditEntry.objects.get(action="subscribe")
    assert (entry.username, entry.target, entry.outcome, entry.extra) == (
        "operator",
        job_id,
        "ok",
        {"notify_target": "pager"},
    )

    response = operator_client.post(notify_url(job_id), {"target": "pager", "action": "unsubscribe"}, follow=True)
    assert "pager will not be told about this restore job." in text(response)
    assert not Subscription.objects.exists()
    assert AuditEntry.objects.get(action="unsubscribe").outcome == "ok"


@pytest.mark.django_db
def test_a_viewer_may_not_subscribe_and_the_refusal_is_audited(notifying, viewer_client, emulator):
    job_id = running_job(emulator).id
    page = viewer_client.get(reverse("jobs-detail", args=["local", job_id]))
    assert "You need the operator role for project 'local': subscribing is not available to you." in text(page)
    response = viewer_client.post(notify_url(job_id), {"target": "pager", "action": "subscribe"})
    assert response.status_code == 403
    assert not Subscription.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.username) == ("subscribe", "refused", "viewer")


@pytest.mark.django_db
def test_subscribing_needs_a_known_target_a_post_and_a_job_still_running(notifying, operator_client, emulator):
    running = running_job(emulator).id
    response = operator_client.post(notify_url(running), {"target": "nope", "action": "subscribe"}, follow=True)
    assert "Choose one of this project's notification targets" in text(response)
    assert operator_client.get(notify_url(running)).status_code == 405
    ended = next(j for j in upstream_jobs(emulator) if j.finished)
    response = operator_client.post(notify_url(ended.id), {"target": "pager", "action": "subscribe"}, follow=True)
    assert f"This restore job has already ended ({ended.status})" in text(response)
    missing = operator_client.post(notify_url("no-such-job"), {"target": "pager", "action": "subscribe"})
    assert missing.status_code == 404
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_project_without_targets_shows_no_notifications_card(operator_client, emulator):
    page = operator_client.get(reverse("jobs-detail", args=["local", running_job(emulator).id]))
    assert page.status_code == 200 and "Notifications" not in text(page)


# -- delivery -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_restore_reaches_the_failure_target_once_across_rounds(notifying, receiver):
    recorded("job-1", status="Failed", watched="Pending")
    first = watch_round(notifying)
    second = watch_round(notifying)
    assert (first.sent, second.sent) == (1, 0)
    [body] = receiver.bodies(f"/{SLACK_SECRET}")
    assert body == {
        "text": f"[Restore job job-1 → products-restore-1]({BASE_URL}/p/local/jobs/job-1/): Failed at "
        f"{RestoreRecord.objects.get().completed_at:%Y-%m-%d %H:%M} UTC"
    }
    assert receiver.bodies(f"/{JSON_SECRET}") == [], "a target without restore_failed heard of it"
    entry = AuditEntry.objects.get(action="notify")
    assert (entry.username, entry.outcome, entry.target, entry.extra["notify_target"]) == (
        "(watcher)",
        "ok",
        "job-1",
        "incidents",
    )
    assert entry.path == "/p/local/jobs/job-1/"


@pytest.mark.django_db
def test_two_watchers_racing_over_one_transition_send_it_once(notifying, receiver):
    recorded("job-1", status="Failed", watched="Pending")
    # Both read the history before either marked it watched: both queue the same message.
    outbox.detect(notifying)
    RestoreRecord.objects.update(watched_status="Pending")
    outbox.detect(notifying)
    assert Notification.objects.count() == 1, "the second watcher queued the message again"
    # The first claims it and is sending when the second looks for due messages.
    due = Notification.objects.get()
    Notification.objects.filter(pk=due.pk).update(state="sending", attempts=1, claimed_by="a")
    assert outbox.deliver_due("b").sent == 0 and receiver.posts == []


@pytest.fixture
def postgres_notify_env(tmp_path, emulator, receiver):
    """A PostgreSQL database and the environment of two watcher processes sharing it."""
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError as e:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {e}")
    name = f"restoreui_notify_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = environment(tmp_path, emulator, f"{POSTGRES}/{name}")
    with open(env["RESTOREUI_PROJECTS_FILE"], "a") as projects:
        projects.write(
            '[projects.local.notify.incidents]\nkind = "slack"\n'
            'url_env = "INCIDENTS_URL"\nevents = ["restore_failed"]\n'
        )
    env |= {"INCIDENTS_URL": f"{receiver.url}/{SLACK_SECRET}", "RESTOREUI_BASE_URL": BASE_URL}
    finished(manage(env, "migrate", "-v0"))
    yield env
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RECORD_FAILED_JOBS = """
from django.utils import timezone
from restoreui.models import RestoreRecord
now = timezone.now()
for n in range(5):
    RestoreRecord.objects.create(
        project="local", restore_job_id=f"job-{n}", status="Failed", watched_status="Pending",
        target_index_name="products-restore-1", completed_at=now, first_seen=now, last_seen=now,
    )
"""

# A watcher round's notification steps, without the lease, started together on a signal file.
RACE = """
import os, time
from pathlib import Path
from django.conf import settings
from restoreui.notifications import outbox
Path(os.environ["GO"] + "." + os.environ["HOLDER"]).touch()
while not Path(os.environ["GO"]).exists():
    time.sleep(0.005)
project = settings.RESTOREUI_PROJECTS["local"]
outbox.detect(project)
print("sent", outbox.deliver_due(os.environ["HOLDER"]).sent)
"""


def test_two_watcher_processes_at_once_on_postgresql_post_each_message_once(postgres_notify_env, receiver, tmp_path):
    finished(manage(postgres_notify_env, "shell", "-c", RECORD_FAILED_JOBS))
    receiver.delay = 0.1
    go = tmp_path / "go"
    watchers = [manage(postgres_notify_env | {"GO": str(go), "HOLDER": holder}, "shell", "-c", RACE) for holder in "ab"]
    # Both processes up and waiting, so they race over the same rows.
    wait_until(lambda: all((tmp_path / f"go.{holder}").exists() for holder in "ab"))
    go.touch()
    outputs = [finished(w) for w in watchers]
    sent = [int(out.strip().splitlines()[-1].removeprefix("sent ")) for out in outputs]
    texts = sorted(b["text"].split("]")[0] for b in receiver.bodies(f"/{SLACK_SECRET}"))
    assert texts == [f"[Restore job job-{n} → products-restore-1" for n in range(5)], (
        f"lost or doubled; the watchers sent {sent}"
    )
    assert sum(sent) == 5


@pytest.mark.django_db
def test_a_subscribed_json_webhook_hears_the_job_end_as_json(notifying, receiver):
    recorded("job-1", status="Completed", watched="Pending", percent_complete=100.0)
    Subscription.objects.create(project="local", restore_job_id="job-1", target="pager")
    assert watch_round(notifying).sent == 1
    [post] = [p for p in receiver.posts if p["path"] == f"/{JSON_SECRET}"]
    assert post["type"] == "application/json"
    body = post["body"]
    assert (body["event"], body["status"], body["previous_status"], body["backup_name"]) == (
        "restore_completed",
        "Completed",
        "Pending",
        "nightly",
    )
    assert body["url"] == f"{BASE_URL}/p/local/jobs/job-1/" and body["duration_seconds"] == 180
    assert receiver.bodies(f"/{SLACK_SECRET}") == [], "a completed restore went to the failure channel"


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(notifying, receiver, settings):
    settings.RESTOREUI_NOTIFY_RETRY_SECONDS = 60
    receiver.answers = [503, 500]
    recorded("job-1", status="Failed", watched="Pending")
    assert watch_round(notifying).failed == 1
    n = Notification.objects.get()
    assert (n.state, n.attempts) == ("pending", 1)
    assert n.next_attempt_at >= n.created_at + timedelta(seconds=60)
    assert watch_round(notifying).sent + watch_round(notifying).failed == 0, "it was retried before its time"
    for expected in ("pending", "delivered"):
        Notification.objects.update(next_attempt_at=n.created_at)
        watch_round(notifying)
        assert Notification.objects.get().state == expected
    bodies = receiver.bodies(f"/{SLACK_SECRET}")
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]
    outcomes = list(AuditEntry.objects.filter(action="notify").order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["failed", "failed", "ok"]
    assert "the target answered HTTP 503" in AuditEntry.objects.filter(action="notify").order_by("id")[0].detail


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt(notifying, receiver, settings):
    settings.RESTOREUI_NOTIFY_ATTEMPTS = 2
    receiver.answers = [500, 500, 500]
    recorded("job-1", status="Failed", watched="Pending")
    watch_round(notifying)
    watch_round(notifying)
    watch_round(notifying)
    n = Notification.objects.get()
    assert (n.state, n.attempts, len(receiver.posts)) == ("failed", 2, 2)
    assert "gave up after 2 attempts" in n.last_error


@pytest.mark.django_db
def test_a_refusal_is_not_retried_and_an_answer_too_late_is_never_sent_again(notifying, receiver, settings):
    receiver.answers = [404]
    recorded("job-1", status="Failed", watched="Pending")
    watch_round(notifying)
    watch_round(notifying)
    assert Notification.objects.get().state == "failed" and len(receiver.posts) == 1
    settings.RESTOREUI_NOTIFY_TIMEOUT = 0.2
    receiver.delay = 1.0
    recorded("job-2", status="Failed", watched="Pending")
    watch_round(notifying)
    watch_round(notifying)
    late = Notification.objects.get(subject_id="job-2")
    assert late.state == "unknown", "a message that may have been posted was sent again"
    assert "it may have been posted, so it is not sent again" in late.last_error
    assert AuditEntry.objects.get(action="notify", target="job-2").outcome == "unknown"
    assert len(receiver.bodies(f"/{SLACK_SECRET}")) == 2


@pytest.mark.django_db
def test_a_message_a_dead_watcher_was_sending_is_never_sent_again(notifying, receiver):
    recorded("job-1", status="Failed", watched="Pending")
    outbox.detect(notifying)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    Notification.objects.update(state="sending", attempts=1, claimed_by="gone:1:abc", claimed_at=long_ago)
    outbox.deliver_due("test-watcher")
    assert Notification.objects.get().state == "unknown" and receiver.posts == []
    entry = AuditEntry.objects.get(action="notify")
    assert entry.outcome == "unknown" and "gone:1:abc stopped while sending it; not sent again" in entry.detail


@pytest.mark.django_db
def test_webhook_urls_never_show_in_pages_logs_audit_or_errors(notifying, receiver, operator_client, caplog, emulator):
    caplog.set_level(logging.DEBUG)
    receiver.answers = [400]
    # A job only the history knows: a round's list load leaves it as it is.
    job_id = "job-1"
    recorded(job_id, status="Failed", watched="Pending")
    closed = Target("closed", "slack", "http://127.0.0.1:9/services/T/B/closed-s3cr3t", frozenset({"restore_failed"}))
    project = replace(notifying, notify=(*notifying.notify, closed))
    from django.conf import settings

    settings.RESTOREUI_PROJECTS = {"local": project}
    call_command("watch", "--once")
    operator_client.post(notify_url(job_id), {"target": "pager", "action": "unsubscribe"})
    errors = dict(Notification.objects.values_list("target", "last_error"))
    assert "no_service for [webhook URL]" in errors["incidents"], errors
    assert "could not connect (refused or no such host)" in errors["closed"], errors
    page = operator_client.get(reverse("jobs-detail", args=["local", job_id])).content.decode()
    assert "incidents" in page and "closed" in page
    audit = json.dumps(list(AuditEntry.objects.values()), default=str)
    audit_page = operator_client.get(reverse("audit")).content.decode()
    for where, content in (
        ("page", page),
        ("audit", audit),
        ("audit page", audit_page),
        ("errors", json.dumps(errors)),
        ("log", caplog.text),
    ):
        assert not any(secret in content for secret in SECRETS), f"a webhook URL showed in the {where}"


@pytest.mark.django_db
def test_a_scheduled_backup_failure_reaches_the_targets_that_asked_once(notifying, receiver):
    failure = outbox.BackupFailure("bk-9", "nightly-20261125", "nightly", "Failed")
    assert outbox.scheduled_backup_failed(notifying, failure) == 1
    assert outbox.scheduled_backup_failed(notifying, failure) == 1
    unscheduled = outbox.BackupFailure("bk-8", "by-hand", "", "Failed")
    assert outbox.scheduled_backup_failed(notifying, unscheduled) == 0
    assert outbox.deliver_due("w").sent == 1
    [body] = receiver.bodies(f"/{JSON_SECRET}")
    assert body == {
        "event": "scheduled_backup_failed",
        "project": "local",
        "backup_id": "bk-9",
        "backup_name": "nightly-20261125",
        "schedule_name": "nightly",
        "status": "Failed",
        "url": f"{BASE_URL}/p/local/backups/bk-9/",
        "text": f"[Scheduled backup nightly-20261125]({BASE_URL}/p/local/backups/bk-9/) of schedule nightly: Failed",
    }


@pytest.mark.django_db
def test_messages_and_subscriptions_are_forgotten_with_the_history(notifying, settings, caplog):
    settings.RESTOREUI_HISTORY_DAYS = 7
    recorded("job-1", status="Failed", watched="Pending")
    watch_round(notifying)
    Subscription.objects.create(project="local", restore_job_id="job-1", target="pager")
    assert outbox.prune() == 0
    old = datetime.now(UTC) - timedelta(days=8)
    Notification.objects.update(created_at=old)
    Subscription.objects.update(created_at=old)
    call_command("watch", "--once")
    assert not Notification.objects.exists() and not Subscription.objects.exists()


@pytest.mark.django_db
def test_the_job_page_says_so_when_subscriptions_cannot_be_read(notifying, operator_client, monkeypatch):
    from django.db import DatabaseError

    recorded("job-1", status="Pending", watched="Pending", completed_at=None)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(outbox, "sent_for", broken)
    page = operator_client.get(reverse("jobs-detail", args=["local", "job-1"]))
    assert page.status_code == 200
    assert "Subscriptions cannot be read just now: subscribing is not available to you." in text(page)


# -- end to end: a restore that fails in the emulator ----------------------------------------

FAST_SPEED = 20.0


@pytest.fixture
def fast_emulator():
    server = Emulator(port=0, api_key="fast-test-key", seed=7, speed=FAST_SPEED).start()
    yield server
    server.stop()


def upstream_status(server, job_id) -> str:
    response = requests.get(f"{server.url}/restore-jobs/{job_id}", headers={"Api-Key": server.api_key}, timeout=5)
    return response.json()["status"]


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "the emulator's restore did not end in time"
        time.sleep(0.2)
    return found


@pytest.mark.django_db
def test_the_watcher_tells_the_failure_channel_of_a_restore_that_fails_in_the_emulator(
    fast_emulator, receiver, settings, operator_client
):
    project = notifying_project(fast_emulator, receiver)
    settings.RESTOREUI_PROJECTS = {"local": project}
    settings.RESTOREUI_BASE_URL = BASE_URL
    fast_emulator.set_behaviour(fail_restores=True)
    backup = min((b for b in upstream_backups(fast_emulator) if b.state == "ready"), key=lambda b: b.size_bytes or 0)
    started = service.create_index_from_backup(project, backup.id, "doomed-restore")
    call_command("watch", "--once")
    operator_client.post(notify_url(started.restore_job_id), {"target": "pager", "action": "subscribe"})
    assert RestoreRecord.objects.get(restore_job_id=started.restore_job_id).watched_status == "Pending"
    wait_until(lambda: upstream_status(fast_emulator, started.restore_job_id) == "Failed")
    for _ in range(2):
        cache.clear()
        call_command("watch", "--once")
    [slack] = receiver.bodies(f"/{SLACK_SECRET}")
    link = f"{BASE_URL}/p/local/jobs/{started.restore_job_id}/"
    assert f"[Restore job {started.restore_job_id[:8]} → doomed-restore]({link}): Failed at" in slack["text"]
    [body] = receiver.bodies(f"/{JSON_SECRET}")
    assert (body["event"], body["previous_status"], body["restore_job_id"]) == (
        "restore_failed",
        "Pending",
        started.restore_job_id,
    )
    page = operator_client.get(reverse("jobs-detail", args=["local", started.restore_job_id]))
    assert text(page).split("Messages about this job")[1:], "the job page does not list the messages"
    assert "Pending → Failed delivered" in text(page)


@pytest.mark.django_db
def test_a_watcher_round_announces_a_failed_last_scheduled_run_once(notifying, receiver, settings):
    settings.RESTOREUI_PROJECTS = {"local": replace(notifying, api_version="2026-07")}
    call_command("watch", "--once", "--metrics-port", "0")
    call_command("watch", "--once", "--metrics-port", "0")
    [body] = receiver.bodies(f"/{JSON_SECRET}")
    assert body["event"] == "scheduled_backup_failed" and body["schedule_name"] == "tickets-nightly"
    assert receiver.bodies(f"/{SLACK_SECRET}") == [], "a target without scheduled_backup_failed heard of it"
