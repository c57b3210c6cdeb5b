"""Two instances behind one PostgreSQL and one Redis, as the README's "Scaling
out" describes: they share logins, the login throttle, the audit log and the
cache of Pinecone answers. Each instance is the image's gunicorn command."""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from gunicorn_instances import Instances, login, prepared

pytestmark = pytest.mark.cluster

POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/5"


def _postgres_and_redis_or_skip():
    import psycopg
    import redis

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError as e:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {e}")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as e:
        pytest.skip(f"no Redis at {REDIS}: {e}")


@pytest.fixture(scope="module")
def database():
    """A throwaway PostgreSQL database, dropped afterwards."""
    _postgres_and_redis_or_skip()
    import psycopg

    name = f"restoreui_cluster_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES}/{name}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, database, emulator):
    tmp = tmp_path_factory.mktemp("cluster")
    # A project name of its own keeps this run's cache keys apart from any other's in Redis.
    project = f"c{uuid.uuid4().hex[:8]}"
    env = prepared(
        tmp,
        project,
        emulator,
        DATABASE_URL=database,
        CACHE_URL=REDIS,
        # Login throttles count per address: another run's failures must not lock this one out.
        CACHE_KEY_PREFIX=project,
        GUNICORN_WORKERS="2",
    )
    running = Instances(tmp, env)
    try:
        a, b = running.start(2)
        yield {"a": a, "b": b, "project": project}
    finally:
        running.stop()


def _job_ids(emulator):
    answer = requests.get(
        f"{emulator.url}/restore-jobs",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        params={"limit": 100},
        timeout=5,
    ).json()
    return {job["status"]: job["restore_job_id"] for job in answer["data"]}


def test_a_login_on_one_instance_holds_on_the_other(cluster):
    session = requests.Session()
    assert login(session, cluster["a"]).status_code == 302
    response = session.get(f"{cluster['b']}/p/{cluster['project']}/jobs/", allow_redirects=False, timeout=10)
    assert response.status_code == 200, "the other instance sent a logged-in user to the login page"
    session.post(
        f"{cluster['b']}/logout/",
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{cluster['b']}/"},
        timeout=10,
    )
    response = session.get(f"{cluster['a']}/p/{cluster['project']}/jobs/", allow_redirects=False, timeout=10)
    assert response.status_code == 302, "logging out on one instance left the session alive on the other"


def test_failed_logins_on_both_instances_add_up(cluster):
    username = f"u{uuid.uuid4().hex[:8]}"
    for base in [cluster["a"], cluster["b"]] * 3:
        login(requests.Session(), base, username, "wrong")
    response = login(requests.Session(), cluster["a"], username, "wrong")
    assert "Too many failed logins" in response.text


def test_both_instances_write_and_read_one_audit_log(cluster, emulator):
    session = requests.Session()
    login(session, cluster["a"])
    backup = requests.get(
        f"{emulator.url}/backups",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    ).json()["data"][0]["backup_id"]
    # Restoring over an existing index fails upstream: audited without changing the emulator.
    response = session.post(
        f"{cluster['a']}/p/{cluster['project']}/backups/{backup}/restore/",
        {"name": "products", "deletion_protection": "disabled", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": cluster["a"] + "/", "X-Request-ID": "cluster-audit-1"},
        timeout=10,
    )
    assert response.status_code == 400
    page = session.get(f"{cluster['b']}/audit/", params={"project": cluster["project"]}, timeout=10).text
    assert backup in page and "cluster-audit-1" in page, "the other instance does not show the audit entry"


@pytest.mark.parametrize("status", ["Completed", "Pending"])
def test_viewers_on_both_instances_share_one_pinecone_call_per_job(cluster, emulator, status):
    """The incident story: many people watch one job page, Pinecone is asked once per refresh."""
    job = _job_ids(emulator)[status]
    sessions = [requests.Session(), requests.Session()]
    for session in sessions:
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=24))
    login(sessions[0], cluster["a"])
    login(sessions[1], cluster["b"])
    before = emulator.stats()["calls"].get("GET /restore-jobs/{job_id}", 0)
    targets = [(sessions[i % 2], cluster["ab"[i % 2]]) for i in range(24)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(
            pool.map(lambda t: t[0].get(f"{t[1]}/p/{cluster['project']}/jobs/{job}/", timeout=20).status_code, targets)
        )
    elapsed = time.monotonic() - started
    calls = emulator.stats()["calls"].get("GET /restore-jobs/{job_id}", 0) - before
    assert statuses == [200] * 24
    # A running job's answer lives CACHE_TTL_RUNNING (3 s) by default; a finished one an hour.
    allowed = 1 if status == "Completed" else 1 + int(elapsed // 3)
    assert 1 <= calls <= allowed, f"{calls} calls to Pinecone for 24 views of one job in {elapsed:.1f} s"


def _fetched_time(page: str) -> str:
    found = re.search(r"· fetched (.+?)</p>", page, re.S)
    assert found, "the job table did not say when its list was fetched"
    return found.group(1)


def _walk_pages(emulator) -> int:
    """The pages of GET /restore-jobs one walk asks, read before the counting starts."""
    pages, token = 0, None
    while True:
        pages += 1
        params = {"paginationToken": token} if token else {"limit": 100}
        answer = requests.get(
            f"{emulator.url}/restore-jobs",
            headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
            params=params,
            timeout=5,
        ).json()
        token = (answer.get("pagination") or {}).get("next")
        if not token:
            return pages


def test_after_a_list_s_lifetime_viewers_on_both_instances_get_the_last_copy_and_pinecone_one_walk(cluster, emulator):
    """Stale-while-revalidate across processes: nobody waits on the walk, and it is made once."""
    sessions = [requests.Session(), requests.Session()]
    for session in sessions:
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=12))
    login(sessions[0], cluster["a"])
    login(sessions[1], cluster["b"])
    table = f"/p/{cluster['project']}/jobs/"
    first = sessions[0].get(f"{cluster['a']}{table}", timeout=20)
    assert first.status_code == 200
    pages = _walk_pages(emulator)
    # The list lives RESTOREUI_CACHE_TTL_LIST (5 s by default) in the instances' settings; their
    # clocks cannot be moved from here. Each page of the refresh then takes a second upstream.
    time.sleep(5.5)
    emulator.set_faults(latency_ms=1000)
    before = emulator.stats()["calls"].get("GET /restore-jobs", 0)
    targets = [(sessions[i % 2], cluster["ab"[i % 2]]) for i in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda t: t[0].get(f"{t[1]}{table}", timeout=20), targets))
    assert [a.status_code for a in answers] == [200] * 12
    assert {_fetched_time(a.text) for a in answers} == {_fetched_time(first.text)}, (
        "a viewer after the lifetime waited for the list to be walked again"
    )
    deadline, walked = time.monotonic() + 30, -1
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = emulator.stats()["calls"].get("GET /restore-jobs", 0) - before
        if now == walked and now >= pages:
            break
        walked = now
    emulator.clear_faults()
    assert walked == pages, f"{walked} list pages asked for one refresh of a {pages}-page list"
    later = sessions[1].get(f"{cluster['b']}{table}", timeout=20).text
    assert _fetched_time(later) != _fetched_time(first.text), "the refreshed copy was not shown"
