"""`manage.py watch`: one round loads every list like a viewer, fills history, and runs once per cluster."""

import math
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from restoreui import lease
from restoreui.models import Lease, RestoreRecord
from restoreui.pinecone import service

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"


def round_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "restoreui.watch" and " round " in r.getMessage()]


# -- one process, the test database ------------------------------------------------------


@pytest.mark.django_db
def test_one_round_loads_every_list_and_fills_history(project, emulator, caplog):
    caplog.set_level("INFO", logger="restoreui.watch")
    call_command("watch", "--once")
    listed = service.list_restore_jobs(project).value.items
    assert RestoreRecord.objects.filter(project="local").count() == len(listed), "history was not filled"
    assert not RestoreRecord.objects.exclude(backup_name="").filter(backup_id="").exists()
    assert RestoreRecord.objects.exclude(backup_name="").exists(), "backups were not loaded before the jobs"
    [line] = round_lines(caplog)
    assert "round 1: 1 project: " in line and f"{len(listed)} restore jobs" in line and "0 failures" in line


@pytest.mark.django_db
def test_a_round_survives_pinecone_failing_and_says_so(emulator, settings, caplog):
    settings.PINECONE_RETRIES = 0
    emulator.set_faults(error_rate=1.0)
    caplog.set_level("INFO", logger="restoreui.watch")
    call_command("watch", "--once")
    [line] = round_lines(caplog)
    assert "3 failures" in line and "local restore jobs: " in line, f"the round did not report Pinecone failing: {line}"


@pytest.mark.django_db
def test_a_watcher_stands_by_while_another_holds_the_lease(emulator, caplog):
    assert lease.acquire("watch", "other-host:1:abc", 60)
    caplog.set_level("INFO", logger="restoreui.watch")
    before = emulator.stats()["total"]
    call_command("watch", "--once")
    assert emulator.stats()["total"] == before, "a standby watcher asked Pinecone anyway"
    assert round_lines(caplog) == ["watch round 1: another watcher holds the lease; standing by"]
    assert not RestoreRecord.objects.exists()


@pytest.mark.django_db
def test_a_released_or_expired_lease_can_be_taken_and_a_held_one_cannot():
    assert lease.acquire("watch", "a", 60)
    assert not lease.acquire("watch", "b", 60), "two holders had the lease at once"
    assert lease.acquire("watch", "a", 60), "the holder could not renew its lease"
    lease.release("watch", "a")
    assert lease.acquire("watch", "b", 60), "a released lease stayed taken"
    assert lease.acquire("other", "c", 60)
    Lease.objects.filter(name="other").update(expires=timezone.now() - timezone.timedelta(seconds=1))
    assert lease.acquire("other", "d", 60), "an expired lease stayed taken"


@pytest.mark.django_db
def test_a_round_prunes_history_older_than_the_retention(project, settings, caplog):
    settings.RESTOREUI_HISTORY_DAYS = 7
    old = timezone.now() - timezone.timedelta(days=8)
    RestoreRecord.objects.create(
        project="local", restore_job_id="ancient", status="Completed", first_seen=old, last_seen=old
    )
    caplog.set_level("INFO", logger="restoreui.watch")
    call_command("watch", "--once")
    assert not RestoreRecord.objects.filter(restore_job_id="ancient").exists()
    assert "1 old history rows pruned" in round_lines(caplog)[0]


# -- separate processes, as deployed --------------------------------------------------------


def environment(tmp_path, emulator, database_url) -> dict:
    (tmp_path / "projects.toml").write_text(
        f'[projects.local]\napi_key = "{emulator.api_key}"\nhost = "{emulator.url}"\n'
    )
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE": "0",
        "RESTOREUI_PROJECTS_FILE": str(tmp_path / "projects.toml"),
        "DATABASE_URL": database_url,
        "PINECONE_READ_TIMEOUT": "30",
    }


def manage(env, *args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def finished(process, timeout=60) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"manage.py exited with {process.returncode}:\n{out}"
    return out


@pytest.fixture
def sqlite_env(tmp_path, emulator):
    env = environment(tmp_path, emulator, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    finished(manage(env, "migrate", "-v0"))
    return env


def test_the_watcher_stops_cleanly_on_sigterm(sqlite_env):
    process = manage(sqlite_env, "watch", "--interval", "1")
    lines = []
    deadline = time.monotonic() + 60
    while not any("watch round 1:" in line for line in lines) and time.monotonic() < deadline:
        lines.append(process.stdout.readline())
    process.send_signal(signal.SIGTERM)
    out = "".join(lines) + finished(process, timeout=30)
    assert "watch round 1: 1 project:" in out, out
    assert out.rstrip().endswith("watch: stopped"), f"the watcher did not stop cleanly:\n{out}"


@pytest.fixture
def postgres_env(tmp_path, emulator):
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError as e:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {e}")
    name = f"restoreui_watch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = environment(tmp_path, emulator, f"{POSTGRES}/{name}")
    finished(manage(env, "migrate", "-v0"))
    env["_SQL"] = f"{POSTGRES}/{name}"
    yield env
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def row_versions(env) -> dict[str, tuple[str, str]]:
    """Each recorded job's (status, row version): PostgreSQL gives a row a new xmin on every write."""
    import psycopg

    with psycopg.connect(env["_SQL"]) as conn:
        found = conn.execute("SELECT restore_job_id, status, xmin::text FROM restoreui_restorerecord").fetchall()
    return {job_id: (status, xmin) for job_id, status, xmin in found}


FINISHED = {"Completed", "Failed", "Cancelled"}


def test_watcher_rounds_in_postgresql_insert_every_job_then_rewrite_only_what_changed(postgres_env, project):
    finished(manage(postgres_env, "watch", "--once"))
    first = row_versions(postgres_env)
    listed = service.list_restore_jobs(project).value.items
    assert set(first) == {j.id for j in listed}, "the watcher did not record every listed job"
    finished(manage(postgres_env, "watch", "--once"))
    second = row_versions(postgres_env)
    rewritten = [job_id for job_id, (status, xmin) in first.items() if status in FINISHED and second[job_id][1] != xmin]
    assert not rewritten, f"{len(rewritten)} finished, unchanged jobs were written again"


def test_two_watchers_at_once_do_the_round_once(postgres_env, emulator, project):
    # Slow answers keep the first watcher in its round while the second starts.
    emulator.set_faults(latency_ms=800)
    first = manage(postgres_env, "watch", "--once")
    deadline = time.monotonic() + 60
    while not emulator.stats()["total"] and time.monotonic() < deadline:
        time.sleep(0.05)
    second = manage(postgres_env, "watch", "--once")
    outputs = [finished(second), finished(first)]
    assert "another watcher holds the lease; standing by" in outputs[0], outputs[0]
    jobs = len(row_versions(postgres_env))
    calls = emulator.stats()["calls"]
    assert calls["GET /restore-jobs"] == math.ceil(jobs / service.PAGE_SIZE), f"the job list was walked twice: {calls}"
    assert calls["GET /indexes"] == 1, f"the index list was loaded twice: {calls}"
